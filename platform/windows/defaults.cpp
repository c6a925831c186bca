// SPDX-License-Identifier: Apache-2.0
// Windows' defaults, wired in one place: WinHTTP for HTTP, Credential Manager (or memory) for sessions, the
// ShellExecuteExW/%BROWSER% launcher, the Winsock loopback listener, named-mutex slot locks, the named-pipe
// redirect relay, the system clock, and CNG's key storage providers for DPoP keys. Not here: any of those parts.

#include "core/platform_defaults.hpp"

#include <nativeauth/memory_store.hpp>
#include <nativeauth/version.hpp>

#include <chrono>

#include "windows/browser_launcher.hpp"
#include "windows/loopback_listener.hpp"
#include "windows/ncrypt_key_store.hpp"
#include "windows/redirect_relay.hpp"
#include "windows/slot_lock.hpp"
#include "windows/winhttp_transport.hpp"

namespace nativeauth::platform {
namespace {

/// std::chrono::system_clock: GetSystemTimePreciseAsFileTime in mingw-w64's and MSVC's runtimes.
class SystemClock final : public Clock {
 public:
  std::chrono::system_clock::time_point now() const override { return std::chrono::system_clock::now(); }
};

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

}  // namespace

// store and http stay empty: they depend on ClientOptions, which complete() is given. No token cache:
// Windows has no kernel keyring (docs/storage.md); every process reads Credential Manager.
Platform default_platform() {
  Platform platform;
  platform.browser = windows::make_browser_launcher();
  platform.loopback = windows::make_loopback_listener_factory();
  platform.locks = windows::make_slot_lock_factory();
  platform.relay = windows::make_redirect_relay();
  platform.clock = std::make_shared<SystemClock>();
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
  }
  if (!p.http) {
    if (!options.ca_bundle.empty()) {
      return make_error(ErrorCode::invalid_argument,
                        "ClientOptions::ca_bundle is not supported on Windows: WinHTTP trusts the system's "
                        "certificate store; add the CA there instead");
    }
    windows::WinHttpTransportOptions t;
    t.connect_timeout = options.connect_timeout;
    t.request_timeout = options.request_timeout;
    t.user_agent = std::string("nativeauth/") + version();
    p.http = windows::make_winhttp_transport(t);
  }
  // The TPM, else CNG's software provider (non-exportable keys); nullptr when neither can make a P-256 key
  // (wine), and the core then keeps DPoP keys in software. Chosen once per process.
  if (!p.keys) p.keys = windows::make_ncrypt_key_store();
  return out;
}

}  // namespace nativeauth::platform
