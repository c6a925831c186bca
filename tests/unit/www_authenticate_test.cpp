// SPDX-License-Identifier: Apache-2.0
// WWW-Authenticate as resource servers send it: RFC 6750 §3's and RFC 9110 §11.6.1's own examples, RFC 9449
// §7.1's DPoP challenge, several challenges in one value, and what a malformed value leaves.
#include "core/www_authenticate.hpp"

#include <gtest/gtest.h>

#include <string>

namespace nativeauth::core {
namespace {

TEST(WwwAuthenticate, Rfc6750ExampleWithQuotedParameters) {
  const auto c = parse_www_authenticate(
      R"(Bearer realm="example", error="invalid_token", error_description="The access token expired")");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].scheme, "bearer");
  EXPECT_EQ(c[0].param("realm").value_or(""), "example");
  EXPECT_EQ(c[0].param("error").value_or(""), "invalid_token");
  EXPECT_EQ(c[0].param("error_description").value_or(""), "The access token expired");
  EXPECT_FALSE(c[0].param("scope"));
}

TEST(WwwAuthenticate, Rfc9110ExampleWithEscapesTokensAndTwoChallenges) {
  const auto c = parse_www_authenticate(
      R"(Newauth realm="apps", type=1, title="Login to \"apps\"", Basic realm="simple")");
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].scheme, "newauth");
  EXPECT_EQ(c[0].param("type").value_or(""), "1");
  EXPECT_EQ(c[0].param("title").value_or(""), "Login to \"apps\"");
  EXPECT_EQ(c[1].scheme, "basic");
  EXPECT_EQ(c[1].param("realm").value_or(""), "simple");
}

TEST(WwwAuthenticate, DpopNonceChallengeBesideBearer) {
  // RFC 9449 §9 with a Bearer challenge first, as two header fields joined by the transport.
  const auto c = parse_www_authenticate(
      R"(Bearer realm="api", DPoP algs="ES256 PS256", error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof")");
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[1].scheme, "dpop");
  EXPECT_EQ(c[1].param("algs").value_or(""), "ES256 PS256");
  EXPECT_EQ(c[1].param("error").value_or(""), "use_dpop_nonce");
}

TEST(WwwAuthenticate, CaseWhitespaceAndEmptyElementsAreTolerated) {
  const auto c = parse_www_authenticate(" ,  DPOP  ERROR = \"invalid_token\" ,, bearer ,");
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].scheme, "dpop");
  EXPECT_EQ(c[0].param("error").value_or(""), "invalid_token");
  EXPECT_EQ(c[1].scheme, "bearer");
  EXPECT_TRUE(c[1].params.empty());
}

TEST(WwwAuthenticate, Token68) {
  const auto c = parse_www_authenticate("Basic dXNlcjpwYXNz==, Bearer");
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].token68, "dXNlcjpwYXNz==");
  EXPECT_TRUE(c[0].params.empty());
  EXPECT_EQ(c[1].scheme, "bearer");
}

TEST(WwwAuthenticate, MalformedChallengeEndsTheParseKeepingEarlierOnes) {
  EXPECT_TRUE(parse_www_authenticate("").empty());
  EXPECT_TRUE(parse_www_authenticate("\"quoted\"").empty());
  const auto unterminated = parse_www_authenticate(R"(Bearer realm="x", DPoP error="use_dpop_nonce)");
  ASSERT_EQ(unterminated.size(), 1u);
  EXPECT_EQ(unterminated[0].scheme, "bearer");
  const auto no_value = parse_www_authenticate("Bearer realm=, error=x");
  EXPECT_TRUE(no_value.empty() || no_value[0].params.empty() || !no_value[0].param("realm"));
}

TEST(WwwAuthenticate, BoundsAreKept) {
  std::string many;
  for (int i = 0; i < 40; ++i) many += "S" + std::to_string(i) + ", ";
  EXPECT_EQ(parse_www_authenticate(many).size(), 16u);
  std::string params = "Bearer ";
  for (int i = 0; i < 40; ++i) params += "p" + std::to_string(i) + "=v, ";
  EXPECT_TRUE(parse_www_authenticate(params).empty()) << "a challenge over 32 parameters is refused";
  EXPECT_TRUE(parse_www_authenticate("Bearer realm=\"" + std::string(9000, 'a') + "\"").empty());
}

}  // namespace
}  // namespace nativeauth::core
