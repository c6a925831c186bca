// SPDX-License-Identifier: Apache-2.0
// The HttpTransport on WinHTTP (Windows): TLS 1.2 or later verified by the system's certificate store, no
// redirects followed, bounded time and size, the system proxy. The Windows twin of
// platform/libcurl/curl_transport.hpp, with the same behaviour and errors; the only file that includes
// <winhttp.h> (winhttp_transport.cpp).
#pragma once

#include <nativeauth/platform/http_transport.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

namespace nativeauth::windows {

/// Bounds and identity of a WinHTTP transport. There is no CA bundle: the system's certificate store
/// decides which servers are trusted, as for every other Windows program.
struct WinHttpTransportOptions {
  /// Name resolution plus the TCP connect to the server (or proxy).
  std::chrono::milliseconds connect_timeout{10'000};
  /// The whole exchange, from the first byte sent to the last byte of the body.
  std::chrono::milliseconds request_timeout{30'000};
  std::string user_agent;  ///< "nativeauth/<version>"; empty: no User-Agent header
  /// A larger response body is an error (ErrorCode::malformed_response), never truncated.
  std::size_t max_response_bytes = 1 << 20;
};

/// A transport whose send() may be called from several threads at once. Creating it opens WinHTTP
/// sessions but no connection; a session that cannot be opened makes every send() fail with
/// ErrorCode::internal.
std::shared_ptr<platform::HttpTransport> make_winhttp_transport(const WinHttpTransportOptions &options);

}  // namespace nativeauth::windows
