// SPDX-License-Identifier: Apache-2.0
// DPoP proofs (RFC 9449 §4), JWK thumbprints (RFC 7638) and nonces (RFC 9449 §8, §9).
#include "core/dpop.hpp"

#include "core/base64url.hpp"
#include "core/json_util.hpp"
#include "core/url.hpp"
#include "core/www_authenticate.hpp"
#include "crypto/crypto.hpp"
#include "util/strings.hpp"

#include <array>

namespace nativeauth::core {
namespace {

Error bad_jwk(const std::string &why) {
  return make_error(ErrorCode::key_unavailable, "the DPoP key's public JWK " + why);
}

/// The origin of an absolute URL, "scheme://host:port" with the default port filled in; "" when malformed.
std::string origin_of(std::string_view url) {
  const auto u = parse_url(url);
  if (!u) return {};
  const int port = u->port >= 0 ? u->port : (u->scheme == "https" ? 443 : 80);
  const bool v6 = u->host.find(':') != std::string::npos;
  return u->scheme + "://" + (v6 ? "[" + u->host + "]" : u->host) + ":" + std::to_string(port);
}

std::string b64(const std::string &s) { return base64url_encode(s); }

}  // namespace

Result<std::string> jwk_thumbprint(std::string_view public_jwk) {
  auto jwk = parse_object(public_jwk);
  if (!jwk) return bad_jwk("is not a JSON object");
  const auto kty = get_string(*jwk, "kty").value_or("");
  // RFC 7638 §3.2: only the required members, in lexicographic order, no whitespace.
  std::vector<const char *> members;
  if (kty == "EC") {
    members = {"crv", "kty", "x", "y"};
  } else if (kty == "RSA") {
    members = {"e", "kty", "n"};
  } else if (kty == "OKP") {
    members = {"crv", "kty", "x"};
  } else {
    return bad_jwk("has an unsupported kty");
  }
  if (jwk->contains("d") || jwk->contains("p") || jwk->contains("k")) return bad_jwk("holds a private member");
  Json canonical = Json::object();
  for (const char *m : members) {
    const auto v = get_string(*jwk, m);
    if (!v || v->empty()) return bad_jwk(std::string("lacks \"") + m + "\"");
    canonical[m] = *v;
  }
  auto digest = crypto::sha256(canonical.dump());  // nlohmann/json orders object members: RFC 7638's order
  if (!digest) return std::move(digest).error();
  return base64url_encode(digest->data(), digest->size());
}

std::optional<std::string> proof_target(std::string_view url) {
  const auto u = parse_url(url);
  if (!u || (u->scheme != "https" && u->scheme != "http")) return std::nullopt;
  std::string out(url.substr(0, url.find_first_of("?#")));
  return out;
}

Result<SecretString> make_proof(platform::ProofKey &key, const ProofClaims &claims) {
  const auto htu = proof_target(claims.url);
  if (!htu) return make_error(ErrorCode::invalid_argument, "a DPoP proof needs an absolute http(s) URL");
  auto jwk = parse_object(key.public_jwk());
  if (!jwk) return bad_jwk("is not a JSON object");
  auto jti = crypto::random_bytes(16);
  if (!jti) return std::move(jti).error();

  Json header = {{"typ", "dpop+jwt"}, {"alg", key.algorithm()}, {"jwk", std::move(*jwk)}};
  Json payload = {{"jti", base64url_encode(jti->data(), jti->size())},
                  {"htm", std::string(claims.method)},
                  {"htu", *htu},
                  {"iat", std::chrono::duration_cast<std::chrono::seconds>(claims.now.time_since_epoch()).count()}};
  if (claims.access_token) {
    auto ath = crypto::sha256(claims.access_token->reveal());
    if (!ath) return std::move(ath).error();
    payload["ath"] = base64url_encode(ath->data(), ath->size());
  }
  if (!claims.nonce.empty()) payload["nonce"] = std::string(claims.nonce);

  std::string signing_input = b64(header.dump()) + "." + b64(payload.dump());
  auto signature = key.sign(signing_input);
  if (!signature) return std::move(signature).error();
  signing_input += "." + base64url_encode(signature->data(), signature->size());
  return SecretString(std::move(signing_input));
}

bool asks_for_nonce(const platform::HttpResponse &response) {
  if (response.dpop_nonce.empty()) return false;
  if (response.status == 400) {
    auto body = parse_object(response.body.reveal());
    return body && get_string(*body, "error").value_or("") == "use_dpop_nonce";
  }
  if (response.status != 401) return false;
  for (const Challenge &c : parse_www_authenticate(response.www_authenticate)) {
    if (c.scheme == "dpop" && c.param("error").value_or("") == "use_dpop_nonce") return true;
  }
  return false;
}

std::string NonceBook::nonce_for(std::string_view url) const {
  const std::string origin = origin_of(url);
  std::lock_guard<std::mutex> lock(mutex_);
  const auto it = by_origin_.find(origin);
  return it == by_origin_.end() ? std::string() : it->second;
}

void NonceBook::remember(std::string_view url, const platform::HttpResponse &response) {
  (void)remember(url, std::string_view(response.dpop_nonce));
}

bool NonceBook::remember(std::string_view url, std::string_view nonce) {
  // RFC 9449 §8.1: the nonce is an opaque string of NQCHAR; anything else (or an absurd length) is ignored.
  if (nonce.empty() || nonce.size() > 1024) return false;
  for (char c : nonce) {
    if (c < 0x21 || c > 0x7e || c == '"' || c == '\\') return false;
  }
  const std::string origin = origin_of(url);
  if (origin.empty()) return false;
  std::lock_guard<std::mutex> lock(mutex_);
  by_origin_[origin] = std::string(nonce);
  return true;
}

}  // namespace nativeauth::core
