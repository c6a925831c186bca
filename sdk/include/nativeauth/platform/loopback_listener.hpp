// SPDX-License-Identifier: Apache-2.0
/// @file
/// LoopbackListener: the loopback HTTP endpoint that receives the authorization redirect (RFC 8252 §7.3).
#pragma once

#include <nativeauth/result.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace nativeauth::platform {

/// Where a LoopbackListener binds and how much it accepts.
struct LoopbackListenerOptions {
  bool ipv4 = true;        ///< Bind 127.0.0.1.
  bool ipv6 = false;       ///< Bind [::1] as well (same port as the IPv4 socket).
  std::uint16_t port = 0;  ///< 0: let the OS choose an ephemeral port (RFC 8252 §7.3).
  /// Largest request head (request line + headers) accepted; larger requests get 431.
  std::size_t max_request_bytes = 16 * 1024;
  /// A connection that has not sent a full request head in this time is dropped.
  std::chrono::milliseconds read_timeout{10'000};
  /// Connections served at once; further ones wait in the kernel backlog.
  std::size_t max_connections = 16;
};

/// What the listener sends back for one request. `location` non-empty makes it a redirect.
struct HttpReply {
  /// The HTTP status code.
  int status = 400;
  /// The Content-Type of `body`.
  std::string content_type = "text/plain; charset=utf-8";
  /// The page shown in the browser.
  std::string body;
  /// The redirect target; non-empty makes the reply a redirect.
  std::string location;
};

/// Decides what to answer to one request head (bytes up to and including the blank line) and
/// whether the wait is over. Called on the thread that runs serve().
struct HandlerOutcome {
  /// What to answer to this request.
  HttpReply reply;
  /// true: the wait is over and serve() returns Ok.
  bool done = false;
};
/// Called by LoopbackListener::serve() with each complete request head; see HandlerOutcome.
using RequestHandler = std::function<HandlerOutcome(std::string_view request_head)>;

/// One bound listener, used for one sign-in.
/// Thread safety: serve() on one thread; cancel() from any thread, any time.
class LoopbackListener {
 public:
  virtual ~LoopbackListener() = default;

  /// The bound port (the same on IPv4 and IPv6).
  virtual std::uint16_t port() const = 0;

  /// Accepts connections and hands each complete request head to `handler` until it returns
  /// done (then Ok), `deadline` passes (ErrorCode::timeout) or cancel() is called
  /// (ErrorCode::cancelled). Malformed, oversized or idle connections are answered or dropped
  /// without ending the wait.
  virtual Result<void> serve(const RequestHandler &handler, std::chrono::steady_clock::time_point deadline) = 0;

  /// Makes a running or future serve() return ErrorCode::cancelled. Safe from any thread.
  virtual void cancel() noexcept = 0;
};

/// Opens listeners. Thread safety: listen() may be called from any thread.
class LoopbackListenerFactory {
 public:
  virtual ~LoopbackListenerFactory() = default;
  /// Binds per `options`; ErrorCode::listener_failed with the OS reason when it cannot.
  virtual Result<std::unique_ptr<LoopbackListener>> listen(const LoopbackListenerOptions &options) = 0;
};

}  // namespace nativeauth::platform
