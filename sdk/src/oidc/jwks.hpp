// SPDX-License-Identifier: Apache-2.0
// JSON Web Key Sets (RFC 7517 §5): parsing, and a cache that refetches when a key is unknown.
#pragma once

#include "core/logger.hpp"
#include "crypto/crypto.hpp"

#include <nativeauth/platform/http_transport.hpp>
#include <nativeauth/result.hpp>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace nativeauth::oidc {

struct Jwk {
  std::string kid;
  std::string use;  ///< "" or "sig"; "enc" keys are dropped while parsing
  std::string alg;  ///< "" when the key does not restrict its algorithm
  crypto::JwkPublicKey key;
};

/// Parses a JWKS document. Keys of other types (oct, OKP), encryption keys and malformed members
/// are skipped (RFC 7517 §5: ignore what is not understood). ErrorCode::jwks_unavailable when the
/// document itself is not a JWKS.
Result<std::vector<Jwk>> parse_jwks(std::string_view json);

/// What a KeySource answered: the keys, and whether a fresh copy was asked for but not fetched (the
/// last fetch was too recent), so that a message can say what really happened.
struct KeySet {
  std::vector<Jwk> keys;
  bool refetch_skipped = false;
};

/// Where ID-token validation gets keys from. keys(true) asks for a fresh copy (unknown kid).
class KeySource {
 public:
  virtual ~KeySource() = default;
  virtual Result<KeySet> keys(bool refresh) = 0;
};

/// Fetches jwks_uri on first use, keeps the keys, refetches on request but at most once every
/// `min_refetch_interval` so that tokens with made-up kids cannot make us hammer the provider.
/// Thread safety: keys() may be called from several threads.
class JwksCache final : public KeySource {
 public:
  JwksCache(std::shared_ptr<platform::HttpTransport> http, std::string jwks_uri, core::Logger log,
            std::chrono::seconds min_refetch_interval = std::chrono::seconds(10));
  Result<KeySet> keys(bool refresh) override;

 private:
  Result<std::vector<Jwk>> fetch();

  std::shared_ptr<platform::HttpTransport> http_;
  std::string jwks_uri_;
  core::Logger log_;
  std::chrono::seconds min_refetch_interval_;
  std::mutex mutex_;
  bool have_keys_ = false;
  std::vector<Jwk> keys_;
  std::chrono::steady_clock::time_point fetched_at_{};
};

}  // namespace nativeauth::oidc
