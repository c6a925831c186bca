// SPDX-License-Identifier: Apache-2.0
// Provider metadata: OpenID Connect Discovery 1.0 with RFC 8414 fallback, cached per issuer.
#pragma once

#include "core/logger.hpp"

#include <nativeauth/platform/http_transport.hpp>
#include <nativeauth/result.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace nativeauth::oidc {

struct ProviderMetadata {
  std::string issuer;
  std::string authorization_endpoint;
  std::string token_endpoint;
  std::string jwks_uri;
  std::string userinfo_endpoint;
  std::string revocation_endpoint;
  std::string end_session_endpoint;
  std::string device_authorization_endpoint;
  std::string pushed_authorization_request_endpoint;  ///< RFC 9126 §5; empty: the provider offers no PAR
  std::vector<std::string> scopes_supported;
  std::vector<std::string> code_challenge_methods_supported;
  std::vector<std::string> id_token_signing_alg_values_supported;
  std::vector<std::string> token_endpoint_auth_methods_supported;
  std::vector<std::string> dpop_signing_alg_values_supported;   ///< RFC 9449 §5.1; empty: no DPoP offered
  bool authorization_response_iss_parameter_supported = false;  ///< RFC 9207 §3
  bool require_pushed_authorization_requests = false;           ///< RFC 9126 §5: absent means false
};

/// `<issuer>/.well-known/openid-configuration` (OIDC Discovery §4.1; a trailing '/' is not doubled).
std::string openid_configuration_url(const std::string &issuer);
/// RFC 8414 §3.1: the well-known segment goes between host and path:
/// https://h/tenant → https://h/.well-known/oauth-authorization-server/tenant.
std::string oauth_metadata_url(const std::string &issuer);

/// Parses and checks a metadata document: `issuer` equal to `expected_issuer` exactly (OIDC
/// Discovery §4.3, RFC 8414 §3.3), required endpoints present and https (or loopback http).
Result<ProviderMetadata> parse_provider_metadata(std::string_view json, const std::string &expected_issuer);

/// Fetches metadata (OpenID first, RFC 8414 on 404/other failure), checks it, and caches it per
/// issuer for the process for an hour. Thread safety: safe from any thread.
Result<std::shared_ptr<const ProviderMetadata>> discover(platform::HttpTransport &http, const std::string &issuer,
                                                         const core::Logger &log);

/// Forgets cached metadata (tests; an app whose provider changed configuration).
void clear_discovery_cache();

}  // namespace nativeauth::oidc
