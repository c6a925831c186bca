// SPDX-License-Identifier: Apache-2.0
// The WinHTTP transport (platform/windows/winhttp_transport.cpp) against real servers on loopback: the dev
// provider, the fault proxy in front of it (its first refresh response is dropped), and http-fixtures (an
// echo, a redirect, stalls, cut-off and oversized bodies, an HTTPS server with a self-signed certificate).
// tests/support/http-fixtures/run-with-servers starts them and passes their addresses in NATIVEAUTH_TEST_*.
// No fakes: every error comes from WinHTTP talking to a real socket.
#include "windows/winhttp_transport.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

namespace nativeauth::windows {
namespace {

using Json = nlohmann::json;
using namespace std::chrono_literals;

/// A server's address from the environment run-with-servers sets; a test without it fails (it never skips).
std::string server(const char *name) {
  const char *value = std::getenv(name);
  if (value == nullptr || *value == '\0') {
    ADD_FAILURE() << name << " is not set: run this test through tests/support/http-fixtures/run-with-servers";
    return "http://127.0.0.1:9";
  }
  return value;
}

std::string base64(std::string_view in) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) |
                       static_cast<unsigned char>(in[i + 2]);
    for (int s : {18, 12, 6, 0}) out += kAlphabet[(v >> s) & 63];
  }
  if (i < in.size()) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < in.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

platform::HttpRequest get(std::string url) {
  platform::HttpRequest r;
  r.url = std::move(url);
  return r;
}

platform::HttpRequest post(std::string url, std::string body) {
  platform::HttpRequest r;
  r.method = "POST";
  r.url = std::move(url);
  r.body = SecretString(std::move(body));
  return r;
}

Json parse(const platform::HttpResponse &response) { return Json::parse(response.body.reveal(), nullptr, false); }

/// The value of the first header `name` the echo server received, or "<absent>".
std::string echoed_header(const Json &echo, const std::string &name) {
  for (const auto &pair : echo["headers"]) {
    if (pair[0].get<std::string>() == name) return pair[1].get<std::string>();
  }
  return "<absent>";
}

class WinHttpTransportTest : public ::testing::Test {
 protected:
  std::shared_ptr<platform::HttpTransport> transport(std::chrono::milliseconds request_timeout = 10s,
                                                     std::size_t max_bytes = 1 << 20) {
    WinHttpTransportOptions o;
    o.connect_timeout = 5s;
    o.request_timeout = request_timeout;
    o.user_agent = "nativeauth-test/1.0";
    o.max_response_bytes = max_bytes;
    return make_winhttp_transport(o);
  }
  const std::string provider_ = server("NATIVEAUTH_TEST_PROVIDER");
  const std::string proxy_ = server("NATIVEAUTH_TEST_FAULT_PROXY");
  const std::string fixtures_ = server("NATIVEAUTH_TEST_FIXTURES");
  const std::string fixtures_tls_ = server("NATIVEAUTH_TEST_FIXTURES_TLS");
};

