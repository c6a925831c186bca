// SPDX-License-Identifier: Apache-2.0
// The access-token cache in the kernel keyring (token_cache.hpp): entries are the core's opaque,
// versioned records; the key's timeout is the entry's time to live, so the kernel drops a token before
// it is due for refresh even when no nativeauth process runs again.
#include "linux/token_cache.hpp"

#include "util/slot_hash.hpp"

namespace nativeauth::linux_platform {
namespace {

class KernelKeyringTokenCache final : public platform::TokenCache {
 public:
  KernelKeyringTokenCache(kernel_keyring::Ring ring, std::string store) : ring_(ring), store_(std::move(store)) {}

  Result<std::optional<SecretString>> get(const platform::SlotKey &key) override {
    return kernel_keyring::get(ring_, token_cache_description(store_, key));
  }
  Result<void> put(const platform::SlotKey &key, const SecretString &entry, std::chrono::seconds ttl) override {
    return kernel_keyring::put(ring_, token_cache_description(store_, key), entry, ttl);
  }
  Result<void> remove(const platform::SlotKey &key) override {
    return kernel_keyring::remove(ring_, token_cache_description(store_, key));
  }

 private:
  kernel_keyring::Ring ring_;
  std::string store_;
};

}  // namespace

std::string token_cache_store_name(StorageKind kind) {
  switch (kind) {
    case StorageKind::keychain: return "keychain";
    case StorageKind::file: return "file";
    case StorageKind::encrypted_file: return "encrypted-file";
    case StorageKind::memory: return "memory";
  }
  return "unknown";
}

std::string token_cache_prefix(const std::string &store) { return "nativeauth:access-token:" + store + ":"; }

std::string token_cache_description(const std::string &store, const platform::SlotKey &key) {
  return token_cache_prefix(store) + util::slot_hash_hex(key.issuer, key.client_id, key.profile);
}

std::shared_ptr<platform::TokenCache> make_kernel_keyring_token_cache(kernel_keyring::Ring ring, std::string store) {
  return std::make_shared<KernelKeyringTokenCache>(ring, std::move(store));
}

}  // namespace nativeauth::linux_platform
