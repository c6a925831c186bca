// SPDX-License-Identifier: Apache-2.0
// Unit tests of crypto.hpp's OpenSSL backend with keys made by OpenSSL at run time: JWS verification for every
// alg, OpenSSL's error queue and the loading of libcrypto. The backend-neutral tests on fixed data (CSPRNG,
// SHA-256, published JWS vectors, AES-256-GCM, scrypt) are crypto_vectors_test.cpp, linked into the same binary.

#include "crypto/crypto.hpp"

#include "test_jwt.hpp"

#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

namespace {

namespace crypto = nativeauth::crypto;
namespace nt = nativeauth::testing;
using crypto::Bytes;
using crypto::JwkPublicKey;
using nativeauth::ErrorCode;
using nativeauth::Result;

// ---------------------------------------------------------------------------------------------------------
// Helpers

Bytes to_bytes(const std::string &s) { return Bytes(s.begin(), s.end()); }
Bytes b64(const std::string &s) { return to_bytes(nt::base64url_decode(s)); }

/// The SDK's view of a JWK, decoded with the test-side codec.
JwkPublicKey to_key(const nlohmann::json &jwk) {
  JwkPublicKey key;
  key.kty = jwk.at("kty").get<std::string>();
  if (key.kty == "RSA") {
    key.n = b64(jwk.at("n").get<std::string>());
    key.e = b64(jwk.at("e").get<std::string>());
  } else {
    key.crv = jwk.at("crv").get<std::string>();
    key.x = b64(jwk.at("x").get<std::string>());
    key.y = b64(jwk.at("y").get<std::string>());
  }
  return key;
}
JwkPublicKey to_key(const nt::TestKey &k) { return to_key(k.public_jwk()); }

/// A compact JWS taken apart the way the ID token validator will: signing input and decoded signature.
struct Jws {
  std::string signing_input;
  Bytes signature;
};
Jws split(const std::string &compact) {
  const std::size_t last_dot = compact.rfind('.');
  return {compact.substr(0, last_dot), b64(compact.substr(last_dot + 1))};
}

Jws make_jws(const nt::TestKey &key, const std::string &alg) {
  const nlohmann::json header = {{"alg", alg}, {"kid", key.kid}, {"typ", "JWT"}};
  const nlohmann::json payload = {{"iss", "https://issuer.example"}, {"sub", "248289761001"}, {"aud", "app"},
                                  {"nonce", "n-0S6_WzA2Mj"},         {"exp", 1311281970},     {"iat", 1311280970}};
  return split(key.sign_jwt(header, payload));
}

/// Every verification goes through here, so every test also checks that nothing was left on OpenSSL's
/// error queue for an unrelated caller (libcurl's TLS code on the same thread) to trip over.
Result<void> verify(std::string_view alg, const JwkPublicKey &key, std::string_view input, const Bytes &sig) {
  Result<void> r = crypto::verify_signature(alg, key, input, sig);
  EXPECT_EQ(ERR_peek_error(), 0UL) << "verify_signature left an entry on OpenSSL's error queue";
  return r;
}
Result<void> verify(std::string_view alg, const JwkPublicKey &key, const Jws &jws) {
  return verify(alg, key, jws.signing_input, jws.signature);
}

::testing::AssertionResult Succeeds(const Result<void> &r) {
  if (r) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "failed with error " << static_cast<int>(r.error().code) << ": "
                                       << r.error().message;
}
::testing::AssertionResult FailsWith(const Result<void> &r, ErrorCode want) {
  if (r) return ::testing::AssertionFailure() << "succeeded; expected error " << static_cast<int>(want);
  if (r.error().code != want) {
    return ::testing::AssertionFailure() << "error " << static_cast<int>(r.error().code) << " (" << r.error().message
                                         << "); expected " << static_cast<int>(want);
  }
  if (r.error().message.empty()) return ::testing::AssertionFailure() << "error without a message";
  return ::testing::AssertionSuccess();
}

// Key generation (RSA especially) is slow: each key is made once for the whole binary.
const nt::TestKey &rsa_key() {
  static const nt::TestKey k = nt::TestKey::rsa(2048);
  return k;
}
const nt::TestKey &rsa_other() {
  static const nt::TestKey k = nt::TestKey::rsa(2048);
  return k;
}
const nt::TestKey &rsa_1024() {
  static const nt::TestKey k = nt::TestKey::rsa(1024);
  return k;
}
const nt::TestKey &p256() {
  static const nt::TestKey k = nt::TestKey::ec("P-256");
  return k;
}
const nt::TestKey &p256_other() {
  static const nt::TestKey k = nt::TestKey::ec("P-256");
  return k;
}
const nt::TestKey &p384() {
  static const nt::TestKey k = nt::TestKey::ec("P-384");
  return k;
}
const nt::TestKey &p384_other() {
  static const nt::TestKey k = nt::TestKey::ec("P-384");
  return k;
}
const nt::TestKey &p521() {
  static const nt::TestKey k = nt::TestKey::ec("P-521");
  return k;
}
const nt::TestKey &p521_other() {
  static const nt::TestKey k = nt::TestKey::ec("P-521");
  return k;
}

// ---------------------------------------------------------------------------------------------------------
// Loading libcrypto on first use (docs/adr/0008): a missing or wrong library is a clear error, never a crash.
// The process-wide table is loaded once and cannot be unloaded, so these probe other names into a
// throw-away table, through the same code.

#if defined(NATIVEAUTH_CRYPTO_DLOPEN)
TEST(LibcryptoLoading, AMissingLibrarySaysWhatToInstall) {
  const std::string problem = crypto::detail::library_problem("libnativeauth-absent-crypto.so.3");
  EXPECT_NE(problem.find("libcrypto 3 could not be loaded ("), std::string::npos) << problem;
  EXPECT_NE(problem.find("libnativeauth-absent-crypto.so.3"), std::string::npos) << problem;  // dlerror()
  EXPECT_NE(problem.find("install libssl3"), std::string::npos) << problem;
}

TEST(LibcryptoLoading, ALibraryThatIsNotLibcryptoIsRefused) {
  const std::string problem = crypto::detail::library_problem("libc.so.6");
  EXPECT_NE(problem.find("libc.so.6 has no BN_bin2bn"), std::string::npos) << problem;
  EXPECT_NE(problem.find("install libssl3"), std::string::npos) << problem;
}

TEST(LibcryptoLoading, TheRealLibraryIsUsable) {  // the twin: the checks above can pass
  EXPECT_EQ(crypto::detail::library_problem("libcrypto.so.3"), "");
}
#endif

// ---------------------------------------------------------------------------------------------------------
// verify_signature: every accepted alg, each positive test with negative twins

struct AlgCase {
  const char *alg;
  const nt::TestKey &(*key)();
  const nt::TestKey &(*other)();  ///< A different key of the same type and curve.
};

void PrintTo(const AlgCase &c, std::ostream *os) { *os << c.alg; }

class VerifyAlg : public ::testing::TestWithParam<AlgCase> {};

TEST_P(VerifyAlg, ValidSignatureVerifies) {
  const AlgCase &c = GetParam();
  EXPECT_TRUE(Succeeds(verify(c.alg, to_key(c.key()), make_jws(c.key(), c.alg))));
}

TEST_P(VerifyAlg, FlippedBitInSignatureFails) {
  const AlgCase &c = GetParam();
  const Jws good = make_jws(c.key(), c.alg);
  const JwkPublicKey key = to_key(c.key());
  for (std::size_t at : {std::size_t{0}, good.signature.size() / 2, good.signature.size() - 1}) {
    Jws bad = good;
    bad.signature[at] ^= 0x01;
    EXPECT_TRUE(FailsWith(verify(c.alg, key, bad), ErrorCode::id_token_signature)) << "bit flipped in byte " << at;
  }
}

TEST_P(VerifyAlg, ModifiedSigningInputFails) {
  const AlgCase &c = GetParam();
  Jws jws = make_jws(c.key(), c.alg);
  jws.signing_input.back() = jws.signing_input.back() == 'A' ? 'B' : 'A';  // a changed payload claim
  EXPECT_TRUE(FailsWith(verify(c.alg, to_key(c.key()), jws), ErrorCode::id_token_signature));

  Jws extended = make_jws(c.key(), c.alg);
  extended.signing_input += "x";
  EXPECT_TRUE(FailsWith(verify(c.alg, to_key(c.key()), extended), ErrorCode::id_token_signature));
}

TEST_P(VerifyAlg, SignatureByAnotherKeyFails) {
  const AlgCase &c = GetParam();
  EXPECT_TRUE(FailsWith(verify(c.alg, to_key(c.other()), make_jws(c.key(), c.alg)), ErrorCode::id_token_signature));
}

TEST_P(VerifyAlg, TruncatedSignatureFails) {
  const AlgCase &c = GetParam();
  Jws jws = make_jws(c.key(), c.alg);
  jws.signature.pop_back();
  EXPECT_TRUE(FailsWith(verify(c.alg, to_key(c.key()), jws), ErrorCode::id_token_signature));
  jws.signature.clear();
  EXPECT_TRUE(FailsWith(verify(c.alg, to_key(c.key()), jws), ErrorCode::id_token_signature));
}

INSTANTIATE_TEST_SUITE_P(AllAlgs, VerifyAlg,
                         ::testing::Values(AlgCase{"RS256", rsa_key, rsa_other}, AlgCase{"RS384", rsa_key, rsa_other},
                                           AlgCase{"RS512", rsa_key, rsa_other}, AlgCase{"PS256", rsa_key, rsa_other},
                                           AlgCase{"PS384", rsa_key, rsa_other}, AlgCase{"PS512", rsa_key, rsa_other},
                                           AlgCase{"ES256", p256, p256_other}, AlgCase{"ES384", p384, p384_other},
                                           AlgCase{"ES512", p521, p521_other}),
                         [](const ::testing::TestParamInfo<AlgCase> &param_info) {
                           return std::string(param_info.param.alg);
                         });

// A signature is only good for the exact alg it was made with: padding and hash are both bound.
TEST(VerifySignature, SignatureOfOneRsaAlgFailsUnderAnother) {
  const JwkPublicKey key = to_key(rsa_key());
  EXPECT_TRUE(FailsWith(verify("PS256", key, make_jws(rsa_key(), "RS256")), ErrorCode::id_token_signature));
  EXPECT_TRUE(FailsWith(verify("RS256", key, make_jws(rsa_key(), "PS256")), ErrorCode::id_token_signature));
  EXPECT_TRUE(FailsWith(verify("RS384", key, make_jws(rsa_key(), "RS256")), ErrorCode::id_token_signature));
  EXPECT_TRUE(FailsWith(verify("PS512", key, make_jws(rsa_key(), "PS384")), ErrorCode::id_token_signature));
}

// RFC 7518 §3.5: the PSS salt is exactly as long as the hash. A PSS signature with another salt length
// (OpenSSL signs with the maximum by default) is refused; its twin with the digest length verifies.
TEST(VerifySignature, PssSaltMustBeTheDigestLength) {
  struct PkeyFree {
    void operator()(EVP_PKEY *p) const { EVP_PKEY_free(p); }
  };
  struct MdCtxFree {
    void operator()(EVP_MD_CTX *p) const { EVP_MD_CTX_free(p); }
  };
  struct BnFree {
    void operator()(BIGNUM *p) const { BN_free(p); }
  };
  std::unique_ptr<EVP_PKEY, PkeyFree> pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{2048}));
  ASSERT_TRUE(pkey);

  JwkPublicKey key;
  key.kty = "RSA";
  for (auto [name, out] : {std::pair{OSSL_PKEY_PARAM_RSA_N, &key.n}, std::pair{OSSL_PKEY_PARAM_RSA_E, &key.e}}) {
    BIGNUM *raw = nullptr;
    ASSERT_EQ(EVP_PKEY_get_bn_param(pkey.get(), name, &raw), 1);
    std::unique_ptr<BIGNUM, BnFree> bn(raw);
    out->resize(static_cast<std::size_t>(BN_num_bytes(bn.get())));
    BN_bn2bin(bn.get(), out->data());
  }

  const std::string input = "eyJhbGciOiJQUzI1NiJ9.eyJzdWIiOiIxIn0";
  auto sign_pss = [&](int saltlen) {
    std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
    EVP_PKEY_CTX *pctx = nullptr;
    EXPECT_EQ(EVP_DigestSignInit_ex(ctx.get(), &pctx, "SHA256", nullptr, nullptr, pkey.get(), nullptr), 1);
    EXPECT_EQ(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING), 1);
    EXPECT_EQ(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, saltlen), 1);
    Bytes sig(256);
    std::size_t len = sig.size();
    EXPECT_EQ(EVP_DigestSign(ctx.get(), sig.data(), &len, reinterpret_cast<const unsigned char *>(input.data()),
                             input.size()),
              1);
    sig.resize(len);
    return sig;
  };
  EXPECT_TRUE(Succeeds(verify("PS256", key, input, sign_pss(RSA_PSS_SALTLEN_DIGEST))));
  EXPECT_TRUE(FailsWith(verify("PS256", key, input, sign_pss(RSA_PSS_SALTLEN_MAX)), ErrorCode::id_token_signature));
  EXPECT_TRUE(FailsWith(verify("PS256", key, input, sign_pss(0)), ErrorCode::id_token_signature));
}

