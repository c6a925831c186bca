// SPDX-License-Identifier: Apache-2.0
// Pushed Authorization Requests (RFC 9126): the request's shape, the response's rules (§2.2), error answers
// (§2.3) and the URL the browser gets (§4). Every response here is typed in: a provider answers 201 with a
// good body or 400 with an OAuth error (tests/integration/par_sign_in_test.cpp), never the malformed answers these
// check on demand.
#include "core/par.hpp"

#include <gtest/gtest.h>

#include <string>

namespace nativeauth::core {
namespace {

platform::HttpResponse response(int status, const std::string &body) {
  platform::HttpResponse r;
  r.status = status;
  r.body = SecretString(body);
  return r;
}

const Params kParams = {
    {"response_type", "code"}, {"client_id", "app"},    {"redirect_uri", "http://127.0.0.1:9/cb"}, {"scope", "openid"},
    {"state", "s t"},          {"code_challenge", "c"}, {"code_challenge_method", "S256"}};

TEST(ParRequest, PublicClientPostsTheParametersWithClientIdOnce) {
  auto req = make_par_request("https://i/par", kParams, "app", SecretString{});
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.url, "https://i/par");
  EXPECT_EQ(req.body.reveal(),
            "response_type=code&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcb&scope=openid&state=s%20t&code_challenge=c&"
            "code_challenge_method=S256&client_id=app");
  for (const auto &h : req.headers) EXPECT_NE(h.first, "Authorization");
}

TEST(ParRequest, ConfidentialClientAuthenticatesWithBasicAndKeepsClientId) {
  auto req = make_par_request("https://i/par", kParams, "app", SecretString("s"));
  EXPECT_NE(req.body.reveal().find("client_id=app"), std::string::npos);
  bool basic = false;
  for (const auto &h : req.headers) basic = basic || (h.first == "Authorization" && h.second.rfind("Basic ", 0) == 0);
  EXPECT_TRUE(basic);
}

TEST(ParResponse, CreatedWithRequestUriAndLifetime) {
  auto r = parse_par_response(response(201,
                                       R"({"request_uri":"urn:ietf:params:oauth:request_uri:abc","expires_in":60})"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->request_uri, "urn:ietf:params:oauth:request_uri:abc");
  EXPECT_EQ(r->expires_in, 60);
}

TEST(ParResponse, RefusesAMissingOrEmptyRequestUri) {
  for (const char *body : {R"({"expires_in":60})", R"({"request_uri":"","expires_in":60})",
                           R"({"request_uri":42,"expires_in":60})", R"({"request_uri":null,"expires_in":60})"}) {
    auto r = parse_par_response(response(201, body));
    ASSERT_FALSE(r) << body;
    EXPECT_EQ(r.error().code, ErrorCode::malformed_response) << body;
    EXPECT_NE(r.error().message.find("request_uri"), std::string::npos) << r.error().message;
  }
}

TEST(ParResponse, RefusesAnExpiresInThatIsNotAPositiveInteger) {
  for (const char *expires : {"0", "-5", "60.5", "60.0", "\"60\"", "null", "true", "18446744073709551615"}) {
    const std::string body = std::string(R"({"request_uri":"urn:x","expires_in":)") + expires + "}";
    auto r = parse_par_response(response(201, body));
    ASSERT_FALSE(r) << body;
    EXPECT_EQ(r.error().code, ErrorCode::malformed_response) << body;
    EXPECT_NE(r.error().message.find("expires_in"), std::string::npos) << r.error().message;
  }
  auto missing = parse_par_response(response(201, R"({"request_uri":"urn:x"})"));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::malformed_response);
}

TEST(ParResponse, RefusesABodyThatIsNotAJsonObject) {
  for (const char *body : {"", "<html>Created</html>", "[]", R"("urn:x")", R"({"request_uri":"urn:x")"}) {
    auto r = parse_par_response(response(201, body));
    ASSERT_FALSE(r) << body;
    EXPECT_EQ(r.error().code, ErrorCode::malformed_response) << body;
  }
}

TEST(ParResponse, OnlyCreatedIsSuccess) {
  // RFC 9126 §2.2 says 201; a 200 with the right body is not a PAR endpoint's answer.
  for (int status : {200, 202, 204}) {
    auto r = parse_par_response(response(status, R"({"request_uri":"urn:x","expires_in":60})"));
    ASSERT_FALSE(r) << status;
    EXPECT_EQ(r.error().code, ErrorCode::malformed_response) << status;
    EXPECT_EQ(r.error().http_status, status);
    EXPECT_NE(r.error().message.find("201"), std::string::npos) << r.error().message;
  }
}

TEST(ParResponse, AnOAuthErrorCarriesWhatTheServerSaid) {
  auto r = parse_par_response(response(
      400,
      R"({"error":"invalid_request","error_description":"redirect_uri did not match","error_uri":"https://i/e"})"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::authorization_error);
  EXPECT_EQ(r.error().oauth_error, "invalid_request");
  EXPECT_EQ(r.error().oauth_description, "redirect_uri did not match");
  EXPECT_EQ(r.error().oauth_uri, "https://i/e");
  EXPECT_EQ(r.error().http_status, 400);
  EXPECT_FALSE(r.error().transient);

  auto busy = parse_par_response(response(503, R"({"error":"temporarily_unavailable"})"));
  ASSERT_FALSE(busy);
  EXPECT_TRUE(busy.error().transient);

  // No OAuth error in the body: the status says what happened, and 5xx may pass.
  auto bare = parse_par_response(response(502, "<html>bad gateway</html>"));
  ASSERT_FALSE(bare);
  EXPECT_EQ(bare.error().code, ErrorCode::http_status);
  EXPECT_TRUE(bare.error().transient);
  EXPECT_EQ(bare.error().message.find("bad gateway"), std::string::npos) << "no body in a message";
}

TEST(ParUrl, CarriesOnlyClientIdAndRequestUri) {
  EXPECT_EQ(pushed_authorization_url("https://i/auth", "app", "urn:ietf:params:oauth:request_uri:a_b-c"),
            "https://i/auth?client_id=app&request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3Aa_b-c");
  // An endpoint that has a query keeps it (RFC 6749 §3.1).
  EXPECT_EQ(pushed_authorization_url("https://i/auth?tenant=t", "app", "urn:x"),
            "https://i/auth?tenant=t&client_id=app&request_uri=urn%3Ax");
}

}  // namespace
}  // namespace nativeauth::core
