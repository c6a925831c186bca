// SPDX-License-Identifier: Apache-2.0
// Linux's access-token cache (platform::TokenCache): one user-type key per slot in the kernel keyring.
#pragma once

#include <nativeauth/platform/token_cache.hpp>

#include "linux/kernel_keyring.hpp"

#include <memory>
#include <string>

namespace nativeauth::linux_platform {

/// The key's description for a slot: "nativeauth:access-token:" + the slot's 16-hex-digit hash
/// (util/slot_hash.hpp). Hashes may collide: the entry inside names its slot, and the core checks it.
std::string token_cache_description(const platform::SlotKey &key);

/// The cache in `ring` (kernel_keyring::ring_from_environment() for the default).
std::shared_ptr<platform::TokenCache> make_kernel_keyring_token_cache(kernel_keyring::Ring ring);

}  // namespace nativeauth::linux_platform