TEST_F(WinHttpTransportTest, DiscoveryDocumentIsA200WithItsContentType) {
  auto r = transport()->send(get(provider_ + "/.well-known/openid-configuration"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->content_type.rfind("application/json", 0), 0u) << r->content_type;
  const Json doc = parse(*r);
  ASSERT_TRUE(doc.is_object());
  EXPECT_EQ(doc["token_endpoint"], proxy_ + "/token");  // the provider advertises the proxy's origin
}

TEST_F(WinHttpTransportTest, TokenEndpointRefusalIsAResponseNotAnError) {
  auto r = transport()->send(post(provider_ + "/token",
                                  "grant_type=authorization_code&code=not-a-code&client_id=nativeauth-test"
                                  "&redirect_uri=http%3A%2F%2F127.0.0.1%2Fcallback&code_verifier=" +
                                      std::string(43, 'v')));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(r->content_type.rfind("application/json", 0), 0u) << r->content_type;
  EXPECT_EQ(parse(*r)["error"], "invalid_grant");
}

TEST_F(WinHttpTransportTest, LostResponseIsATransientNetworkErrorAndTheRequestIsNotSentAgain) {
  const std::string body = "grant_type=refresh_token&refresh_token=secret-refresh-token&client_id=nativeauth-test";
  auto http = transport();
  // The proxy drops the response to the first refresh request only: had WinHTTP sent the POST again by
  // itself, the second copy's 400 would come back here instead of an error.
  auto lost = http->send(post(proxy_ + "/token", body));
  ASSERT_FALSE(lost) << "status " << lost->status;
  EXPECT_EQ(lost.error().code, ErrorCode::network) << lost.error().message;
  EXPECT_TRUE(lost.error().transient);
  EXPECT_NE(lost.error().message.find(proxy_), std::string::npos) << lost.error().message;
  EXPECT_EQ(lost.error().message.find("secret-refresh-token"), std::string::npos);
  auto answered = http->send(post(proxy_ + "/token", body));  // the twin: the proxy passes this one
  ASSERT_TRUE(answered) << answered.error().message;
  EXPECT_EQ(answered->status, 400);
}

TEST_F(WinHttpTransportTest, RefusedPortIsATransientNetworkErrorNamingHostAndPort) {
  const char *port = std::getenv("NATIVEAUTH_TEST_CLOSED_PORT");
  ASSERT_NE(port, nullptr) << "run this test through tests/support/http-fixtures/run-with-servers";
  const std::string origin = std::string("http://127.0.0.1:") + port;
  auto r = transport()->send(get(origin + "/x?code=secret-code"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::network) << r.error().message;
  EXPECT_TRUE(r.error().transient);
  EXPECT_NE(r.error().message.find(origin), std::string::npos) << r.error().message;
  EXPECT_EQ(r.error().message.find("secret-code"), std::string::npos) << r.error().message;
}

TEST_F(WinHttpTransportTest, ServerThatNeverAnswersTimesOutAsANetworkError) {
  for (const char *path : {"/stall", "/stall-body"}) {
    const auto start = std::chrono::steady_clock::now();
    auto r = transport(1500ms)->send(get(fixtures_ + path));
    const auto took = std::chrono::steady_clock::now() - start;
    ASSERT_FALSE(r) << path << ": status " << r->status;
    EXPECT_EQ(r.error().code, ErrorCode::network) << path << ": " << r.error().message;
    EXPECT_TRUE(r.error().transient);
    EXPECT_NE(r.error().message.find("did not answer in time"), std::string::npos) << r.error().message;
    EXPECT_GE(took, 1400ms) << path;
    EXPECT_LT(took, 6s) << path << ": the request timeout bounds the whole exchange";
  }
}

TEST_F(WinHttpTransportTest, BodyCutShortIsATransientNetworkError) {
  auto r = transport()->send(get(fixtures_ + "/truncate"));
  ASSERT_FALSE(r) << "status " << r->status << ", " << r->body.size() << " bytes";
  EXPECT_EQ(r.error().code, ErrorCode::network) << r.error().message;
  EXPECT_TRUE(r.error().transient);
}

TEST_F(WinHttpTransportTest, ResponseOverTheCapIsAnErrorAndOneAtTheCapIsNot) {
  auto http = transport(10s, 100'000);
  for (const char *kind : {"bytes", "chunked"}) {
    auto at_cap = http->send(get(fixtures_ + "/" + kind + "/100000"));
    ASSERT_TRUE(at_cap) << kind << ": " << at_cap.error().message;
    EXPECT_EQ(at_cap->body.size(), 100'000u) << kind;
    auto over = http->send(get(fixtures_ + "/" + kind + "/100001"));
    ASSERT_FALSE(over) << kind << ": " << over->body.size() << " bytes accepted";
    EXPECT_EQ(over.error().code, ErrorCode::malformed_response) << over.error().message;
    EXPECT_FALSE(over.error().transient);
    EXPECT_NE(over.error().message.find("100000 bytes"), std::string::npos) << over.error().message;
  }
  auto default_cap = transport()->send(get(fixtures_ + "/bytes/" + std::to_string((1 << 20) + 1)));
  ASSERT_FALSE(default_cap);
  EXPECT_EQ(default_cap.error().code, ErrorCode::malformed_response);
}

TEST_F(WinHttpTransportTest, RedirectIsReturnedNotFollowed) {
  auto r = transport()->send(get(fixtures_ + "/redirect"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, 302);
  EXPECT_EQ(r->body.reveal(), "moved");
}

// No positive twin over TLS: wine 8 trusts only the host's CA certificates (a certificate added to the
// Root store, user or machine, is still reported as an untrusted root), and on Windows adding one asks the
// user. The twin here is the same fixture server answering over plain http.
TEST_F(WinHttpTransportTest, SelfSignedCertificateIsATlsError) {
  auto plain = transport()->send(get(fixtures_ + "/echo"));
  ASSERT_TRUE(plain) << plain.error().message;
  auto r = transport()->send(get(fixtures_tls_ + "/echo"));
  ASSERT_FALSE(r) << "status " << r->status;
  EXPECT_EQ(r.error().code, ErrorCode::tls) << r.error().message;
  EXPECT_FALSE(r.error().transient);
  EXPECT_NE(r.error().message.find(fixtures_tls_), std::string::npos) << r.error().message;
}

TEST_F(WinHttpTransportTest, HeadersAndBodyReachTheServerExactly) {
  std::string body = "grant_type=x&v=%2F%20";
  body += std::string("\0\x01\xff\r\n", 5);
  platform::HttpRequest request = post(fixtures_ + "/echo?a=%2Fb%20c&d=e", body);
  request.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                     {"Accept", "application/json"},
                     {"Authorization", "Bearer abc.def"},
                     {"X-Custom", "one, two"}};
  auto r = transport()->send(request);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->status, 200);
  const Json echo = parse(*r);
  EXPECT_EQ(echo["method"], "POST");
  EXPECT_EQ(echo["path"], "/echo?a=%2Fb%20c&d=e");
  EXPECT_EQ(echo["body_base64"], base64(body));
  EXPECT_EQ(echoed_header(echo, "Content-Type"), "application/x-www-form-urlencoded");
  EXPECT_EQ(echoed_header(echo, "Accept"), "application/json");
  EXPECT_EQ(echoed_header(echo, "Authorization"), "Bearer abc.def");
  EXPECT_EQ(echoed_header(echo, "X-Custom"), "one, two");
  EXPECT_EQ(echoed_header(echo, "User-Agent"), "nativeauth-test/1.0");
  EXPECT_EQ(echoed_header(echo, "Content-Length"), std::to_string(body.size()));
  EXPECT_EQ(echoed_header(echo, "Cookie"), "<absent>");
}

TEST_F(WinHttpTransportTest, DefaultsAreThoseOfLibcurl) {
  auto http = transport();
  auto plain = http->send(get(fixtures_ + "/echo"));
  ASSERT_TRUE(plain) << plain.error().message;
  const Json echo = parse(*plain);
  EXPECT_EQ(echo["method"], "GET");
  EXPECT_EQ(echoed_header(echo, "Accept"), "*/*");
  auto form = http->send(post(fixtures_ + "/echo", "a=b"));
  ASSERT_TRUE(form) << form.error().message;
  EXPECT_EQ(echoed_header(parse(*form), "Content-Type"), "application/x-www-form-urlencoded");
}

// A POST must never ride a kept-alive connection (see winhttp_transport.cpp); wine's pool is one per host,
// so a GET's kept-alive connection would be handed to the next POST. The server counts the requests on
// each connection: 1 is a fresh one.
TEST_F(WinHttpTransportTest, EveryRequestGoesOutOnAFreshConnection) {
  auto http = transport();
  std::vector<int> connections;
  for (int i = 0; i < 4; ++i) {
    auto r = i % 2 == 0 ? http->send(get(fixtures_ + "/echo")) : http->send(post(fixtures_ + "/echo", "a=b"));
    ASSERT_TRUE(r) << r.error().message;
    const Json echo = parse(*r);
    EXPECT_EQ(echo["request_on_connection"], 1) << "request " << i + 1 << " (" << echo["method"] << ")";
    connections.push_back(echo["connection"].get<int>());
  }
  for (std::size_t i = 1; i < connections.size(); ++i) EXPECT_NE(connections[i], connections[i - 1]);
}

TEST_F(WinHttpTransportTest, ContentTypeAndCacheControlAreCaptured) {
  auto r = transport()->send(get(fixtures_ + "/headers"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->content_type, "application/json; charset=utf-8");
  EXPECT_EQ(r->cache_control, "public, max-age=300");
  auto bare = transport()->send(get(fixtures_ + "/redirect"));
  ASSERT_TRUE(bare) << bare.error().message;
  EXPECT_EQ(bare->cache_control, "");
}

// RFC 9449 §9: a resource server's nonce challenge. Both WWW-Authenticate headers arrive, in order, joined as
// RFC 9110 §5.3 allows; a response without them leaves both fields empty.
TEST_F(WinHttpTransportTest, DpopNonceAndEveryWwwAuthenticateAreCaptured) {
  auto r = transport()->send(get(fixtures_ + "/dpop-challenge"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(r->dpop_nonce, "eyJ7S_zG.eyJH0-Z.HX4w-7v");
  EXPECT_EQ(r->www_authenticate, R"(Bearer realm="api", DPoP error="use_dpop_nonce", algs="ES256")");
  auto bare = transport()->send(get(fixtures_ + "/headers"));
  ASSERT_TRUE(bare) << bare.error().message;
  EXPECT_EQ(bare->dpop_nonce, "");
  EXPECT_EQ(bare->www_authenticate, "");
}

TEST_F(WinHttpTransportTest, AnyStatusIsAResponse) {
  auto http = transport();
  for (int status : {201, 204, 401, 404, 500, 503}) {
    auto r = http->send(get(fixtures_ + "/status/" + std::to_string(status)));
    ASSERT_TRUE(r) << status << ": " << r.error().message;
    EXPECT_EQ(r->status, status);
  }
}

TEST_F(WinHttpTransportTest, BadRequestsAreRefusedUnsent) {
  auto http = transport();
  for (const char *url : {"ftp://127.0.0.1/x", "not a url", "file:///C:/x", "https://"}) {
    auto r = http->send(get(url));
    ASSERT_FALSE(r) << url;
    EXPECT_EQ(r.error().code, ErrorCode::invalid_argument) << url << ": " << r.error().message;
  }
  platform::HttpRequest smuggled = get(fixtures_ + "/echo");
  smuggled.headers = {{"X-A", "b\r\nX-Injected: yes"}};
  auto r = http->send(smuggled);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::invalid_argument) << r.error().message;
}

TEST_F(WinHttpTransportTest, SendFromManyThreadsAtOnce) {
  auto http = transport();
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        auto r = (t + i) % 2 == 0 ? http->send(get(fixtures_ + "/echo")) : http->send(post(fixtures_ + "/echo", "a"));
        if (r && r->status == 200) ++ok;
      }
    });
  }
  for (auto &t : threads) t.join();
  EXPECT_EQ(ok.load(), 80);
}

}  // namespace
}  // namespace nativeauth::windows