// ---------------------------------------------------------------------------------------------------------
// verify_signature: algorithms and keys that must be refused

TEST(VerifySignature, AlgThatDoesNotFitTheKeyIsRefused) {
  const Jws rs = make_jws(rsa_key(), "RS256");
  const Jws es = make_jws(p256(), "ES256");
  EXPECT_TRUE(FailsWith(verify("RS256", to_key(p256()), rs), ErrorCode::id_token_algorithm));
  EXPECT_TRUE(FailsWith(verify("PS256", to_key(p256()), rs), ErrorCode::id_token_algorithm));
  EXPECT_TRUE(FailsWith(verify("ES256", to_key(rsa_key()), es), ErrorCode::id_token_algorithm));
  // RFC 7518 §3.4 ties each ES alg to one curve.
  EXPECT_TRUE(FailsWith(verify("ES256", to_key(p384()), es), ErrorCode::id_token_algorithm));
  EXPECT_TRUE(FailsWith(verify("ES384", to_key(p256()), es), ErrorCode::id_token_algorithm));
  EXPECT_TRUE(FailsWith(verify("ES512", to_key(p384()), es), ErrorCode::id_token_algorithm));

  JwkPublicKey odd_kty = to_key(rsa_key());
  odd_kty.kty = "oct";
  EXPECT_TRUE(FailsWith(verify("RS256", odd_kty, rs), ErrorCode::id_token_algorithm));
  odd_kty.kty = "rsa";  // kty is case-sensitive (RFC 7517 §4.1)
  EXPECT_TRUE(FailsWith(verify("RS256", odd_kty, rs), ErrorCode::id_token_algorithm));

  JwkPublicKey k1 = to_key(p256());
  k1.crv = "secp256k1";
  EXPECT_TRUE(FailsWith(verify("ES256", k1, es), ErrorCode::id_token_algorithm));
}

