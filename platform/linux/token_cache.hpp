// SPDX-License-Identifier: Apache-2.0
// Linux's access-token cache (platform::TokenCache): one user-type key per slot in the kernel keyring.
#pragma once

#include <nativeauth/platform/token_cache.hpp>
#include <nativeauth/storage.hpp>

#include "linux/kernel_keyring.hpp"

#include <memory>
#include <string>

namespace nativeauth::linux_platform {

/// The name token_cache_prefix() uses for a kind of store: "keychain", "file", "encrypted-file" (memory: "memory").
std::string token_cache_store_name(StorageKind kind);

/// What every key of the cache for sessions in `store` starts with: "nativeauth:access-token:<store>:", where
/// `store` names the kind of store ("keychain", "file", "encrypted-file"), so that one slot's sessions in two
/// stores never answer for each other, and locking the encrypted store can drop exactly its tokens.
std::string token_cache_prefix(const std::string &store);

/// The key's description for a slot: token_cache_prefix(store) + the slot's 16-hex-digit hash
/// (util/slot_hash.hpp). Hashes may collide: the entry inside names its slot, and the core checks it.
std::string token_cache_description(const std::string &store, const platform::SlotKey &key);

/// The cache in `ring` (kernel_keyring::ring_from_environment() for the default) for sessions in `store`.
std::shared_ptr<platform::TokenCache> make_kernel_keyring_token_cache(kernel_keyring::Ring ring, std::string store);

}  // namespace nativeauth::linux_platform
