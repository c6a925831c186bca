// SPDX-License-Identifier: Apache-2.0
// JWKS parsing (RFC 7517, RFC 7518 §6) and the refetch-on-unknown-kid cache.
#include "oidc/jwks.hpp"

#include "core/base64url.hpp"
#include "core/json_util.hpp"

#include <algorithm>

namespace nativeauth::oidc {
namespace {

std::optional<crypto::Bytes> decode_member(const core::Json &j, const char *name) {
  const auto text = core::get_string(j, name);
  if (!text) return std::nullopt;
  const auto bytes = core::base64url_decode(*text);
  if (!bytes || bytes->empty()) return std::nullopt;
  return crypto::Bytes(bytes->begin(), bytes->end());
}

std::optional<Jwk> parse_key(const core::Json &j) {
  if (!j.is_object()) return std::nullopt;
  Jwk jwk;
  jwk.kid = core::get_string(j, "kid").value_or("");
  jwk.use = core::get_string(j, "use").value_or("");
  jwk.alg = core::get_string(j, "alg").value_or("");
  if (!jwk.use.empty() && jwk.use != "sig") return std::nullopt;
  // RFC 7517 §4.3: key_ops, when present, must allow verification.
  if (j.contains("key_ops")) {
    const auto ops = core::get_strings(j, "key_ops");
    if (std::find(ops.begin(), ops.end(), "verify") == ops.end()) return std::nullopt;
  }
  jwk.key.kty = core::get_string(j, "kty").value_or("");
  if (jwk.key.kty == "RSA") {
    auto n = decode_member(j, "n");
    auto e = decode_member(j, "e");
    if (!n || !e) return std::nullopt;
    jwk.key.n = std::move(*n);
    jwk.key.e = std::move(*e);
  } else if (jwk.key.kty == "EC") {
    jwk.key.crv = core::get_string(j, "crv").value_or("");
    auto x = decode_member(j, "x");
    auto y = decode_member(j, "y");
    if (jwk.key.crv.empty() || !x || !y) return std::nullopt;
    jwk.key.x = std::move(*x);
    jwk.key.y = std::move(*y);
  } else {
    return std::nullopt;
  }
  return jwk;
}

}  // namespace

Result<std::vector<Jwk>> parse_jwks(std::string_view json) {
  const auto doc = core::parse_object(json);
  if (!doc) return make_error(ErrorCode::jwks_unavailable, "the provider's JWKS is not a JSON object");
  const auto it = doc->find("keys");
  if (it == doc->end() || !it->is_array()) {
    return make_error(ErrorCode::jwks_unavailable, "the provider's JWKS has no \"keys\" array");
  }
  std::vector<Jwk> keys;
  for (const auto &k : *it)
    if (auto jwk = parse_key(k)) keys.push_back(std::move(*jwk));
  return keys;
}

JwksCache::JwksCache(std::shared_ptr<platform::HttpTransport> http, std::string jwks_uri, core::Logger log,
                     std::chrono::seconds min_refetch_interval)
    : http_(std::move(http)),
      jwks_uri_(std::move(jwks_uri)),
      log_(std::move(log)),
      min_refetch_interval_(min_refetch_interval) {}

Result<std::vector<Jwk>> JwksCache::fetch() {
  platform::HttpRequest request;
  request.url = jwks_uri_;
  request.headers.emplace_back("Accept", "application/json, application/jwk-set+json");
  auto response = http_->send(request);
  if (!response) {
    Error e = std::move(response).error();
    e.message = "could not fetch the provider's signing keys from " + jwks_uri_ + ": " + e.message;
    return e;
  }
  if (response->status != 200) {
    Error e = make_error(ErrorCode::jwks_unavailable,
                         "the provider's jwks_uri " + jwks_uri_ + " answered HTTP " + std::to_string(response->status));
    e.http_status = response->status;
    e.transient = response->status >= 500;
    return e;
  }
  return parse_jwks(response->body.reveal());
}

Result<KeySet> JwksCache::keys(bool refresh) {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto now = std::chrono::steady_clock::now();
  const bool stale_enough = !have_keys_ || now - fetched_at_ >= min_refetch_interval_;
  if (have_keys_ && !(refresh && stale_enough)) return KeySet{keys_, refresh};
  log_.debug(refresh && have_keys_ ? "refetching the provider's JWKS (unknown key id)"
                                   : "fetching the provider's JWKS");
  auto fetched = fetch();
  if (!fetched) return std::move(fetched).error();
  keys_ = std::move(*fetched);
  have_keys_ = true;
  fetched_at_ = now;
  return KeySet{keys_, false};
}

}  // namespace nativeauth::oidc
