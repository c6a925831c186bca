// SPDX-License-Identifier: Apache-2.0
// The POSIX sockets loopback redirect listener (RFC 8252 §7.3, §8.3).
#pragma once

#include <nativeauth/platform/loopback_listener.hpp>

#include <memory>

namespace nativeauth::posix {

/// Listeners bound to 127.0.0.1 and/or [::1] only (never a wildcard address), served by a
/// single-threaded poll() loop. Every descriptor is close-on-exec and non-blocking; replies are
/// sent with MSG_NOSIGNAL, so a peer that goes away cannot raise SIGPIPE.
///
/// listen() errors: ErrorCode::invalid_argument when the options ask for no address family, or
/// for zero max_connections / max_request_bytes / read_timeout; ErrorCode::listener_failed with
/// the address and the OS reason when a socket cannot be bound or put in listening state.
/// Thread safety: as LoopbackListenerFactory and LoopbackListener document.
std::shared_ptr<platform::LoopbackListenerFactory> make_loopback_listener_factory();

}  // namespace nativeauth::posix
