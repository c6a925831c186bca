// SPDX-License-Identifier: Apache-2.0
/// @file
/// SlotLock: one refresh (or sign-out) at a time per slot across processes.
#pragma once

#include <nativeauth/platform/credential_store.hpp>
#include <nativeauth/result.hpp>

#include <chrono>
#include <memory>

namespace nativeauth::platform {

/// Held while a process reads, rotates and writes back a slot. Released on destruction, and by the
/// operating system when the process dies holding it.
class SlotLock {
 public:
  virtual ~SlotLock() = default;
};

/// Makes SlotLocks: one holder per slot across threads and processes.
/// Thread safety: acquire() may be called from any thread; two acquisitions of one slot exclude each
/// other whether they come from two processes or two threads of one process.
class SlotLockFactory {
 public:
  virtual ~SlotLockFactory() = default;
  /// Waits at most `timeout`; ErrorCode::slot_busy (transient) when another holder keeps it longer,
  /// ErrorCode::storage_unavailable when no lock can be made (e.g. an unsafe lock directory).
  virtual Result<std::unique_ptr<SlotLock>> acquire(const SlotKey &key, std::chrono::milliseconds timeout) = 0;
};

}  // namespace nativeauth::platform
