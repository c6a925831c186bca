// SPDX-License-Identifier: Apache-2.0
// The kernel key retention service (keyrings(7)), through its system calls: user-type keys in the user's
// keyring (@u), or in the session keyring (@s) when NATIVEAUTH_KEYRING=session (a test, or a login that
// should not share with the user's other logins). Memory only, per user, dropped by the kernel after a
// timeout. Used by the access-token cache (token_cache.cpp) and the encrypted store's unlocked key.
// No library is loaded for it: add_key(2) and keyctl(2) are called directly.
#pragma once

#include <nativeauth/result.hpp>
#include <nativeauth/secret.hpp>

#include <chrono>
#include <optional>
#include <string>

namespace nativeauth::kernel_keyring {

/// Which keyring holds nativeauth's keys.
enum class Ring {
  user,     ///< @u: every process of the user, until the user's last login ends or the timeout.
  session,  ///< @s: this login (or test) session's keyring, inherited by child processes.
};

/// @u, or @s when NATIVEAUTH_KEYRING=session. Any other value of the variable is refused by callers
/// through ring_setting_error().
Ring ring_from_environment();

/// An error (invalid_configuration) when NATIVEAUTH_KEYRING is set to something other than "user" or
/// "session"; nullopt otherwise.
std::optional<Error> ring_setting_error();

/// Adds or replaces the key `description` (type "user") in `ring` with `payload`, readable and writable
/// only by its possessor and its user (no group, no other), dropped by the kernel after `timeout`
/// (at least one second). Errors: storage_unavailable (no keyring support, quota exceeded, ...).
Result<void> put(Ring ring, const std::string &description, const SecretString &payload, std::chrono::seconds timeout);

/// The payload of the key `description` in `ring`, or nullopt when there is none (never added, expired,
/// revoked, invalidated). Errors: storage_unavailable.
Result<std::optional<SecretString>> get(Ring ring, const std::string &description);

/// Invalidates the key `description` in `ring` at once; none is not an error.
Result<void> remove(Ring ring, const std::string &description);

/// Invalidates every user-type key directly in `ring` whose description starts with `prefix`; returns how
/// many. A keyring the kernel does not offer here (ENOSYS, EPERM) holds none.
Result<int> remove_matching(Ring ring, const std::string &prefix);

}  // namespace nativeauth::kernel_keyring
