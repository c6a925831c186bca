// SPDX-License-Identifier: Apache-2.0
// Test-only minting of keys, JWKs and signed/unsigned JWTs with OpenSSL, independent of the SDK's own code.
#pragma once

#include <nlohmann/json.hpp>

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

// OpenSSL's own spelling of the handle, so this header needs no OpenSSL include (openssl/types.h has the
// same typedef, which C++ allows to be repeated).
struct evp_pkey_st;

namespace nativeauth::testing {

/// An asymmetric signing key for tests: RSA or EC (P-256, P-384, P-521), private half included.
///
/// Failures (OpenSSL errors, an alg that does not fit the key) throw std::runtime_error: these are test
/// helpers, and GoogleTest reports an exception as a failure of the test that triggered it.
/// Move-only; owns and frees its EVP_PKEY. A moved-from key may only be destroyed or assigned to.
class TestKey {
 public:
  /// A fresh RSA key of `bits` (1024 works too, for tests of the SDK's refusal of small keys).
  static TestKey rsa(int bits = 2048);
  /// A fresh EC key on a JOSE curve: "P-256", "P-384" or "P-521".
  static TestKey ec(const std::string &curve = "P-256");

  TestKey(TestKey &&other) noexcept;
  TestKey &operator=(TestKey &&other) noexcept;
  TestKey(const TestKey &) = delete;
  TestKey &operator=(const TestKey &) = delete;
  ~TestKey();

  /// The JWK `kid`; a random 16-hex-digit value unless a test sets it.
  std::string kid;
  /// When set, public_jwk() carries it as the JWK `alg` member (RFC 7517 §4.4).
  std::optional<std::string> alg;

  bool is_rsa() const noexcept { return crv_.empty(); }
  /// "P-256", "P-384", "P-521" for EC keys; empty for RSA.
  const std::string &crv() const noexcept { return crv_; }

  /// The public JWK: kty, kid, use "sig", n/e or crv/x/y (base64url, no padding), and `alg` if set.
  nlohmann::json public_jwk() const;

  /// A compact JWS: b64url(header.dump()) "." b64url(payload.dump()) "." b64url(signature).
  /// The signature uses `sign_alg` if given, else header["alg"]: RS256/384/512, PS256/384/512 or
  /// ES256/384/512 (ECDSA in the JOSE R||S form of RFC 7518 §3.4). Passing `sign_alg` lets a test make a
  /// token whose header lies about how it was signed.
  std::string sign_jwt(const nlohmann::json &header, const nlohmann::json &payload,
                       std::string_view sign_alg = {}) const;

  /// The raw JWS signature of `signing_input` with `jws_alg` (JOSE form for ES*), as a byte string.
  std::string sign(std::string_view jws_alg, std::string_view signing_input) const;

  /// The raw ECDSA signature in DER form (what a buggy provider might send instead of R||S).
  /// Throws for RSA keys.
  std::string sign_der(std::string_view jws_alg, std::string_view signing_input) const;

 private:
  TestKey(evp_pkey_st *pkey, std::string curve);
  evp_pkey_st *pkey_ = nullptr;
  std::string crv_;
};

/// HMAC JWS ("HS256", or HS384/HS512 if header["alg"] says so) with `key` as the secret: used to build
/// the "HMAC signed with the provider's public key as secret" key-confusion attack.
std::string sign_jwt_hmac(const nlohmann::json &header, const nlohmann::json &payload, const std::string &key);

/// "<b64 header>.<b64 payload>." — an unsecured JWS (RFC 7515 §A.5, alg "none"), empty signature.
std::string unsigned_jwt(const nlohmann::json &header, const nlohmann::json &payload);

/// base64url without padding (RFC 4648 §5, RFC 7515 §2). Written here on purpose rather than taken from
/// the SDK, so that a bug in the SDK's codec cannot hide itself in tests.
std::string base64url(const std::string &bytes);
/// Inverse of base64url(); accepts input with or without '=' padding. Throws std::invalid_argument on
/// characters outside the base64url alphabet or an impossible length.
std::string base64url_decode(const std::string &text);

/// {"keys": [k->public_jwk() ...]} (RFC 7517 §5).
nlohmann::json jwks_of(std::initializer_list<const TestKey *> keys);

}  // namespace nativeauth::testing
