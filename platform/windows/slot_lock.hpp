// SPDX-License-Identifier: Apache-2.0
// Cross-process slot locks on Windows: one named mutex per slot and user.
#pragma once

#include <nativeauth/platform/credential_store.hpp>
#include <nativeauth/platform/slot_lock.hpp>

#include <memory>
#include <string>

namespace nativeauth::windows {

/// Slot locks held with the named mutex slot_mutex_name(key). A lock may be released (destroyed) on any
/// thread, and is freed by Windows when its process dies. Errors: ErrorCode::slot_busy (transient) when
/// another holder keeps the slot past the timeout; ErrorCode::storage_unavailable when the mutex cannot be
/// created or opened, or was created by another user.
std::shared_ptr<platform::SlotLockFactory> make_slot_lock_factory();

/// Global\nativeauth-slot-<user SID>-<16 hex of FNV-1a 64 of issuer '\0' client_id '\0' profile>; empty
/// when the user's SID cannot be read.
std::wstring slot_mutex_name(const platform::SlotKey &key);

}  // namespace nativeauth::windows
