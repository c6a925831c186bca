// SPDX-License-Identifier: Apache-2.0
// Cross-process slot locks on POSIX: flock(2) on one 0600 file per slot in a private directory.
#pragma once

#include <nativeauth/platform/credential_store.hpp>
#include <nativeauth/platform/slot_lock.hpp>
#include <nativeauth/result.hpp>

#include <memory>
#include <string>

namespace nativeauth::posix {

/// Slot locks held with flock(2) on `<directory>/<lock_file_name(key)>`. An empty `directory` means
/// default_lock_directory(), resolved once, here. The directory is created (0700, with any missing
/// parents) by the first acquire().
///
/// acquire() errors: ErrorCode::slot_busy (transient) when another holder keeps the slot past the
/// timeout; ErrorCode::storage_unavailable, with the path, the mode found and the fix, when the lock
/// directory is a symbolic link, is not owned by the effective uid, or is accessible to group or
/// others, or when the directory or lock file cannot be created or locked; ErrorCode::invalid_argument
/// when `directory` is not absolute.
/// Thread safety: acquire() may be called from any thread. Each acquisition opens the lock file
/// anew, so two threads of one process exclude each other exactly as two processes do.
std::shared_ptr<platform::SlotLockFactory> make_slot_lock_factory(std::string directory = {});

/// The lock file of a slot: 16 lower-case hex digits of the 64-bit FNV-1a hash of
/// issuer '\0' client_id '\0' profile, then ".lock". Stable across builds, processes and machines.
std::string lock_file_name(const platform::SlotKey &key);

/// Where locks live by default: $XDG_RUNTIME_DIR/nativeauth/locks when XDG_RUNTIME_DIR is an absolute
/// path to a directory owned by the effective uid with mode 0700; else $XDG_STATE_HOME/nativeauth/locks
/// when XDG_STATE_HOME is absolute; else $HOME/.local/state/nativeauth/locks (the passwd entry's home
/// when HOME is not absolute). ErrorCode::storage_unavailable when there is no home either.
Result<std::string> default_lock_directory();

}  // namespace nativeauth::posix
