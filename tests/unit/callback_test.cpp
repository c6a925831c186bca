// SPDX-License-Identifier: Apache-2.0
// The loopback callback request: strict head parsing and classification against path and state.
#include "core/callback.hpp"
#include "loopback/http.hpp"

#include <gtest/gtest.h>

namespace nativeauth::core {
namespace {

using loopback::parse_request_head;
using loopback::result_page;

constexpr const char *kState = "abcDEF123_-xyz";

std::string get(const std::string &target) { return "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1:5000\r\n\r\n"; }

TEST(RequestHead, ParsesOriginForm) {
  auto h = parse_request_head(get("/callback?code=1&state=2"));
  ASSERT_TRUE(h);
  EXPECT_EQ(h->method, "GET");
  EXPECT_EQ(h->path, "/callback");
  EXPECT_EQ(h->query, "code=1&state=2");
}

TEST(RequestHead, RejectsMalformed) {
  for (const std::string &bad :
       {std::string(""), std::string("garbage\r\n\r\n"), std::string("GET /x\r\n\r\n"),
        std::string("GET http://evil/x HTTP/1.1\r\n\r\n"), std::string("GET /x HTTP/2\r\n\r\n"),
        std::string("GET /x y HTTP/1.1\r\n\r\n"), std::string("G\x01T /x HTTP/1.1\r\n\r\n"),
        std::string("GET /x HTTP/1.1\r\nA: \0b\r\n\r\n", 27), std::string("GET  /x HTTP/1.1\r\n\r\n"),
        std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")})
    EXPECT_FALSE(parse_request_head(bad)) << bad;
}

TEST(Callback, MatchedResponseCarriesCodeStateIss) {
  const auto r = classify_callback(get(std::string("/callback?code=c0de&state=") + kState + "&iss=http%3A%2F%2Fidp"),
                                   "/callback", kState);
  ASSERT_EQ(r.verdict, CallbackVerdict::matched);
  EXPECT_EQ(r.response.code.reveal(), "c0de");
  EXPECT_EQ(r.response.iss, "http://idp");
  EXPECT_TRUE(r.response.error.empty());
}

TEST(Callback, ErrorResponseIsMatchedToo) {
  const auto r = classify_callback(
      get(std::string("/callback?error=access_denied&error_description=User+said+no&state=") + kState), "/callback",
      kState);
  ASSERT_EQ(r.verdict, CallbackVerdict::matched);
  EXPECT_EQ(r.response.error, "access_denied");
  EXPECT_EQ(r.response.error_description, "User said no");
  EXPECT_TRUE(r.response.code.empty());
}

TEST(Callback, WrongStateIsRefusedAndKeepsWaiting) {
  EXPECT_EQ(classify_callback(get("/callback?code=c&state=other"), "/callback", kState).verdict,
            CallbackVerdict::wrong_state);
  EXPECT_EQ(classify_callback(get(std::string("/callback?code=c&state=") + kState + "x"), "/callback", kState).verdict,
            CallbackVerdict::wrong_state);
}

TEST(Callback, MissingOrDuplicateStateIsBadRequest) {
  EXPECT_EQ(classify_callback(get("/callback?code=c"), "/callback", kState).verdict, CallbackVerdict::bad_request);
  EXPECT_EQ(classify_callback(get(std::string("/callback?code=c&state=") + kState + "&state=" + kState), "/callback",
                              kState)
                .verdict,
            CallbackVerdict::bad_request);
  EXPECT_EQ(classify_callback(get(std::string("/callback?code=a&code=b&state=") + kState), "/callback", kState).verdict,
            CallbackVerdict::bad_request);
}

TEST(Callback, OtherPathsAndMethods) {
  EXPECT_EQ(classify_callback(get("/favicon.ico"), "/callback", kState).verdict, CallbackVerdict::not_found);
  EXPECT_EQ(classify_callback(get(std::string("/callbackx?state=") + kState), "/callback", kState).verdict,
            CallbackVerdict::not_found);
  EXPECT_EQ(classify_callback(std::string("POST /callback?state=") + kState + " HTTP/1.1\r\n\r\n", "/callback", kState)
                .verdict,
            CallbackVerdict::bad_method);
  EXPECT_EQ(classify_callback("\x01\x02garbage", "/callback", kState).verdict, CallbackVerdict::bad_request);
}

TEST(RedirectUrl, MatchesOnlyTheConfiguredUriAndState) {
  const std::string uri = "com.example.app:/callback";
  auto ok = classify_redirect_url(uri + "?code=c0de&state=" + kState + "&iss=x", uri, kState);
  ASSERT_EQ(ok.verdict, CallbackVerdict::matched);
  EXPECT_EQ(ok.response.code.reveal(), "c0de");
  EXPECT_EQ(ok.response.iss, "x");
  // The scheme compares case-insensitively (RFC 3986 §3.1), everything else exactly.
  EXPECT_EQ(classify_redirect_url("COM.Example.APP:/callback?state=" + std::string(kState), uri, kState).verdict,
            CallbackVerdict::matched);
  EXPECT_EQ(classify_redirect_url("com.example.app:/Callback?state=" + std::string(kState), uri, kState).verdict,
            CallbackVerdict::not_found);
  EXPECT_EQ(classify_redirect_url("com.other.app:/callback?state=" + std::string(kState), uri, kState).verdict,
            CallbackVerdict::not_found);
  EXPECT_EQ(classify_redirect_url("com.example.app://callback?state=" + std::string(kState), uri, kState).verdict,
            CallbackVerdict::not_found);
  EXPECT_EQ(classify_redirect_url("com.example.app:/callback?code=c&state=wrong", uri, kState).verdict,
            CallbackVerdict::wrong_state);
  EXPECT_EQ(classify_redirect_url("com.example.app:/callback", uri, kState).verdict, CallbackVerdict::bad_request);
  EXPECT_EQ(classify_redirect_url("no-colon", uri, kState).verdict, CallbackVerdict::bad_request);
  EXPECT_EQ(classify_redirect_url(uri + "?state=" + kState + "&state=" + kState, uri, kState).verdict,
            CallbackVerdict::bad_request);
}

TEST(RedirectUri, CustomSchemesNeedADot) {
  auto t = parse_redirect_uri("com.Example.App:/oauth2redirect");
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->kind, RedirectTarget::Kind::app);
  EXPECT_EQ(t->uri, "com.example.app:/oauth2redirect");
  auto bad = parse_redirect_uri("myapp:/callback");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::invalid_configuration);
  EXPECT_NE(bad.error().message.find("RFC 8252 §7.1"), std::string::npos) << bad.error().message;
  EXPECT_FALSE(parse_redirect_uri("com.example.app:"));
  EXPECT_FALSE(parse_redirect_uri("com.example.app:/cb#frag"));
  EXPECT_FALSE(parse_redirect_uri("com.example.app:/cb?x=1"));
  EXPECT_FALSE(parse_redirect_uri("1com.example.app:/cb"));
  EXPECT_FALSE(parse_redirect_uri("com.exa mple.app:/cb"));
  EXPECT_FALSE(parse_redirect_uri("/callback"));
}

TEST(RedirectUri, HttpOnlyToLoopbackIpLiterals) {
  auto v4 = parse_redirect_uri("http://127.0.0.1/cb");
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->kind, RedirectTarget::Kind::loopback);
  EXPECT_EQ(v4->path, "/cb");
  EXPECT_EQ(v4->port, 0);
  EXPECT_FALSE(v4->ipv6_host);
  auto v6 = parse_redirect_uri("http://[::1]:8123/");
  ASSERT_TRUE(v6);
  EXPECT_TRUE(v6->ipv6_host);
  EXPECT_EQ(v6->port, 8123);
  for (const char *refused : {"http://example.com/cb", "http://192.168.1.2/cb", "http://localhost/cb",
                              "http://user@127.0.0.1/cb", "http://127.0.0.1:99999/cb"}) {
    auto r = parse_redirect_uri(refused);
    ASSERT_FALSE(r) << refused;
    EXPECT_EQ(r.error().code, ErrorCode::invalid_configuration) << refused;
  }
  auto https = parse_redirect_uri("https://app.example.com/oauth");  // claimed https (RFC 8252 §7.2)
  ASSERT_TRUE(https);
  EXPECT_EQ(https->kind, RedirectTarget::Kind::app);
}

TEST(ResultPage, EscapesDetailAndNeverHasCode) {
  const auto page = result_page(false, "<script>alert('x')</script> & \"q\"");
  EXPECT_EQ(page.find("<script>"), std::string::npos);
  EXPECT_NE(page.find("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"), std::string::npos);
  EXPECT_NE(result_page(true, "").find("Signed in"), std::string::npos);
  EXPECT_NE(page.find("Sign-in failed"), std::string::npos);
}

}  // namespace
}  // namespace nativeauth::core
