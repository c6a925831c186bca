// SPDX-License-Identifier: Apache-2.0
// Every ID token rule of OIDC Core §3.1.3.7, each positive case with a negative twin.
// Keys are minted with OpenSSL in tests/support (not the SDK's code); the clock is a fixed value.
#include "oidc/id_token.hpp"

#include "test_jwt.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace nativeauth::oidc {
namespace {

using nativeauth::testing::TestKey;
using Json = nlohmann::json;

constexpr std::int64_t kNow = 1'800'000'000;
const std::string kIssuer = "https://idp.example/tenant";
const std::string kClient = "app-1";

/// Serves a JWKS from memory and counts fetches; `next` replaces the keys on a refresh (rotation).
class FakeKeys final : public KeySource {
 public:
  explicit FakeKeys(Json jwks) : current_(std::move(jwks)) {}
  Result<KeySet> keys(bool refresh) override {
    ++calls;
    if (refresh) {
      ++refreshes;
      if (next_) current_ = *next_;
    }
    auto parsed = parse_jwks(current_.dump());
    if (!parsed) return std::move(parsed).error();
    return KeySet{std::move(*parsed), refresh && skip_refetch};
  }
  void rotate_to(Json jwks) { next_ = std::move(jwks); }
  int calls = 0;
  int refreshes = 0;
  bool skip_refetch = false;  ///< answer keys(true) as a JwksCache does within its refetch interval

 private:
  Json current_;
  std::optional<Json> next_;
};

Json claims() {
  return {{"iss", kIssuer},   {"sub", "user-42"},  {"aud", kClient},         {"exp", kNow + 300},
          {"iat", kNow - 10}, {"nonce", "n-0nce"}, {"auth_time", kNow - 60}, {"name", "Alice"}};
}

IdTokenCheck check(std::vector<std::string> algs = {"RS256", "ES256", "PS256"}) {
  IdTokenCheck c;
  c.issuer = kIssuer;
  c.client_id = kClient;
  c.nonce = "n-0nce";
  c.allowed_algs = std::move(algs);
  c.leeway = std::chrono::seconds(60);
  c.now = std::chrono::system_clock::time_point(std::chrono::seconds(kNow));
  return c;
}

// Key generation is slow (RSA); every test shares one pair.
TestKey &shared_rsa() {
  static TestKey k = TestKey::rsa();
  return k;
}
TestKey &shared_ec() {
  static TestKey k = TestKey::ec("P-256");
  return k;
}

class IdToken : public ::testing::Test {
 protected:
  TestKey &rsa = shared_rsa();
  TestKey &ec = shared_ec();
  FakeKeys keys{nativeauth::testing::jwks_of({&rsa, &ec})};

