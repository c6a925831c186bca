// SPDX-License-Identifier: Apache-2.0
// The Winsock2 loopback redirect listener (RFC 8252 §7.3, §8.3), the Windows twin of posix/loopback_listener.
#pragma once

#include <nativeauth/platform/loopback_listener.hpp>

#include <memory>

namespace nativeauth::windows {

/// Listeners bound to 127.0.0.1 and/or [::1] only (never a wildcard address), with SO_EXCLUSIVEADDRUSE
/// (no other socket, of this or another process, may bind the same address and port, not even with
/// SO_REUSEADDR), served by a single-threaded WSAPoll() loop. Every socket is non-blocking and
/// non-inheritable (WSA_FLAG_NO_HANDLE_INHERIT), so a process the app starts keeps no port or connection
/// open. cancel() wakes serve() through a connected pair of UDP sockets on loopback. Winsock is started
/// (WSAStartup 2.2) on the first listen() and never cleaned up: the process may open listeners until it exits.
///
/// listen() errors: ErrorCode::invalid_argument when the options ask for no address family, or for zero
/// max_connections / max_request_bytes / read_timeout; ErrorCode::listener_failed with the address and the
/// Winsock reason (FormatMessageW text and number) when Winsock cannot start or a socket cannot be bound or
/// put in listening state.
/// Thread safety: as LoopbackListenerFactory and LoopbackListener document.
std::shared_ptr<platform::LoopbackListenerFactory> make_loopback_listener_factory();

}  // namespace nativeauth::windows
