// SPDX-License-Identifier: Apache-2.0
// `nativeauth unlock` and `nativeauth lock`: the passphrase-protected store's key into the kernel keyring
// for a while, and out of it again (--storage encrypted-file; docs/storage.md, "Headless servers").
#pragma once

#include <chrono>
#include <istream>
#include <optional>
#include <string>

namespace cli {

struct UnlockArgs {
  std::string duration = "8h";  ///< --for: how long the key stays in the kernel keyring
};

/// "90s", "15m", "8h", "1d" (or a bare number of seconds), from one second to 366 days; nullopt otherwise.
std::optional<std::chrono::seconds> parse_duration(const std::string &text);

/// Asks for the passphrase (twice when the store is created) on /dev/tty with echo off when stdin is a
/// terminal, else reads one line from stdin; derives the key and puts it into the kernel keyring.
/// Exit code: 0 unlocked; 2 a bad --for or an empty passphrase; 5 a wrong passphrase or an unusable store.
int run_unlock(const UnlockArgs &args);

/// Removes the key from the kernel keyring. Exit code: 0 locked (or already locked); 5 the store is unusable.
int run_lock();

}  // namespace cli