  std::string rs256(const Json &payload) { return rsa.sign_jwt({{"alg", "RS256"}, {"kid", rsa.kid}}, payload); }
  Result<Json> validate(const std::string &token, const IdTokenCheck &c = check()) {
    return validate_id_token(token, c, keys);
  }
  void expect_code(const std::string &token, ErrorCode code, const IdTokenCheck &c = check()) {
    auto r = validate(token, c);
    ASSERT_FALSE(r) << "expected " << to_string(code);
    EXPECT_EQ(r.error().code, code) << r.error().message;
    if (token.size() > 16) {
      EXPECT_EQ(r.error().message.find(token.substr(token.size() - 16)), std::string::npos) << "the token leaked";
    }
  }
};

TEST_F(IdToken, ValidRs256TokenYieldsClaims) {
  auto r = validate(rs256(claims()));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ((*r)["sub"], "user-42");
  EXPECT_EQ((*r)["name"], "Alice");
}

TEST_F(IdToken, ValidEs256AndPs256Tokens) {
  EXPECT_TRUE(validate(ec.sign_jwt({{"alg", "ES256"}, {"kid", ec.kid}}, claims())));
  EXPECT_TRUE(validate(rsa.sign_jwt({{"alg", "PS256"}, {"kid", rsa.kid}}, claims())));
}

TEST_F(IdToken, TamperedPayloadFailsSignature) {
  const std::string good = rs256(claims());
  Json evil = claims();
  evil["sub"] = "admin";
  const std::string header = good.substr(0, good.find('.'));
  const std::string sig = good.substr(good.rfind('.'));
  const std::string forged = header + "." + nativeauth::testing::base64url(evil.dump()) + sig;
  expect_code(forged, ErrorCode::id_token_signature);
}

TEST_F(IdToken, SignatureByAnotherKeyWithSameKidFails) {
  TestKey other = TestKey::rsa();
  expect_code(other.sign_jwt({{"alg", "RS256"}, {"kid", rsa.kid}}, claims()), ErrorCode::id_token_signature);
}

TEST_F(IdToken, AlgNoneIsRefused) {
  expect_code(nativeauth::testing::unsigned_jwt({{"alg", "none"}}, claims()), ErrorCode::id_token_algorithm);
}

TEST_F(IdToken, HmacWithThePublicKeyAsSecretIsRefused) {
  // The classic key-confusion attack: HS256 keyed with the provider's public JWK.
  const std::string token = nativeauth::testing::sign_jwt_hmac({{"alg", "HS256"}, {"kid", rsa.kid}}, claims(),
                                                               rsa.public_jwk().dump());
  expect_code(token, ErrorCode::id_token_algorithm);
}

TEST_F(IdToken, AlgorithmNotAdvertisedByProviderIsRefused) {
  const auto only_rs = check({"RS256"});
  EXPECT_TRUE(validate(rs256(claims()), only_rs));
  expect_code(ec.sign_jwt({{"alg", "ES256"}, {"kid", ec.kid}}, claims()), ErrorCode::id_token_algorithm, only_rs);
}

TEST_F(IdToken, NoAdvertisedAlgsMeansRs256Only) {
  EXPECT_TRUE(validate(rs256(claims()), check({})));
  expect_code(ec.sign_jwt({{"alg", "ES256"}, {"kid", ec.kid}}, claims()), ErrorCode::id_token_algorithm, check({}));
}

TEST_F(IdToken, HeaderAlgThatDoesNotFitTheKeyIsRefused) {
  // Claims ES256 but names the RSA key: no key fits, even after a refetch.
  expect_code(ec.sign_jwt({{"alg", "ES256"}, {"kid", rsa.kid}}, claims()), ErrorCode::id_token_unknown_key);
}

TEST_F(IdToken, UnknownKidRefetchesOnceAndSucceedsAfterRotation) {
  TestKey rotated = TestKey::rsa();
  keys.rotate_to(nativeauth::testing::jwks_of({&rotated}));
  auto r = validate(rotated.sign_jwt({{"alg", "RS256"}, {"kid", rotated.kid}}, claims()));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(keys.refreshes, 1);
}

TEST_F(IdToken, UnknownKidRefetchesOnceThenFails) {
  TestKey stranger = TestKey::rsa();
  expect_code(stranger.sign_jwt({{"alg", "RS256"}, {"kid", stranger.kid}}, claims()), ErrorCode::id_token_unknown_key);
  EXPECT_EQ(keys.refreshes, 1);
  EXPECT_EQ(keys.calls, 2);
}

TEST_F(IdToken, UnknownKidSaysWhenTheRefetchWasSkipped) {
  // A JwksCache answers keys(true) from its copy within 10 s of the last fetch: the message must not
  // claim a refetch that did not happen.
  TestKey stranger = TestKey::rsa();
  const std::string token = stranger.sign_jwt({{"alg", "RS256"}, {"kid", stranger.kid}}, claims());
  auto refetched = validate(token);
  ASSERT_FALSE(refetched);
  EXPECT_NE(refetched.error().message.find("even after refetching"), std::string::npos) << refetched.error().message;
  keys.skip_refetch = true;
  auto skipped = validate(token);
  ASSERT_FALSE(skipped);
  EXPECT_EQ(skipped.error().code, ErrorCode::id_token_unknown_key);
  EXPECT_EQ(skipped.error().message.find("even after refetching"), std::string::npos) << skipped.error().message;
  EXPECT_NE(skipped.error().message.find("not fetched again"), std::string::npos) << skipped.error().message;
}

TEST_F(IdToken, UntrustedValuesInMessagesAreQuotedAndEscaped) {
  // A hostile provider's kid, iss and azp carry terminal escape sequences (OSC 0 retitles, CSI 2J clears).
  const std::string hostile = "\x1b]0;pwned\x07\x1b[2J";
  TestKey stranger = TestKey::rsa();
  std::vector<Error> errors;
  errors.push_back(validate(stranger.sign_jwt({{"alg", "RS256"}, {"kid", hostile}}, claims())).error());
  Json wrong_iss = claims();
  wrong_iss["iss"] = hostile;
  errors.push_back(validate(rs256(wrong_iss)).error());
  Json wrong_azp = claims();
  wrong_azp["azp"] = hostile;
  errors.push_back(validate(rs256(wrong_azp)).error());
  errors.push_back(validate(nativeauth::testing::unsigned_jwt({{"alg", hostile}}, claims())).error());
  for (const Error &e : errors) {
    EXPECT_EQ(e.message.find('\x1b'), std::string::npos) << e.message;
    EXPECT_EQ(e.message.find('\x07'), std::string::npos) << e.message;
    EXPECT_NE(e.message.find("\"\\x1b]0;pwned\\x07\\x1b[2J\""), std::string::npos) << e.message;
  }
}

TEST_F(IdToken, KnownKidDoesNotRefetch) {
  ASSERT_TRUE(validate(rs256(claims())));
  EXPECT_EQ(keys.refreshes, 0);
}

TEST_F(IdToken, TokenWithoutKidUsesAnyFittingKey) { EXPECT_TRUE(validate(rsa.sign_jwt({{"alg", "RS256"}}, claims()))); }

TEST_F(IdToken, WrongIssuer) {
  Json c = claims();
  c["iss"] = kIssuer + "/";  // exact match: a trailing slash is another issuer
  expect_code(rs256(c), ErrorCode::id_token_issuer);
}

TEST_F(IdToken, WrongAudience) {
  Json c = claims();
  c["aud"] = "another-app";
  expect_code(rs256(c), ErrorCode::id_token_audience);
}

TEST_F(IdToken, SeveralAudiencesNeedAzp) {
  Json c = claims();
  c["aud"] = {kClient, "api"};
  expect_code(rs256(c), ErrorCode::id_token_audience);
  c["azp"] = kClient;
  EXPECT_TRUE(validate(rs256(c)));
  c["azp"] = "api";
  expect_code(rs256(c), ErrorCode::id_token_audience);
}

TEST_F(IdToken, ExpiredTokenSaysHowFarTheClocksDisagree) {
  Json c = claims();
  c["exp"] = kNow - 3600;
  auto r = validate(rs256(c));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::id_token_expired);
  EXPECT_NE(r.error().message.find("3600 s"), std::string::npos) << r.error().message;
}