TEST(VerifySignature, UnsupportedAlgIsRefused) {
  const Jws rs = make_jws(rsa_key(), "RS256");
  const JwkPublicKey key = to_key(rsa_key());
  for (std::string_view alg : {std::string_view("HS256"), std::string_view("HS384"), std::string_view("HS512"),
                               std::string_view("none"), std::string_view("None"), std::string_view(""),
                               std::string_view("rs256"), std::string_view("RS256 "), std::string_view("RS1"),
                               std::string_view("ES256K"), std::string_view("EdDSA"), std::string_view("RS256\0", 6)}) {
    EXPECT_TRUE(FailsWith(verify(alg, key, rs), ErrorCode::id_token_algorithm)) << "alg of size " << alg.size();
  }
}

TEST(VerifySignature, UnsupportedAlgMessageQuotesOnlyAShortPrintablePrefix) {
  const std::string hostile = "HS256\n\x01" + std::string(200, 'A');
  Result<void> r = verify(hostile, to_key(rsa_key()), make_jws(rsa_key(), "RS256"));
  ASSERT_TRUE(FailsWith(r, ErrorCode::id_token_algorithm));
  EXPECT_EQ(r.error().message.find('\n'), std::string::npos);
  EXPECT_EQ(r.error().message.find(std::string(50, 'A')), std::string::npos);
}

