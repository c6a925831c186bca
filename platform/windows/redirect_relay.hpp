// SPDX-License-Identifier: Apache-2.0
// The Windows redirect relay: one named pipe per slot, reachable only by the same user on this machine.
#pragma once

#include <nativeauth/platform/redirect_relay.hpp>

#include <memory>
#include <string>

namespace nativeauth::windows {

/// Pipes are named \\.\pipe\nativeauth-<user SID>-<16 hex of FNV-1a 64 of issuer '\0' client_id '\0' profile>.
std::shared_ptr<platform::RedirectRelay> make_redirect_relay();

/// The pipe name of a slot for the current user (for tests and messages); empty when the user's SID
/// cannot be read.
std::wstring redirect_pipe_name(const platform::SlotKey &slot);

}  // namespace nativeauth::windows
