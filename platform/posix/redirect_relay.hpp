// SPDX-License-Identifier: Apache-2.0
// The POSIX redirect relay: one Unix socket per slot in a private per-user directory.
#pragma once

#include <nativeauth/platform/redirect_relay.hpp>

#include <memory>
#include <string>

namespace nativeauth::posix {

/// Sockets live in $XDG_RUNTIME_DIR/nativeauth (or, without one, the state directory's run/), created
/// 0700; a directory that group or others can enter, or that another user owns, is refused.
std::shared_ptr<platform::RedirectRelay> make_redirect_relay();

/// The socket path of a slot (for tests and messages); empty when no directory can be named.
std::string redirect_socket_path(const platform::SlotKey &slot);

}  // namespace nativeauth::posix
