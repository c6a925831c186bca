// SPDX-License-Identifier: Apache-2.0
// Provider metadata: OpenID Connect Discovery 1.0 §4 with RFC 8414 fallback.
#include "oidc/discovery.hpp"

#include "core/json_util.hpp"
#include "core/url.hpp"
#include "util/quote.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <mutex>

namespace nativeauth::oidc {
namespace {

constexpr auto kCacheLifetime = std::chrono::hours(1);

struct CacheEntry {
  std::shared_ptr<const ProviderMetadata> metadata;
  std::chrono::steady_clock::time_point fetched_at;
};

std::mutex &cache_mutex() {
  static std::mutex m;
  return m;
}
std::map<std::string, CacheEntry> &cache() {
  static std::map<std::string, CacheEntry> c;
  return c;
}

Result<std::string> fetch(platform::HttpTransport &http, const std::string &url, int *status) {
  platform::HttpRequest request;
  request.url = url;
  request.headers.emplace_back("Accept", "application/json");
  auto response = http.send(request);
  if (!response) return std::move(response).error();
  *status = response->status;
  return std::string(response->body.reveal());
}

}  // namespace

std::string openid_configuration_url(const std::string &issuer) {
  std::string base = issuer;
  if (!base.empty() && base.back() == '/') base.pop_back();
  return base + "/.well-known/openid-configuration";
}

std::string oauth_metadata_url(const std::string &issuer) {
  const auto scheme_end = issuer.find("://");
  const auto path_start = scheme_end == std::string::npos ? std::string::npos : issuer.find('/', scheme_end + 3);
  if (path_start == std::string::npos) return issuer + "/.well-known/oauth-authorization-server";
  std::string path = issuer.substr(path_start);
  if (path == "/") path.clear();
  return issuer.substr(0, path_start) + "/.well-known/oauth-authorization-server" + path;
}

Result<ProviderMetadata> parse_provider_metadata(std::string_view json, const std::string &expected_issuer) {
  const auto doc = core::parse_object(json);
  if (!doc) return make_error(ErrorCode::malformed_response, "provider metadata is not a JSON object");
  ProviderMetadata m;
  m.issuer = core::get_string(*doc, "issuer").value_or("");
  if (m.issuer != expected_issuer) {
    return make_error(ErrorCode::issuer_mismatch,
                      "the provider's metadata names issuer " + util::quoted(m.issuer, 200) + ", but " +
                          util::quoted(expected_issuer) +
                          " was configured; they must match exactly (check for a trailing slash or a path)");
  }
  m.authorization_endpoint = core::get_string(*doc, "authorization_endpoint").value_or("");
  m.token_endpoint = core::get_string(*doc, "token_endpoint").value_or("");
  m.jwks_uri = core::get_string(*doc, "jwks_uri").value_or("");
  m.userinfo_endpoint = core::get_string(*doc, "userinfo_endpoint").value_or("");
  m.revocation_endpoint = core::get_string(*doc, "revocation_endpoint").value_or("");
  m.end_session_endpoint = core::get_string(*doc, "end_session_endpoint").value_or("");
  m.device_authorization_endpoint = core::get_string(*doc, "device_authorization_endpoint").value_or("");
  m.pushed_authorization_request_endpoint =
      core::get_string(*doc, "pushed_authorization_request_endpoint").value_or("");
  m.scopes_supported = core::get_strings(*doc, "scopes_supported");
  m.code_challenge_methods_supported = core::get_strings(*doc, "code_challenge_methods_supported");
  m.id_token_signing_alg_values_supported = core::get_strings(*doc, "id_token_signing_alg_values_supported");
  m.dpop_signing_alg_values_supported = core::get_strings(*doc, "dpop_signing_alg_values_supported");
  m.token_endpoint_auth_methods_supported = core::get_strings(*doc, "token_endpoint_auth_methods_supported");
  m.authorization_response_iss_parameter_supported =
      core::get_bool(*doc, "authorization_response_iss_parameter_supported").value_or(false);
  m.require_pushed_authorization_requests =
      core::get_bool(*doc, "require_pushed_authorization_requests").value_or(false);

  for (const auto &[name, value] :
       {std::pair<const char *, const std::string *>{"authorization_endpoint", &m.authorization_endpoint},
        {"token_endpoint", &m.token_endpoint}}) {
    if (value->empty()) return make_error(ErrorCode::missing_endpoint, std::string("provider metadata has no ") + name);
  }
  for (const auto &[name, value] :
       {std::pair<const char *, const std::string *>{"authorization_endpoint", &m.authorization_endpoint},
        {"token_endpoint", &m.token_endpoint},
        {"jwks_uri", &m.jwks_uri},
        {"userinfo_endpoint", &m.userinfo_endpoint},
        {"revocation_endpoint", &m.revocation_endpoint},
        {"end_session_endpoint", &m.end_session_endpoint},
        {"device_authorization_endpoint", &m.device_authorization_endpoint},
        {"pushed_authorization_request_endpoint", &m.pushed_authorization_request_endpoint}}) {
    if (value->empty()) continue;
    if (auto ok = core::require_secure_url(*value, name); !ok) return std::move(ok).error();
  }
  // RFC 7636 §4.3 / RFC 8414 §2: a provider that lists its PKCE methods must offer S256.
  const auto &methods = m.code_challenge_methods_supported;
  if (!methods.empty() && std::find(methods.begin(), methods.end(), "S256") == methods.end()) {
    return make_error(ErrorCode::missing_endpoint, "the provider does not support PKCE with S256");
  }
  return m;
}

Result<std::shared_ptr<const ProviderMetadata>> discover(platform::HttpTransport &http, const std::string &issuer,
                                                         const core::Logger &log) {
  {
    std::lock_guard<std::mutex> lock(cache_mutex());
    const auto it = cache().find(issuer);
    if (it != cache().end() && std::chrono::steady_clock::now() - it->second.fetched_at < kCacheLifetime) {
      return it->second.metadata;
    }
  }
  if (auto ok = core::require_secure_url(issuer, "issuer"); !ok) return std::move(ok).error();

  std::string failures;
  for (const std::string &url : {openid_configuration_url(issuer), oauth_metadata_url(issuer)}) {
    log.debug("fetching provider metadata from " + url);
    int status = 0;
    auto body = fetch(http, url, &status);
    if (!body) {
      Error e = std::move(body).error();
      e.message = "could not reach the provider at " + url + ": " + e.message;
      return e;  // the host is unreachable; the other well-known URL is on the same host
    }
    if (status != 200) {
      failures += (failures.empty() ? "" : ", ") + url + " answered HTTP " + std::to_string(status);
      continue;
    }
    auto metadata = parse_provider_metadata(*body, issuer);
    if (!metadata) return std::move(metadata).error();
    auto shared = std::make_shared<const ProviderMetadata>(std::move(*metadata));
    std::lock_guard<std::mutex> lock(cache_mutex());
    cache()[issuer] = CacheEntry{shared, std::chrono::steady_clock::now()};
    return shared;
  }
  Error e = make_error(ErrorCode::discovery_failed, "could not find the provider's metadata for issuer '" + issuer +
                                                        "' (" + failures + "); check the issuer URL");
  return e;
}

void clear_discovery_cache() {
  std::lock_guard<std::mutex> lock(cache_mutex());
  cache().clear();
}

}  // namespace nativeauth::oidc
