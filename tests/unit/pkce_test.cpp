// SPDX-License-Identifier: Apache-2.0
// PKCE against RFC 7636 Appendix B, and the shape of random request tokens.
#include "core/pkce.hpp"

#include "core/base64url.hpp"

#include <gtest/gtest.h>

#include <set>

namespace nativeauth::core {
namespace {

TEST(Pkce, Rfc7636AppendixBVector) {
  // RFC 7636 Appendix B: 32 octets -> verifier -> S256 challenge.
  const std::uint8_t octets[] = {116, 24,  223, 180, 151, 153, 224, 37,  79, 250, 96, 125, 216, 173, 187, 186,
                                 22,  212, 37,  77,  105, 214, 191, 240, 91, 88,  5,  88,  83,  132, 141, 121};
  const std::string verifier = base64url_encode(octets, sizeof octets);
  EXPECT_EQ(verifier, "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
  EXPECT_EQ(s256_challenge(verifier).value(), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}

TEST(Pkce, ChallengeDiffersForAnotherVerifier) {
  EXPECT_NE(s256_challenge("dBjftJeZ4CVP-mJ92K27uhbUJU1p1r_wW1gFWFOEjXj").value(),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}

TEST(Pkce, FreshVerifierIs43UnreservedCharactersAndMatchesChallenge) {
  auto pkce = make_pkce();
  ASSERT_TRUE(pkce);
  const auto v = pkce->verifier.reveal();
  EXPECT_EQ(v.size(), 43u);  // 32 bytes, base64url, no padding (RFC 7636 §4.1)
  for (char c : v) EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') << c;
  EXPECT_EQ(pkce->challenge, s256_challenge(v).value());
}

TEST(Pkce, RandomTokensAreUniqueAnd256Bits) {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    auto t = random_token();
    ASSERT_TRUE(t);
    EXPECT_EQ(t->size(), 43u);
    EXPECT_TRUE(seen.insert(*t).second);
  }
}

}  // namespace
}  // namespace nativeauth::core
