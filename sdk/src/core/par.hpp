// SPDX-License-Identifier: Apache-2.0
// Pushed Authorization Requests (RFC 9126): the request to the PAR endpoint, its response, and the short
// authorization URL the browser then gets. Not here: when a sign-in pushes (sign_in.cpp).
#pragma once

#include "core/url.hpp"

#include <nativeauth/platform/http_transport.hpp>
#include <nativeauth/result.hpp>
#include <nativeauth/secret.hpp>

#include <cstdint>
#include <string>

namespace nativeauth::core {

/// What the PAR endpoint answered (RFC 9126 §2.2): the reference the browser carries instead of the
/// parameters, and how long it stays valid.
struct PushedRequest {
  std::string request_uri;
  std::int64_t expires_in = 0;  ///< seconds; always positive
};

/// RFC 9126 §2.1: the authorization request's parameters, form-encoded and POSTed to `par_endpoint`, with
/// the client authenticating as at the token endpoint: a public client by `client_id` in the body, a
/// confidential one with HTTP Basic (and `client_id` still in the body, as a parameter of the request).
/// `params` must hold `client_id`; they are wiped once encoded (state, nonce and challenge are single-use).
platform::HttpRequest make_par_request(const std::string &par_endpoint, Params params, const std::string &client_id,
                                       const SecretString &client_secret);

/// Maps the PAR endpoint's answer to a PushedRequest or an Error. 201 Created with a JSON object whose
/// `request_uri` is a non-empty string and `expires_in` a positive integer (§2.2) is the only success;
/// anything else 2xx is ErrorCode::malformed_response. An error answer (§2.3) becomes
/// ErrorCode::authorization_error with the server's `error`, `error_description`, `error_uri` (transient
/// for 5xx, `temporarily_unavailable` and `server_error`), or ErrorCode::http_status without them.
/// Untrusted input: never throws (tests/fuzz/fuzz_par.cpp).
Result<PushedRequest> parse_par_response(const platform::HttpResponse &response);

/// RFC 9126 §4: the authorization URL that carries only `client_id` and `request_uri`.
std::string pushed_authorization_url(const std::string &authorization_endpoint, const std::string &client_id,
                                     const std::string &request_uri);

}  // namespace nativeauth::core