TEST_F(IdToken, ExpiryWithinLeewayIsAccepted) {
  Json c = claims();
  c["exp"] = kNow - 30;  // leeway is 60 s
  EXPECT_TRUE(validate(rs256(c)));
  c["exp"] = kNow - 61;
  expect_code(rs256(c), ErrorCode::id_token_expired);
}

TEST_F(IdToken, IssuedInTheFuture) {
  Json c = claims();
  c["iat"] = kNow + 50;
  EXPECT_TRUE(validate(rs256(c)));
  c["iat"] = kNow + 500;
  auto r = validate(rs256(c));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::id_token_not_yet_valid);
  EXPECT_NE(r.error().message.find("500 s"), std::string::npos) << r.error().message;
}

TEST_F(IdToken, NonceMustMatch) {
  Json c = claims();
  c["nonce"] = "replayed";
  expect_code(rs256(c), ErrorCode::id_token_nonce);
  c.erase("nonce");
  expect_code(rs256(c), ErrorCode::id_token_nonce);
}

TEST_F(IdToken, AuthTimeRequiredAndFreshWhenMaxAgeSent) {
  auto with_max_age = check();
  with_max_age.max_age = std::chrono::seconds(300);
  EXPECT_TRUE(validate(rs256(claims()), with_max_age));  // authenticated 60 s ago
  Json old = claims();
  old["auth_time"] = kNow - 1000;
  expect_code(rs256(old), ErrorCode::id_token_auth_time, with_max_age);
  Json none = claims();
  none.erase("auth_time");
  expect_code(rs256(none), ErrorCode::id_token_auth_time, with_max_age);
  EXPECT_TRUE(validate(rs256(none)));  // without max_age, auth_time is optional
}

// max_age reaches the check from the app (the C ABI takes any int64): the largest one accepts any
// authentication time instead of overflowing max_age + leeway (UB; UBSan in the sanitizer build).
TEST_F(IdToken, MaxAgeNearInt64MaxAcceptsAnyAuthTimeWithoutOverflow) {
  for (const std::int64_t huge :
       {std::numeric_limits<std::int64_t>::max(), std::numeric_limits<std::int64_t>::max() - 59}) {
    auto c = check();
    c.max_age = std::chrono::seconds(huge);
    Json long_ago = claims();
    long_ago["auth_time"] = 0;  // 1970: the oldest auth_time check_times lets through
    EXPECT_TRUE(validate(rs256(claims()), c)) << huge;
    EXPECT_TRUE(validate(rs256(long_ago), c)) << huge;
    Json none = claims();
    none.erase("auth_time");
    expect_code(rs256(none), ErrorCode::id_token_auth_time, c);  // still mandatory
  }
  // The twin at the other end: max_age 0 with the default leeway refuses an authentication 61 s old.
  auto zero = check();
  zero.max_age = std::chrono::seconds(0);
  Json c = claims();
  c["auth_time"] = kNow - 61;
  expect_code(rs256(c), ErrorCode::id_token_auth_time, zero);
}

