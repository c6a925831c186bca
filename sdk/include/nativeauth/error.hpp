// SPDX-License-Identifier: Apache-2.0
/// @file
/// Error codes and the Error value every fallible nativeauth call returns instead of throwing.
#pragma once

#include <nativeauth/export.hpp>

#include <string>

namespace nativeauth {

/// Stable error codes. Numbers never change once released; retired codes keep their number.
/// They are grouped in ranges by area so that `code / 100` tells where a failure happened.
enum class ErrorCode : int {
  /// Not an error: never carried by an Error that a call returns.
  ok = 0,

  // 1xx: the call itself
  invalid_argument = 100,       ///< An option or argument is malformed; the message names it.
  invalid_configuration = 101,  ///< Options are inconsistent (e.g. an http issuer that is not loopback).
  cancelled = 102,              ///< cancel() was called from another thread.
  timeout = 103,                ///< The overall sign-in timeout elapsed before the browser came back.
  internal = 199,               ///< A bug in nativeauth; the message says what broke.

  // 2xx: transport
  network = 200,             ///< Could not connect / connection lost / DNS failed. Transient.
  tls = 201,                 ///< TLS handshake or certificate verification failed.
  http_status = 202,         ///< Unexpected HTTP status with no OAuth error body.
  insecure_url = 203,        ///< An endpoint is not https (only loopback hosts may use http).
  malformed_response = 204,  ///< The server answered with something that is not what the spec says.

  // 3xx: discovery
  discovery_failed = 300,  ///< Neither OpenID nor RFC 8414 metadata could be fetched.
  issuer_mismatch = 301,   ///< The metadata's `issuer` differs from the configured issuer.
  missing_endpoint = 302,  ///< The metadata lacks an endpoint or capability nativeauth needs.

  // 4xx: authorization (the browser leg)
  access_denied = 400,          ///< The user declined, or the provider refused (error=access_denied).
  authorization_error = 401,    ///< The provider redirected back with another OAuth error.
  state_mismatch = 402,         ///< A redirect handed to handle_redirect() carries a state of no pending sign-in.
                                ///< (On the loopback listener such a request is ignored, never returned.)
  issuer_param_mismatch = 403,  ///< RFC 9207 `iss` missing or different: possible mix-up attack.
  browser_unavailable = 404,    ///< No browser could be launched; the URL was handed to the app.
  listener_failed = 405,        ///< The loopback redirect listener could not be opened.
  invalid_redirect = 406,       ///< The redirect lacks a code, is malformed, or is not for the configured redirect URI.
  no_pending_sign_in = 407,     ///< A redirect arrived but no sign-in is waiting for one.
  device_code_expired = 410,    ///< Device flow (RFC 8628 §3.5 expired_token): the user did not finish
                                ///< before the device code expired; start a new sign-in.

  // 5xx: token endpoint
  token_error = 500,             ///< The token endpoint answered with an OAuth error.
  invalid_grant = 501,           ///< The code or refresh token is invalid, expired or revoked.
  invalid_token_response = 502,  ///< The token response is missing required fields.

  // 6xx: ID token validation (OIDC Core §3.1.3.7)
  /// The ID token is not a well-formed JWS compact serialization with a JSON payload.
  id_token_malformed = 600,
  id_token_signature = 601,    ///< The signature does not verify with the provider's key.
  id_token_algorithm = 602,    ///< `alg` is none, HMAC, or not advertised by the provider.
  id_token_unknown_key = 603,  ///< No key in the JWKS matches the token, even after a refetch.
  /// `iss` differs from the configured issuer.
  id_token_issuer = 604,
  id_token_audience = 605,       ///< `aud` does not contain the client_id, or `azp` is wrong.
  id_token_expired = 606,        ///< `exp` is in the past (beyond leeway); the message gives the skew.
  id_token_not_yet_valid = 607,  ///< `iat` is in the future (beyond leeway); the message gives the skew.
  /// `nonce` missing or different from the one the sign-in sent.
  id_token_nonce = 608,
  id_token_auth_time = 609,  ///< `auth_time` missing or older than `max_age` allows.
  jwks_unavailable = 610,    ///< The provider's JWKS could not be fetched or parsed.

  // 7xx: credential storage
  /// The credential store cannot be used (no keychain, no session bus, unsafe directory, ...).
  storage_unavailable = 700,
  /// The keychain is locked, or a keychain call did not finish within KeychainOptions::timeout.
  storage_locked = 701,
  /// A stored record cannot be parsed; it is left in place, untouched.
  storage_corrupt = 702,
  /// A stored record was written for another slot; it is refused, not used.
  storage_slot_mismatch = 703,
  /// Another thread or process held this slot's lock (it was refreshing, signing in or signing out the
  /// same session) for longer than ClientOptions::lock_timeout. Transient: the session is untouched;
  /// try again. Not a reason to sign in again.
  slot_busy = 704,
  /// The slot's DPoP key (RFC 9449) cannot be made or used: no key store works here, or the key the session
  /// was bound to is gone (a cleared TPM, a deleted key, a record moved to another machine). A session
  /// bound to a lost key cannot be refreshed: sign in again.
  key_unavailable = 705,

  // 8xx: session state
  sign_in_required = 800,  ///< No session, or the provider ended it.
};

/// Short stable name of a code, e.g. "access_denied". Never null.
NATIVEAUTH_API const char *to_string(ErrorCode code) noexcept;

/// What went wrong: a stable code, a message a person can act on, and what the server said.
/// Never holds a token, code, verifier or request/response body.
///
/// Thread safety: a plain value type.
struct Error {
  /// What failed; the numbers are stable across releases.
  ErrorCode code = ErrorCode::internal;
  std::string message;            ///< Human readable; safe to log and to show.
  std::string oauth_error;        ///< The server's `error`, if any (RFC 6749 §5.2, §4.1.2.1).
  std::string oauth_description;  ///< The server's `error_description`, if any.
  std::string oauth_uri;          ///< The server's `error_uri`, if any.
  int http_status = 0;            ///< HTTP status of the failing response, 0 if none.
  bool transient = false;         ///< True when retrying later may succeed (network, 5xx, ...).

  /// One line for logs: "<code name>: <message> (server: <error>: <description>)".
  NATIVEAUTH_API std::string to_string() const;
};

/// Builds an Error with a code and message.
inline Error make_error(ErrorCode code, std::string message) {
  Error e;
  e.code = code;
  e.message = std::move(message);
  return e;
}

}  // namespace nativeauth
