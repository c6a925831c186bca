// SPDX-License-Identifier: Apache-2.0
// RedirectRelay: hands a redirect URL from a second instance of an app to the instance whose sign-in waits.
#pragma once

#include <nativeauth/platform/credential_store.hpp>
#include <nativeauth/result.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string_view>

namespace nativeauth::platform {

/// Decides on one forwarded URL; its result goes back to the process that forwarded it.
using RedirectHandler = std::function<Result<void>(std::string_view url)>;

/// A listening endpoint; it stops listening and disappears when destroyed.
class RedirectEndpoint {
 public:
  virtual ~RedirectEndpoint() = default;
};

/// A per-user local channel, one endpoint per slot (Linux: a 0600 Unix socket in a 0700 directory under
/// $XDG_RUNTIME_DIR; Windows: a named pipe). When a custom-scheme redirect arrives, the OS starts a
/// second instance of the app with the URL (RFC 8252 §7.1); forward() delivers it to the first.
/// Only processes of the same user can reach an endpoint. Thread safety: all calls from any thread;
/// a handler runs on a thread of the relay, one URL at a time.
class RedirectRelay {
 public:
  virtual ~RedirectRelay() = default;
  /// Listens for `slot` until the endpoint is destroyed. ErrorCode::listener_failed when it cannot, or
  /// when another process already waits for the same slot.
  virtual Result<std::unique_ptr<RedirectEndpoint>> listen(const SlotKey &slot, RedirectHandler handler) = 0;
  /// Delivers `url` to the endpoint of `slot` and returns its handler's verdict.
  /// ErrorCode::no_pending_sign_in when nobody listens; ErrorCode::timeout when it does not answer.
  virtual Result<void> forward(const SlotKey &slot, std::string_view url, std::chrono::milliseconds timeout) = 0;
};

}  // namespace nativeauth::platform
