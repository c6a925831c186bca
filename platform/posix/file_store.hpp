// SPDX-License-Identifier: Apache-2.0
// Internals of the opt-in file store that its tests reach: slot file names, limits, and the seam for
// the file-system calls a save makes.
#pragma once

#include <nativeauth/platform/credential_store.hpp>
#include <nativeauth/result.hpp>
#include <nativeauth/storage.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include <sys/types.h>

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

/// The file-system calls by which save() replaces a slot's file, in the order it makes them: create
/// the temp file, write it, flush it, rename it over the slot's name, flush the directory (erase()
/// flushes through `fsync` too). Each has its system call's signature and errno convention.
///
/// Why it exists: the store's crash safety is that order, and the only way to show it holds is to
/// stop a writer between two of these calls. The crash tests pass a FileOps that wraps the real
/// calls and SIGKILLs a forked writer at the chosen step, so the fault comes from the test through
/// this seam and shipped code carries no test-only branch or global. It is not an extension point:
/// the public make_file_store() always uses system_file_ops(). Cost: one indirect call per system
/// call (write_all() loops per short write, never per byte).
struct FileOps {
  int (*openat)(int dir_fd, const char *name, int flags, mode_t mode);
  ssize_t (*write)(int fd, const void *data, std::size_t size);
  /// fsync(2), preceded by fcntl(F_FULLFSYNC) where the system has it (macOS): see file_store.cpp.
  int (*fsync)(int fd);
  int (*renameat)(int from_dir_fd, const char *from, int to_dir_fd, const char *to);
};

/// The real calls; what make_file_store() uses.
const FileOps &system_file_ops() noexcept;

/// make_file_store() with the given file-system calls; for the store's own tests (see FileOps).
Result<std::shared_ptr<platform::CredentialStore>> make_file_store(const FileStoreOptions &options, const FileOps &ops);
}  // namespace nativeauth::posix
