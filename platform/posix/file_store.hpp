// SPDX-License-Identifier: Apache-2.0
// Internals of the opt-in file store that its tests reach: slot file names, limits, the crash-point hook.
#pragma once

#include <nativeauth/platform/credential_store.hpp>

#include <chrono>
#include <cstddef>
#include <string>

namespace nativeauth::posix {

/// Largest slot file (header line + record) the store writes or reads; a bigger file is corrupt.
inline constexpr std::size_t kMaxSlotFileSize = std::size_t{1} << 20;
/// Largest header line; keys whose header would be longer are refused (invalid_argument).
inline constexpr std::size_t kMaxHeaderSize = std::size_t{64} << 10;
/// Temp files are named `<kTempPrefix><pid>-<16 hex>`; the leading '.' keeps them out of list().
inline constexpr char kTempPrefix[] = ".tmp-";
/// Temp files older than this (by mtime) are left by a killed writer and removed by later saves.
inline constexpr std::chrono::minutes kStaleTempAge{10};

/// The first line of a slot's file: canonical JSON naming the slot, without the newline.
/// Precondition: the key's components are valid UTF-8 (the store checks before calling).
std::string slot_header(const platform::SlotKey &key);

/// The slot's file name inside the store directory (the scheme is described in file_store.cpp).
std::string slot_file_name(const platform::SlotKey &key);

namespace testing {

/// Where save() kills its own process. Test-only: the crash-safety tests set it in a forked child
/// and check what a later load() sees. Production code never sets it; when unset the cost in
/// save() is one relaxed atomic load per point.
enum class CrashPoint {
  none,
  after_temp_created,             ///< The temp file exists, empty.
  mid_write,                      ///< Half of header + record written to the temp file.
  after_write_before_fsync,       ///< Everything written, not yet flushed.
  after_fsync_before_rename,      ///< Temp file complete and flushed; the slot still holds the old record.
  after_rename_before_dir_fsync,  ///< The slot names the new file; the directory entry is not yet flushed.
};

/// Makes every later save() in this process raise SIGKILL on itself at `point` (none: never).
void set_crash_point(CrashPoint point) noexcept;

}  // namespace testing
}  // namespace nativeauth::posix