// What sign_in() sends and checks: SignInOptions::max_age through bounded_max_age().
TEST(BoundedMaxAge, UnsetStaysUnsetNegativeIsRefusedHugeIsClamped) {
  const auto unset = bounded_max_age(std::nullopt);
  ASSERT_TRUE(unset);
  EXPECT_FALSE(*unset);
  for (const std::int64_t s : {std::int64_t{0}, std::int64_t{600}, SignInOptions::kMaxAgeLimit.count()}) {
    const auto kept = bounded_max_age(std::chrono::seconds(s));
    ASSERT_TRUE(kept && *kept);
    EXPECT_EQ((*kept)->count(), s);
  }
  for (const std::int64_t s : {SignInOptions::kMaxAgeLimit.count() + 1, std::numeric_limits<std::int64_t>::max()}) {
    const auto clamped = bounded_max_age(std::chrono::seconds(s));
    ASSERT_TRUE(clamped && *clamped);
    EXPECT_EQ(**clamped, SignInOptions::kMaxAgeLimit) << s;
  }
  for (const std::int64_t s : {std::int64_t{-1}, std::numeric_limits<std::int64_t>::min()}) {
    const auto refused = bounded_max_age(std::chrono::seconds(s));
    ASSERT_FALSE(refused) << s;
    EXPECT_EQ(refused.error().code, ErrorCode::invalid_argument);
    EXPECT_NE(refused.error().message.find("max_age"), std::string::npos);
  }
}

TEST_F(IdToken, MissingSubExpOrIat) {
  for (const char *claim : {"sub", "exp", "iat"}) {
    Json c = claims();
    c.erase(claim);
    expect_code(rs256(c), ErrorCode::id_token_malformed);
  }
}

TEST_F(IdToken, MalformedTokens) {
  const std::string good = rs256(claims());
  expect_code("", ErrorCode::id_token_malformed);
  expect_code("abc.def", ErrorCode::id_token_malformed);
  expect_code(good + ".x.y", ErrorCode::id_token_malformed);  // JWE-like five parts
  expect_code("!!!." + good.substr(good.find('.') + 1), ErrorCode::id_token_malformed);
  expect_code(nativeauth::testing::base64url("[1]") + ".e30.sig", ErrorCode::id_token_malformed);
}

TEST_F(IdToken, CriticalHeaderExtensionsAreRefused) {
  expect_code(rsa.sign_jwt({{"alg", "RS256"}, {"kid", rsa.kid}, {"crit", {"exp"}}}, claims()),
              ErrorCode::id_token_malformed);
}

TEST(Jwks, SkipsEncryptionAndUnknownKeysKeepsSigning) {
  TestKey k = TestKey::rsa();
  Json enc = k.public_jwk();
  enc["use"] = "enc";
  enc["kid"] = "enc-key";
  Json doc = {
      {"keys",
       {k.public_jwk(), enc, {{"kty", "oct"}, {"k", "c2VjcmV0"}}, {{"kty", "OKP"}, {"crv", "Ed25519"}, {"x", "AA"}}}}};
  auto keys = parse_jwks(doc.dump());
  ASSERT_TRUE(keys);
  ASSERT_EQ(keys->size(), 1u);
  EXPECT_EQ((*keys)[0].kid, k.kid);
  EXPECT_FALSE(parse_jwks("[]"));
  EXPECT_FALSE(parse_jwks("{\"keys\": 5}"));
}

}  // namespace
}  // namespace nativeauth::oidc

namespace nativeauth::oidc {
namespace {

// Regressions found by tests/fuzz: extreme times must be refused, not overflow or wrap.
TEST_F(IdToken, ExtremeTimesAreMalformedNotOverflow) {
  for (const Json &bad :
       {Json(std::numeric_limits<std::int64_t>::max()), Json(std::numeric_limits<std::int64_t>::min()),
        Json(std::uint64_t{1} << 63), Json(-1), Json(1e30)}) {
    for (const char *claim : {"exp", "iat", "nbf", "auth_time"}) {
      Json c = claims();
      c[claim] = bad;
      auto with_max_age = check();
      with_max_age.max_age = std::chrono::seconds(300);
      expect_code(rs256(c), ErrorCode::id_token_malformed, with_max_age);
    }
  }
}

}  // namespace
}  // namespace nativeauth::oidc