// The key-confusion attack: an HS256 token whose HMAC secret is the provider's public key.
TEST(VerifySignature, HmacSignedWithThePublicKeyIsRefused) {
  const nlohmann::json payload = {{"iss", "https://issuer.example"}, {"sub", "attacker"}};
  const std::string secret = rsa_key().public_jwk().dump();
  const Jws forged = split(nt::sign_jwt_hmac({{"alg", "HS256"}}, payload, secret));
  EXPECT_TRUE(FailsWith(verify("HS256", to_key(rsa_key()), forged), ErrorCode::id_token_algorithm));
  // Had the header been rewritten to RS256, the MAC is no RSA signature.
  EXPECT_TRUE(FailsWith(verify("RS256", to_key(rsa_key()), forged), ErrorCode::id_token_signature));
}

TEST(VerifySignature, UnsignedTokenIsRefused) {
  const Jws none = split(nt::unsigned_jwt({{"alg", "none"}}, {{"sub", "attacker"}}));
  EXPECT_TRUE(none.signature.empty());
  EXPECT_TRUE(FailsWith(verify("none", to_key(rsa_key()), none), ErrorCode::id_token_algorithm));
  EXPECT_TRUE(FailsWith(verify("RS256", to_key(rsa_key()), none), ErrorCode::id_token_signature));
  EXPECT_TRUE(FailsWith(verify("ES256", to_key(p256()), none), ErrorCode::id_token_signature));
}

