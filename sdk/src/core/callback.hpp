// SPDX-License-Identifier: Apache-2.0
// The redirect that lands on the loopback listener: parsing its HTTP request head and its OAuth parameters.
#pragma once

#include "core/url.hpp"

#include <nativeauth/secret.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace nativeauth::core {

/// The parts of an HTTP/1.x request head the listener cares about.
struct RequestHead {
  std::string method;
  std::string path;   ///< As sent (not percent-decoded), without the query.
  std::string query;  ///< raw, without '?'
};

/// Parses "METHOD SP origin-form SP HTTP/1.x CRLF *(header CRLF) CRLF" strictly. Anything else
/// (absolute-form targets, NUL bytes, bare LF request lines, missing version) yields nullopt.
/// Any local process can connect to the listener, so this is fuzzed (tests/fuzz).
std::optional<RequestHead> parse_request_head(std::string_view head);

/// An authorization response (RFC 6749 §4.1.2, §4.1.2.1; RFC 9207 `iss`).
struct AuthorizationResponse {
  SecretString code;
  std::string state;
  std::optional<std::string> iss;
  std::string error;
  std::string error_description;
  std::string error_uri;
};

/// Why a request on the listener is not the awaited redirect; used to pick the HTTP answer.
enum class CallbackVerdict {
  matched,        ///< The awaited response: path right, exactly one state, and it matches.
  not_found,      ///< Another path (favicon, probes): 404, keep waiting.
  bad_request,    ///< Right path but unparseable, duplicate or missing parameters: 400.
  wrong_state,    ///< Right path, but the state is not ours: 400, keep waiting.
  bad_method,     ///< Not GET: 405.
};

struct CallbackResult {
  CallbackVerdict verdict = CallbackVerdict::bad_request;
  AuthorizationResponse response;  ///< Filled when matched.
};

/// Classifies one request head against the expected redirect path and state.
/// The state is compared in constant time (RFC 6749 §10.12).
CallbackResult classify_callback(std::string_view head, std::string_view expected_path,
                                 std::string_view expected_state);

/// The small page the browser shows after the redirect. `detail` is shown HTML-escaped; it must
/// never carry a code or token (the caller passes the server's error_description at most).
std::string result_page(bool success, std::string_view detail);

/// Escapes &, <, >, " and ' for HTML text and attribute contexts.
std::string html_escape(std::string_view text);

}  // namespace nativeauth::core
