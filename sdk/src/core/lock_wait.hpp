// SPDX-License-Identifier: Apache-2.0
// How long a call waits for a slot lock another thread or process holds: ClientOptions::lock_timeout, or,
// unset, as long as one refresh may hold it. Not here: the locks themselves (platform/*/slot_lock.cpp).
#pragma once

#include <nativeauth/options.hpp>

#include <chrono>

namespace nativeauth::core {

/// The wait in effect for `options` (client.cpp resolves it once, in Client::create()).
inline std::chrono::milliseconds lock_wait(const ClientOptions &options) {
  if (options.lock_timeout) return *options.lock_timeout;
  // Every step a refresh takes while it holds the lock (refresh.cpp), each at its own bound: four requests
  // (discovery, the refresh grant and its one retry after a lost response, the JWKS: a new process fetches
  // it, a long-lived one refetches it at most once) and two keychain calls (reading the slot, writing it
  // back). A shorter wait would give up on a holder that is slow but healthy.
  constexpr auto kForever = std::chrono::milliseconds::max();  // the locks treat it as "no limit"
  const auto request = options.request_timeout;
  const auto keychain = options.keychain.timeout;
  if (request > kForever / 8 || keychain > kForever / 8) return kForever;
  return 4 * request + 2 * keychain;
}

}  // namespace nativeauth::core
