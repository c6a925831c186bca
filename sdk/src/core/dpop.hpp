// SPDX-License-Identifier: Apache-2.0
// DPoP (RFC 9449): proofs, key thumbprints, the nonces servers hand out, and how a refusal asks for one.
// Platform-free: a proof is signed by whatever platform::ProofKey the slot's key store opened.
#pragma once

#include <nativeauth/platform/http_transport.hpp>
#include <nativeauth/platform/key_store.hpp>
#include <nativeauth/result.hpp>
#include <nativeauth/secret.hpp>

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace nativeauth::core {

/// RFC 7638 §3: the base64url SHA-256 of a public JWK's required members in lexicographic order (EC: crv,
/// kty, x, y; RSA: e, kty, n; OKP: crv, kty, x). Errors: ErrorCode::key_unavailable for a JWK that is not a
/// public key of those types (or carries a private member).
Result<std::string> jwk_thumbprint(std::string_view public_jwk);

/// RFC 9449 §4.2: the `htu` of a request to `url`: the URL without its query and fragment. nullopt when
/// `url` is not an absolute http(s) URL.
std::optional<std::string> proof_target(std::string_view url);

/// What one proof claims (RFC 9449 §4.2).
struct ProofClaims {
  std::string_view method;                     ///< htm: the request's method, e.g. "POST"
  std::string_view url;                        ///< the request's URL; htu is made of it with proof_target()
  std::string_view nonce;                      ///< the server's last DPoP-Nonce; empty: none
  const SecretString *access_token = nullptr;  ///< ath = base64url(SHA-256(token)) when given (resource requests)
  std::chrono::system_clock::time_point now;   ///< iat
};

/// A DPoP proof JWT signed by `key`: header {typ "dpop+jwt", alg, jwk}, payload {jti (128 random bits),
/// htm, htu, iat, ath?, nonce?}. Secret-ish (it lets its holder replay one request): a SecretString.
Result<SecretString> make_proof(platform::ProofKey &key, const ProofClaims &claims);

/// Whether `response` refuses a request only for want of a nonce (RFC 9449 §8, §9): the token endpoint's
/// 400 with `error` "use_dpop_nonce", or a resource server's 401 whose DPoP challenge says it; and it gives
/// the nonce to use (DPoP-Nonce).
bool asks_for_nonce(const platform::HttpResponse &response);

/// The last DPoP-Nonce of each server (by origin: scheme://host:port), kept in memory (RFC 9449 §8.2: a
/// nonce is for the server that issued it). Thread-safe.
class NonceBook {
 public:
  /// The nonce to send to `url`'s server; empty when it gave none.
  std::string nonce_for(std::string_view url) const;
  /// Keeps `response`'s DPoP-Nonce, when it has one, for `url`'s server.
  void remember(std::string_view url, const platform::HttpResponse &response);
  /// Keeps `nonce` for `url`'s server (a nonce the app saw itself); false, and nothing kept, when it is not
  /// a valid nonce (RFC 9449 §8.1: NQCHAR, at most 1024 here) or `url` has no origin.
  bool remember(std::string_view url, std::string_view nonce);

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::string> by_origin_;
};

}  // namespace nativeauth::core
