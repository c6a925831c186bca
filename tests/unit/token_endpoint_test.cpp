// SPDX-License-Identifier: Apache-2.0
// Token endpoint: request shape (public vs confidential), response parsing, OAuth error mapping.
#include "core/token_endpoint.hpp"

#include <gtest/gtest.h>

namespace nativeauth::core {
namespace {

platform::HttpResponse response(int status, const std::string &body) {
  platform::HttpResponse r;
  r.status = status;
  r.body = SecretString(body);
  return r;
}

TEST(TokenRequest, PublicClientSendsClientIdInBody) {
  auto req = make_token_request("https://i/token", {{"grant_type", "authorization_code"}, {"code", "c d"}}, "app",
                                SecretString{});
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.body.reveal(), "grant_type=authorization_code&code=c%20d&client_id=app");
  for (const auto &h : req.headers) EXPECT_NE(h.first, "Authorization");
}

TEST(TokenRequest, ConfidentialClientUsesBasicAuth) {
  auto req = make_token_request("https://i/token", {{"grant_type", "refresh_token"}}, "app", SecretString("s:cr t"));
  EXPECT_EQ(req.body.reveal(), "grant_type=refresh_token");
  bool found = false;
  for (const auto &h : req.headers) {
    if (h.first == "Authorization") {
      found = true;
      EXPECT_EQ(h.second, "Basic YXBwOnMlM0FjciUyMHQ=");  // base64("app:s%3Acr%20t")
    }
  }
  EXPECT_TRUE(found);
}

TEST(TokenResponse, ParsesTokens) {
  auto r = parse_token_response(response(
      200,
      R"({"access_token":"at","token_type":"bearer","expires_in":300,"refresh_token":"rt","id_token":"it","scope":"openid x"})"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->access_token.reveal(), "at");
  EXPECT_EQ(r->refresh_token.reveal(), "rt");
  EXPECT_EQ(r->id_token.reveal(), "it");
  EXPECT_EQ(r->token_type, "Bearer");
  EXPECT_EQ(r->expires_in, 300);
  EXPECT_EQ(r->scope, "openid x");
}

TEST(TokenResponse, RequiresAccessTokenAndBearer) {
  auto none = parse_token_response(response(200, R"({"token_type":"Bearer"})"));
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, ErrorCode::invalid_token_response);
  auto mac = parse_token_response(response(200, R"({"access_token":"a","token_type":"mac"})"));
  ASSERT_FALSE(mac);
  EXPECT_EQ(mac.error().code, ErrorCode::invalid_token_response);
  EXPECT_FALSE(parse_token_response(response(200, "<html>")));
}

TEST(TokenResponse, InvalidGrantIsItsOwnCodeAndNotTransient) {
  auto r = parse_token_response(
      response(400, R"({"error":"invalid_grant","error_description":"grant request is invalid"})"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::invalid_grant);
  EXPECT_EQ(r.error().oauth_error, "invalid_grant");
  EXPECT_EQ(r.error().oauth_description, "grant request is invalid");
  EXPECT_EQ(r.error().http_status, 400);
  EXPECT_FALSE(r.error().transient);
}

TEST(TokenResponse, ServerTroubleIsTransient) {
  auto busy = parse_token_response(response(503, R"({"error":"temporarily_unavailable"})"));
  ASSERT_FALSE(busy);
  EXPECT_EQ(busy.error().code, ErrorCode::token_error);
  EXPECT_TRUE(busy.error().transient);
  auto html = parse_token_response(response(502, "<html>bad gateway</html>"));
  ASSERT_FALSE(html);
  EXPECT_EQ(html.error().code, ErrorCode::http_status);
  EXPECT_TRUE(html.error().transient);
  EXPECT_EQ(html.error().message.find("bad gateway"), std::string::npos) << "bodies never reach messages";
}

}  // namespace
}  // namespace nativeauth::core

namespace nativeauth::core {
namespace {

// Regressions found by tests/fuzz.
TEST(TokenResponse, AbsurdLifetimeIsClamped) {
  auto r = parse_token_response(
      response(200, R"({"access_token":"a","token_type":"Bearer","expires_in":9223372036854775807})"));
  ASSERT_TRUE(r);
  ASSERT_TRUE(r->expires_in);
  EXPECT_LE(*r->expires_in, 10LL * 365 * 24 * 3600);
}

TEST(TokenResponse, DeeplyNestedBodyDoesNotOverflowTheStack) {
  const std::string deep = R"({"error":"invalid_grant","x":)" + std::string(200000, '[') + std::string(200000, ']') +
                           "}";
  auto r = parse_token_response(response(400, deep));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::invalid_grant);
  auto ok = parse_token_response(response(200, R"({"access_token":"a","token_type":"Bearer","x":)" +
                                                   std::string(200000, '[') + std::string(200000, ']') + "}"));
  EXPECT_TRUE(ok);
}

}  // namespace
}  // namespace nativeauth::core