// RFC 7518 §3.3: RSA keys of at least 2048 bits. The 1024-bit key's own valid signature is refused.
TEST(VerifySignature, RsaKeyUnder2048BitsIsRefused) {
  EXPECT_TRUE(FailsWith(verify("RS256", to_key(rsa_1024()), make_jws(rsa_1024(), "RS256")),
                        ErrorCode::id_token_algorithm));
  EXPECT_TRUE(FailsWith(verify("PS256", to_key(rsa_1024()), make_jws(rsa_1024(), "PS256")),
                        ErrorCode::id_token_algorithm));
  // Zero bytes in front of the modulus do not make it any bigger.
  JwkPublicKey padded = to_key(rsa_1024());
  padded.n.insert(padded.n.begin(), 128, 0);
  EXPECT_TRUE(FailsWith(verify("RS256", padded, make_jws(rsa_1024(), "RS256")), ErrorCode::id_token_algorithm));
}

// Twin of the above: some providers prefix n with a zero byte (against RFC 7518 §6.3.1.1); the key is sound.
TEST(VerifySignature, RsaModulusWithLeadingZeroStillVerifies) {
  JwkPublicKey padded = to_key(rsa_key());
  padded.n.insert(padded.n.begin(), 0);
  EXPECT_TRUE(Succeeds(verify("RS256", padded, make_jws(rsa_key(), "RS256"))));
}

TEST(VerifySignature, InvalidRsaKeyMaterialIsMalformed) {
  const Jws rs = make_jws(rsa_key(), "RS256");
  const JwkPublicKey good = to_key(rsa_key());

  JwkPublicKey k = good;
  k.n.clear();
  EXPECT_TRUE(FailsWith(verify("RS256", k, rs), ErrorCode::id_token_malformed));
  k = good;
  k.e.clear();
  EXPECT_TRUE(FailsWith(verify("RS256", k, rs), ErrorCode::id_token_malformed));
  k = good;
  k.e = {0x01};  // e = 1 turns "verification" into comparing against the padded message
  EXPECT_TRUE(FailsWith(verify("RS256", k, rs), ErrorCode::id_token_malformed));
  k = good;
  k.e = {0x01, 0x00, 0x00};  // even
  EXPECT_TRUE(FailsWith(verify("RS256", k, rs), ErrorCode::id_token_malformed));
  k = good;
  k.n.back() &= 0xFE;  // an even modulus is no RSA modulus
  EXPECT_TRUE(FailsWith(verify("RS256", k, rs), ErrorCode::id_token_malformed));
}

TEST(VerifySignature, RsaSignatureLongerThanTheModulusFails) {
  Jws jws = make_jws(rsa_key(), "RS256");
  jws.signature.insert(jws.signature.begin(), 0);
  EXPECT_TRUE(FailsWith(verify("RS256", to_key(rsa_key()), jws), ErrorCode::id_token_signature));
}

// ---------------------------------------------------------------------------------------------------------
// verify_signature: ECDSA encodings and points

// RFC 7518 §3.4: R||S is exactly twice the coordinate length (64 bytes for ES256, 132 for ES512).
TEST(VerifySignature, EcdsaSignatureOfWrongLengthFails) {
  const Jws good = make_jws(p256(), "ES256");
  ASSERT_EQ(good.signature.size(), 64U);
  for (std::size_t len :
       {std::size_t{0}, std::size_t{32}, std::size_t{63}, std::size_t{65}, std::size_t{96}, std::size_t{128}}) {
    Jws bad = good;
    bad.signature.resize(len, 0);
    EXPECT_TRUE(FailsWith(verify("ES256", to_key(p256()), bad), ErrorCode::id_token_signature)) << len;
  }
  Jws es512 = make_jws(p521(), "ES512");
  ASSERT_EQ(es512.signature.size(), 132U);
  es512.signature.erase(es512.signature.begin(), es512.signature.begin() + 2);  // 2 x 65: P-521 is 66 bytes
  EXPECT_TRUE(FailsWith(verify("ES512", to_key(p521()), es512), ErrorCode::id_token_signature));
}

