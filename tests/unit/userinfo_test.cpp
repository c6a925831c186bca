// SPDX-License-Identifier: Apache-2.0
// The UserInfo rules (OIDC Core §5.3, §5.4): when the ID token's claims send a sign-in to the UserInfo
// endpoint, and what of its answer is kept. Pure logic; the real request against a provider that keeps
// profile claims out of the ID token is in tests/integration/sign_in_test.cpp.
#include "core/userinfo.hpp"

#include <gtest/gtest.h>

namespace nativeauth::core {
namespace {

const Json kIdToken = Json::parse(R"({"iss":"https://idp.example","sub":"alice","aud":"app","exp":2000000000,
                                      "iat":1700000000,"nonce":"n"})");

TEST(Userinfo, AskedForTheScopesWhoseClaimsTheIdTokenLacksEntirely) {
  const std::vector<std::string> scopes = {"openid", "profile", "email", "offline_access", "phone"};
  EXPECT_EQ(scopes_without_claims(kIdToken, scopes), (std::vector<std::string>{"profile", "email", "phone"}));
  Json with_name = kIdToken;
  with_name["name"] = "Alice Example";
  EXPECT_EQ(scopes_without_claims(with_name, scopes), (std::vector<std::string>{"email", "phone"}));
  with_name["email_verified"] = false;  // one claim of a scope is enough: the provider puts them there
  with_name["phone_number"] = "+1 555";
  EXPECT_TRUE(scopes_without_claims(with_name, scopes).empty());
  EXPECT_TRUE(scopes_without_claims(kIdToken, {"openid", "offline_access", "api:read"}).empty());
  EXPECT_EQ(scopes_without_claims(kIdToken, {"email", "email"}), (std::vector<std::string>{"email"}));
}

TEST(Userinfo, AddsOnlyWhatTheIdTokenLacks) {
  Json claims = kIdToken;
  claims["email"] = "alice@id-token.example";
  auto added = merge_userinfo(claims, R"({"sub":"alice","name":"Alice Example","email":"alice@userinfo.example",
                                          "picture":{"url":"x"}})");
  ASSERT_TRUE(added) << added.error().message;
  EXPECT_EQ(*added, (std::vector<std::string>{"name", "picture"}));
  EXPECT_EQ(claims["name"], "Alice Example");
  EXPECT_EQ(claims["email"], "alice@id-token.example") << "the signed ID token wins";
  EXPECT_EQ(claims["picture"]["url"], "x");
}

TEST(Userinfo, NeverTakesTheIdTokensOwnClaims) {
  Json claims = kIdToken;  // no auth_time, acr, azp or sid in this ID token
  auto added = merge_userinfo(claims, R"({"sub":"alice","auth_time":1,"acr":"urn:strong","azp":"other","sid":"s",
                                          "iss":"https://evil.example","aud":"evil","nonce":"m","locale":"de"})");
  ASSERT_TRUE(added);
  EXPECT_EQ(*added, (std::vector<std::string>{"locale"}));
  EXPECT_FALSE(claims.contains("auth_time"));
  EXPECT_FALSE(claims.contains("acr"));
  EXPECT_FALSE(claims.contains("azp"));
  EXPECT_EQ(claims["iss"], "https://idp.example");
}

// OIDC Core §5.3.2: a response for another subject (a substituted token) MUST NOT be used.
TEST(Userinfo, AnotherSubjectIsRefusedWithNothingAdded) {
  for (const char *body : {R"({"sub":"mallory","name":"Mallory"})", R"({"name":"Nobody"})", R"({"sub":7,"name":"N"})",
                           R"(["sub","alice"])", "not json", ""}) {
    Json claims = kIdToken;
    auto merged = merge_userinfo(claims, body);
    ASSERT_FALSE(merged) << body;
    EXPECT_EQ(merged.error().code, ErrorCode::malformed_response);
    EXPECT_EQ(merged.error().message.find("Mallory"), std::string::npos) << "no value from the response";
    EXPECT_EQ(claims, kIdToken) << body;
  }
}

}  // namespace
}  // namespace nativeauth::core
