// SPDX-License-Identifier: Apache-2.0
/// @file
/// Platform: the bundle of pluggable parts a Client runs on; empty members take the defaults.
#pragma once

#include <nativeauth/export.hpp>
#include <nativeauth/platform/browser_launcher.hpp>
#include <nativeauth/platform/clock.hpp>
#include <nativeauth/platform/credential_store.hpp>
#include <nativeauth/platform/http_transport.hpp>
#include <nativeauth/platform/key_store.hpp>
#include <nativeauth/platform/loopback_listener.hpp>
#include <nativeauth/platform/redirect_relay.hpp>
#include <nativeauth/platform/slot_lock.hpp>
#include <nativeauth/platform/token_cache.hpp>

#include <memory>

namespace nativeauth::platform {

/// The pluggable parts a Client runs on (ClientOptions::platform); an empty member takes the default.
/// Ownership: parts are shared; a Client keeps those it was given alive as long as it lives.
struct Platform {
  std::shared_ptr<BrowserLauncher> browser;           ///< Default: the OS's (Linux: $BROWSER, xdg-open, gio).
  std::shared_ptr<LoopbackListenerFactory> loopback;  ///< Default: the OS's sockets.
  std::shared_ptr<CredentialStore> store;             ///< Default: per ClientOptions::storage.
  std::shared_ptr<HttpTransport> http;                ///< Default: libcurl.
  /// Default: the OS's (Linux: CLOCK_REALTIME_COARSE, never ahead of the true time, a few ms behind at
  /// most); elsewhere std::chrono::system_clock.
  std::shared_ptr<Clock> clock;
  std::shared_ptr<SlotLockFactory> locks;  ///< Default: the OS's (Linux: flock on a 0600 file).
  /// Default: the OS's (Linux: Unix sockets). Used only with an app-handled redirect URI; none (e.g. on
  /// mobile, where the host app hands the redirect over itself): no forwarding between instances.
  std::shared_ptr<RedirectRelay> relay;
  /// Default (Linux, with a store that persists and ClientOptions::token_cache): the kernel keyring's
  /// access-token cache; elsewhere none. None: every new process reads the store.
  std::shared_ptr<TokenCache> token_cache;
  /// Where DPoP keys are made (ClientOptions::dpop). Default: the platform's hardware store when it has one
  /// that works (Linux: a TPM 2.0; Windows: CNG's Platform Crypto Provider, else a non-exportable software
  /// key of CNG), else software_key_store(). A session keeps the name of the store its key is in and is
  /// always reopened there.
  std::shared_ptr<KeyStore> keys;
};

/// The parts of the platform nativeauth was built for (browser launcher, loopback listener, slot locks,
/// redirect relay, clock). Implemented in platform/\<os\>/; the others are filled in by the Client.
NATIVEAUTH_API Platform default_platform();

}  // namespace nativeauth::platform
