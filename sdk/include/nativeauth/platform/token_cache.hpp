// SPDX-License-Identifier: Apache-2.0
/// @file
/// TokenCache: where a new process finds a slot's access token without opening the store.
#pragma once

#include <nativeauth/platform/credential_store.hpp>
#include <nativeauth/result.hpp>
#include <nativeauth/secret.hpp>

#include <chrono>
#include <optional>

namespace nativeauth::platform {

/// A per-user, memory-only place for a slot's current access token (never its refresh token), which a
/// process that has not read the store yet asks first (Linux: the kernel key retention service,
/// ClientOptions::token_cache). Entries are opaque to it: the Client writes and checks them.
///
/// Ordering, kept by the Client: before a slot's record is written or erased its entry is removed, and
/// only after the write is a new one put; so an entry is never newer than the slot, and a token that was
/// signed out or rejected is not handed out from here.
/// Thread safety: every method may be called from any thread. Ownership: shared (platform::Platform).
class TokenCache {
 public:
  virtual ~TokenCache() = default;
  /// The slot's entry, or nullopt when there is none (never put, removed, or past its time to live).
  virtual Result<std::optional<SecretString>> get(const SlotKey &key) = 0;
  /// Replaces the slot's entry; the cache drops it by itself after `ttl`.
  virtual Result<void> put(const SlotKey &key, const SecretString &entry, std::chrono::seconds ttl) = 0;
  /// Removes the slot's entry at once; none is not an error. An error means the entry may still be there:
  /// the Client then writes nothing to the slot.
  virtual Result<void> remove(const SlotKey &key) = 0;
};

}  // namespace nativeauth::platform
