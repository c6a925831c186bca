// SPDX-License-Identifier: Apache-2.0
// The authorization response and the redirect URI (RFC 6749 §4.1.2, RFC 8252 §7): classifying a request on
// the loopback listener or a URL the app hands over, and checking a configured redirect URI.
#pragma once

#include "core/url.hpp"

#include <nativeauth/secret.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace nativeauth::core {

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
  matched,      ///< The awaited response: path right, exactly one state, and it matches.
  not_found,    ///< Another path (favicon, probes): 404, keep waiting.
  bad_request,  ///< Right path but unparseable, duplicate or missing parameters: 400.
  wrong_state,  ///< Right path, but the state is not ours: 400, keep waiting.
  bad_method,   ///< Not GET: 405.
};

struct CallbackResult {
  CallbackVerdict verdict = CallbackVerdict::bad_request;
  AuthorizationResponse response;  ///< Filled when matched.
};

/// Classifies one request head against the expected redirect path and state.
/// The state is compared in constant time (RFC 6749 §10.12).
CallbackResult classify_callback(std::string_view head, std::string_view expected_path,
                                 std::string_view expected_state);

/// Classifies a redirect URL the app received (custom scheme, claimed https) against the configured
/// redirect URI `expected` (as normalised by parse_redirect_uri) and the pending state. `not_found`
/// means the URL is not for this redirect URI (another scheme, host or path).
CallbackResult classify_redirect_url(std::string_view url, std::string_view expected, std::string_view expected_state);

/// A configured redirect URI, checked (RFC 8252 §7).
struct RedirectTarget {
  /// loopback: nativeauth listens on a loopback socket (§7.3). app: the app (or the OS through a
  /// second instance of the app) receives the redirect and hands it to Client::handle_redirect()
  /// (custom scheme §7.1, claimed https §7.2).
  enum class Kind { loopback, app } kind = Kind::loopback;
  std::string uri;         ///< app: the URI as registered, scheme lower-cased. loopback: empty.
  std::string scheme;      ///< lower-cased
  std::string path;        ///< loopback: the listener's path.
  std::uint16_t port = 0;  ///< loopback: 0 = ephemeral.
  bool ipv6_host = false;  ///< loopback: the URI names [::1] rather than 127.0.0.1.
};

/// Checks a redirect URI: a reverse-domain custom scheme with a dot (RFC 8252 §7.1), https with a
/// host (§7.2), or http to 127.0.0.1 / [::1] (§7.3; "localhost" is refused per §8.3). No fragment
/// (RFC 6749 §3.1.2), no query, no userinfo. ErrorCode::invalid_configuration with the reason.
Result<RedirectTarget> parse_redirect_uri(std::string_view uri);

}  // namespace nativeauth::core
