// SPDX-License-Identifier: Apache-2.0
// The access-token cache a new process reads before the store (platform::TokenCache; Linux: the kernel
// keyring): the entries the core writes there, and the store decorator that keeps them in step with
// the slot. Client::Impl::cached_token() (token_cache.cpp) is the reading side.
#pragma once

#include <nativeauth/client.hpp>
#include <nativeauth/platform/clock.hpp>
#include <nativeauth/platform/credential_store.hpp>
#include <nativeauth/platform/token_cache.hpp>

#include "core/logger.hpp"

#include <chrono>
#include <memory>
#include <optional>

namespace nativeauth::core {

inline constexpr int kCacheEntryVersion = 1;

/// What a cache entry holds: the slot's access token as access_token() hands it out, and its whole
/// lifetime as issued (for the scaled refresh margin), when known.
struct CachedToken {
  AccessToken token;
  std::optional<std::chrono::seconds> lifetime;
};

/// The entry for `session` in `key`'s slot: versioned JSON naming the slot, with the access token, its
/// type, expiry and scopes; never the refresh token or the ID token.
SecretString cache_entry(const platform::SlotKey &key, const Session &session);

/// An entry read back; nullopt for an entry of another slot (the cache's names may collide), of an
/// unknown version, or unreadable.
std::optional<CachedToken> parse_cache_entry(const SecretString &entry, const platform::SlotKey &key);

/// How long an entry for `session` may live at `now`: its remaining lifetime minus the refresh margin
/// (`margin`, at most half the token's lifetime); nullopt when it should not be cached at all (no expiry,
/// no access token, or less than a second left).
std::optional<std::chrono::seconds> cache_ttl(const Session &session, std::chrono::seconds margin,
                                              std::chrono::system_clock::time_point now);

/// `store`, with `cache` kept in step: save() and erase() remove the slot's entry first (and write
/// nothing to the slot when that fails), then write the slot, then (save) put the new entry. A put that
/// fails is logged, never an error: the next process reads the store.
std::shared_ptr<platform::CredentialStore> keep_cache_in_step(std::shared_ptr<platform::CredentialStore> store,
                                                              std::shared_ptr<platform::TokenCache> cache,
                                                              std::shared_ptr<platform::Clock> clock,
                                                              std::chrono::seconds margin, Logger log);

}  // namespace nativeauth::core