// What a provider that forgot the RFC 7518 §3.4 conversion sends: a valid signature, but in DER. Refused
// (id_token_signature), since accepting two encodings of one signature invites malleability bugs.
TEST(VerifySignature, DerEncodedEcdsaSignatureIsRefused) {
  const std::string input = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiIxIn0";
  for (const auto &[alg, key] : {std::pair{"ES256", &p256}, std::pair{"ES384", &p384}, std::pair{"ES512", &p521}}) {
    const Bytes der = to_bytes(key().sign_der(alg, input));
    ASSERT_EQ(der.at(0), 0x30) << "not a DER SEQUENCE";
    EXPECT_TRUE(FailsWith(verify(alg, to_key(key()), input, der), ErrorCode::id_token_signature)) << alg;
    // Twin: the same signature in JOSE form verifies.
    EXPECT_TRUE(Succeeds(verify(alg, to_key(key()), input, to_bytes(key().sign(alg, input))))) << alg;
  }
}

TEST(VerifySignature, ZeroEcdsaSignatureFails) {
  const Jws jws = make_jws(p256(), "ES256");
  EXPECT_TRUE(FailsWith(verify("ES256", to_key(p256()), jws.signing_input, Bytes(64, 0)),
                        ErrorCode::id_token_signature));
}

// A garbled y puts the point off the curve: refused as invalid key material (id_token_malformed), before
// any ECDSA arithmetic runs on it (invalid-curve attacks).
TEST(VerifySignature, EcPointNotOnTheCurveIsMalformed) {
  const Jws jws = make_jws(p256(), "ES256");
  JwkPublicKey k = to_key(p256());
  k.y.back() ^= 0x01;
  EXPECT_TRUE(FailsWith(verify("ES256", k, jws), ErrorCode::id_token_malformed));

  JwkPublicKey zero = to_key(p256());
  std::fill(zero.x.begin(), zero.x.end(), 0);
  std::fill(zero.y.begin(), zero.y.end(), 0);
  EXPECT_TRUE(FailsWith(verify("ES256", zero, jws), ErrorCode::id_token_malformed));

  JwkPublicKey k521 = to_key(p521());
  k521.y[10] ^= 0x80;
  EXPECT_TRUE(FailsWith(verify("ES512", k521, make_jws(p521(), "ES512")), ErrorCode::id_token_malformed));
}

// RFC 7518 §6.2.1.2: x and y have the full coordinate length, leading zero bytes included; anything else
// is refused rather than guessed at.
TEST(VerifySignature, EcCoordinateOfWrongLengthIsMalformed) {
  const Jws jws = make_jws(p256(), "ES256");
  JwkPublicKey k = to_key(p256());
  k.x.insert(k.x.begin(), 0);
  EXPECT_TRUE(FailsWith(verify("ES256", k, jws), ErrorCode::id_token_malformed));
  k = to_key(p256());
  k.y.pop_back();
  EXPECT_TRUE(FailsWith(verify("ES256", k, jws), ErrorCode::id_token_malformed));
  k = to_key(p256());
  k.x.clear();
  k.y.clear();
  EXPECT_TRUE(FailsWith(verify("ES256", k, jws), ErrorCode::id_token_malformed));
}

// ---------------------------------------------------------------------------------------------------------
// OpenSSL's error queue

TEST(VerifySignature, KeepsErrorsThatWereQueuedBeforeTheCall) {
  ERR_clear_error();
  ERR_raise(ERR_LIB_USER, 42);  // someone else's pending error
  JwkPublicKey k = to_key(p256());
  k.y.back() ^= 0x01;  // makes OpenSSL queue errors of its own
  Result<void> r = crypto::verify_signature("ES256", k, "a.b", Bytes(64, 1));
  EXPECT_FALSE(r.has_value());
  const unsigned long first = ERR_get_error();
  EXPECT_EQ(ERR_GET_LIB(first), ERR_LIB_USER);
  EXPECT_EQ(ERR_GET_REASON(first), 42);
  EXPECT_EQ(ERR_get_error(), 0UL) << "verify_signature's own errors were left behind";
}

