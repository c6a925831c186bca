// SPDX-License-Identifier: Apache-2.0
// The HTTP that the loopback redirect listener speaks (RFC 8252 §7.3), the same on every platform: the
// request head it accepts, the reply bytes it writes, and the pages the browser shows. Each platform's
// listener (platform/posix, platform/windows) does only the sockets; the core classifies what arrives
// (core/callback.hpp). Not here: OAuth parameters, state checks, sockets.
#pragma once

#include <nativeauth/platform/loopback_listener.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace nativeauth::loopback {

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

/// Where the request head in `buffer` ends (just past its empty line, RFC 9112 §2.1), or 0 while it is
/// incomplete. `searched` bytes were already searched by an earlier call: the end may straddle reads.
std::size_t head_end(std::string_view buffer, std::size_t searched) noexcept;

/// The bytes of `reply` as an HTTP/1.1 response that closes the connection, with no-store and
/// no-referrer (the page answers a URL holding the authorization code, RFC 9700 §4.2.4). A reply the
/// handler got wrong (a status outside 200-599, a header value with control bytes) becomes a plain 500.
std::string format_reply(const platform::HttpReply &reply);

/// 431 for a request head larger than the listener accepts (RFC 6585 §5); the handler never sees it.
std::string too_large_reply();

/// A plain-text reply.
platform::HttpReply text_reply(int status, std::string body);

/// The small page the browser shows after the redirect. `detail` is shown HTML-escaped; it must
/// never carry a code or token (the caller passes the server's error_description at most).
std::string result_page(bool success, std::string_view detail);

/// The page the browser shows when the provider's sign-out page comes back to the app.
std::string signed_out_page();

/// Escapes &, <, >, " and ' for HTML text and attribute contexts.
std::string html_escape(std::string_view text);

}  // namespace nativeauth::loopback
