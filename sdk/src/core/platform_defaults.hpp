// SPDX-License-Identifier: Apache-2.0
// The one thing the core asks of the platform folder a build compiles (cmake/NativeauthPlatform.cmake):
// wire its defaults into the parts an app left empty. Each platform implements it once, in
// platform/<os>/defaults.cpp, and that is the only place that knows which transport, store, browser
// launcher, loopback listener, slot locks, redirect relay and clock the platform uses.
#pragma once

#include <nativeauth/options.hpp>
#include <nativeauth/platform/platform.hpp>
#include <nativeauth/result.hpp>

#include <string>
#include <vector>

namespace nativeauth::platform {

/// A complete Platform for a Client, and what the app should be told about the choices made.
struct Defaults {
  Platform platform;                  ///< `given` with every empty part filled
  std::vector<std::string> warnings;  ///< logged at warning level by the Client (e.g. "file store chosen")
};

/// Fills every empty part of `given` with this platform's default for `options`: the HTTP transport
/// (timeouts, CA bundle, user agent from `options`), the store (`options.storage`, `keychain`,
/// `file_store`), and the browser launcher, loopback listener, slot locks, redirect relay and clock.
/// A part the platform lacks stays empty (the Client refuses what it then cannot do); a store that
/// cannot be made is an error (ErrorCode::storage_unavailable and friends).
Result<Defaults> complete(Platform given, const ClientOptions &options);

/// `given` with its empty browser, listener, locks, relay and clock taken from `os` (the parts that do not
/// depend on ClientOptions); what every platform's complete() starts with.
inline Platform with_os_parts(Platform given, const Platform &os) {
  if (!given.browser) given.browser = os.browser;
  if (!given.loopback) given.loopback = os.loopback;
  if (!given.locks) given.locks = os.locks;
  if (!given.relay) given.relay = os.relay;
  if (!given.clock) given.clock = os.clock;
  return given;
}

}  // namespace nativeauth::platform