// ---------------------------------------------------------------------------------------------------------
// The test-side helpers themselves (other suites rely on them)

// RFC 4648 §10 vectors, in the URL-safe alphabet without padding.
TEST(TestJwt, Base64urlMatchesRfc4648) {
  EXPECT_EQ(nt::base64url(""), "");
  EXPECT_EQ(nt::base64url("f"), "Zg");
  EXPECT_EQ(nt::base64url("fo"), "Zm8");
  EXPECT_EQ(nt::base64url("foo"), "Zm9v");
  EXPECT_EQ(nt::base64url("foob"), "Zm9vYg");
  EXPECT_EQ(nt::base64url("fooba"), "Zm9vYmE");
  EXPECT_EQ(nt::base64url("foobar"), "Zm9vYmFy");
  EXPECT_EQ(nt::base64url("\xfb\xff\xbf"), "-_-_");  // the two URL-safe characters
  EXPECT_EQ(nt::base64url_decode("Zm9vYmE"), "fooba");
  EXPECT_EQ(nt::base64url_decode("Zm9vYmE="), "fooba");
  EXPECT_EQ(nt::base64url_decode("-_-_"), "\xfb\xff\xbf");
}

TEST(TestJwt, Base64urlDecodeRefusesGarbage) {
  EXPECT_THROW(nt::base64url_decode("Zm9v+g"), std::invalid_argument);  // '+' is plain base64
  EXPECT_THROW(nt::base64url_decode("Zm9vY"), std::invalid_argument);   // impossible length
}

TEST(TestJwt, PublicJwkHasTheJoseMembers) {
  nt::TestKey key = nt::TestKey::ec("P-521");
  nlohmann::json jwk = key.public_jwk();
  EXPECT_EQ(jwk["kty"], "EC");
  EXPECT_EQ(jwk["crv"], "P-521");
  EXPECT_EQ(jwk["use"], "sig");
  EXPECT_EQ(jwk["kid"], key.kid);
  EXPECT_EQ(key.kid.size(), 16U);
  EXPECT_EQ(jwk["x"].get<std::string>().size(), 88U);  // 66 bytes, unpadded base64url
  EXPECT_FALSE(jwk.contains("alg"));
  EXPECT_FALSE(jwk.contains("d"));

  key.alg = "ES512";
  key.kid = "k1";
  nt::TestKey moved = std::move(key);
  jwk = moved.public_jwk();
  EXPECT_EQ(jwk["alg"], "ES512");
  EXPECT_EQ(jwk["kid"], "k1");

  const nlohmann::json rsa = rsa_key().public_jwk();
  EXPECT_EQ(rsa["kty"], "RSA");
  EXPECT_EQ(rsa["e"], "AQAB");
  EXPECT_EQ(nt::base64url_decode(rsa["n"].get<std::string>()).size(), 256U);

  const nlohmann::json jwks = nt::jwks_of({&rsa_key(), &moved});
  ASSERT_EQ(jwks["keys"].size(), 2U);
  EXPECT_EQ(jwks["keys"][1]["kid"], "k1");
}

TEST(TestJwt, SignJwtCanLieAboutItsAlg) {
  const std::string token = rsa_key().sign_jwt({{"alg", "RS256"}}, {{"sub", "1"}}, "PS256");
  EXPECT_EQ(token.substr(0, token.find('.')), nt::base64url(R"({"alg":"RS256"})"));
  EXPECT_TRUE(Succeeds(verify("PS256", to_key(rsa_key()), split(token))));
  EXPECT_TRUE(FailsWith(verify("RS256", to_key(rsa_key()), split(token)), ErrorCode::id_token_signature));
  EXPECT_THROW((void)p256().sign_jwt({{"alg", "RS256"}}, {{"sub", "1"}}), std::runtime_error);
  EXPECT_THROW((void)p256().sign_jwt({{"alg", "ES384"}}, {{"sub", "1"}}), std::runtime_error);
}

TEST(TestJwt, UnsignedJwtEndsWithADot) {
  const std::string token = nt::unsigned_jwt({{"alg", "none"}}, {{"sub", "1"}});
  EXPECT_EQ(std::count(token.begin(), token.end(), '.'), 2);
  EXPECT_EQ(token.back(), '.');
}

}  // namespace
