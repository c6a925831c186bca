// SPDX-License-Identifier: Apache-2.0
// Token endpoint requests and responses (RFC 6749 §3.2, §4.1.3, §5.1, §5.2).
#pragma once

#include "core/url.hpp"

#include <nativeauth/platform/http_transport.hpp>
#include <nativeauth/result.hpp>
#include <nativeauth/secret.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace nativeauth::core {

struct TokenResponse {
  SecretString access_token;
  SecretString refresh_token;
  SecretString id_token;
  std::string token_type;
  std::optional<std::int64_t> expires_in;
  std::optional<std::string> scope;
};

/// A form POST to the token endpoint. `form` holds secrets (code, verifier, refresh token): it is
/// encoded into the SecretString body and wiped. Confidential clients authenticate with HTTP Basic
/// (RFC 6749 §2.3.1); public clients send client_id in the body.
platform::HttpRequest make_token_request(const std::string &token_endpoint, Params form, const std::string &client_id,
                                         const SecretString &client_secret);

/// Maps an HTTP response to tokens or an Error (RFC 6749 §5.2). `invalid_grant` becomes
/// ErrorCode::invalid_grant; 5xx and `temporarily_unavailable` are transient.
Result<TokenResponse> parse_token_response(const platform::HttpResponse &response);

/// The Error for a failed OAuth response: the server's error fields when the body has them.
Error oauth_error_from_response(const platform::HttpResponse &response, ErrorCode default_code,
                                const std::string &what);

}  // namespace nativeauth::core
