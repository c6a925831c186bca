// SPDX-License-Identifier: Apache-2.0
// Linux's defaults, wired in one place: libcurl for HTTP, the Secret Service (or the opt-in file store,
// or memory) for sessions, the $BROWSER/xdg-open/gio launcher, the POSIX loopback listener, flock slot
// locks, the Unix-socket redirect relay, the coarse wall clock, and the TPM's DPoP key store when there is a
// TPM. Not here: any of those parts.

#include "core/platform_defaults.hpp"

#include <nativeauth/memory_store.hpp>
#include <nativeauth/version.hpp>

#include <cstdlib>

#include "libcurl/curl_transport.hpp"
#include "linux/browser_launcher.hpp"
#include "linux/clock.hpp"
#include "linux/kernel_keyring.hpp"
#include "linux/token_cache.hpp"
#include "linux/tpm_key_store.hpp"
#include "posix/loopback_listener.hpp"
#include "posix/redirect_relay.hpp"
#include "posix/slot_lock.hpp"

namespace nativeauth::platform {
namespace {

Result<std::shared_ptr<CredentialStore>> default_store(const ClientOptions &options) {
  switch (options.storage) {
    case StorageKind::keychain: {
      KeychainOptions keychain = options.keychain;
      if (keychain.app_name.empty()) keychain.app_name = options.client_id;
      return make_keychain_store(keychain);
    }
    case StorageKind::file: return make_file_store(options.file_store);
    case StorageKind::memory: return std::shared_ptr<CredentialStore>(std::make_shared<MemoryCredentialStore>());
    case StorageKind::encrypted_file: return make_encrypted_file_store(options.encrypted_store);
  }
  return make_error(ErrorCode::invalid_argument, "ClientOptions::storage is not a StorageKind");
}

/// The kernel keyring's access-token cache, for a store this platform made that outlives the process,
/// unless the app or the user (NATIVEAUTH_NO_KEYRING_CACHE) turned it off. An app's own store gets none:
/// what it keeps, and for whom, is the app's to say.
Result<std::shared_ptr<TokenCache>> default_token_cache(const ClientOptions &options) {
  if (!options.token_cache || options.storage == StorageKind::memory || std::getenv("NATIVEAUTH_NO_KEYRING_CACHE")) {
    return std::shared_ptr<TokenCache>();
  }
  if (auto bad = kernel_keyring::ring_setting_error()) return std::move(*bad);
  return linux_platform::make_kernel_keyring_token_cache(kernel_keyring::ring_from_environment(),
                                                         linux_platform::token_cache_store_name(options.storage));
}

}  // namespace

// store and http stay empty: they depend on ClientOptions, which complete() is given.
Platform default_platform() {
  Platform platform;
  platform.browser = linux_platform::make_browser_launcher();
  platform.loopback = posix::make_loopback_listener_factory();
  platform.locks = posix::make_slot_lock_factory();
  platform.relay = posix::make_redirect_relay();
  platform.clock = linux_platform::make_coarse_clock();
  return platform;
}

Result<Defaults> complete(Platform given, const ClientOptions &options) {
  Defaults out;
  Platform &p = out.platform;
  p = with_os_parts(std::move(given), default_platform());
  if (!p.store) {
    auto store = default_store(options);
    if (!store) return std::move(store).error();
    p.store = std::move(*store);
    if (!p.token_cache) {
      auto cache = default_token_cache(options);
      if (!cache) return std::move(cache).error();
      p.token_cache = std::move(*cache);
    }
    if (options.storage == StorageKind::file) {
      out.warnings.emplace_back(
          "sessions are kept in files protected only by file permissions (the file store was chosen)");
    }
  }
  // A TPM when one is reachable (NATIVEAUTH_TPM=off opts out); left empty, the core uses its software store.
  if (!p.keys) p.keys = linux_platform::make_tpm_key_store_if_present();
  if (!p.http) {
    libcurl::CurlTransportOptions t;
    t.connect_timeout = options.connect_timeout;
    t.request_timeout = options.request_timeout;
    t.ca_bundle = options.ca_bundle;
    t.user_agent = std::string("nativeauth/") + version();
    p.http = libcurl::make_curl_transport(t);
  }
  return out;
}

}  // namespace nativeauth::platform
