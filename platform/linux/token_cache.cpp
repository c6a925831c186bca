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
  explicit KernelKeyringTokenCache(kernel_keyring::Ring ring) : ring_(ring) {}

  Result<std::optional<SecretString>> get(const platform::SlotKey &key) override {
    return kernel_keyring::get(ring_, token_cache_description(key));
  }
  Result<void> put(const platform::SlotKey &key, const SecretString &entry, std::chrono::seconds ttl) override {
    return kernel_keyring::put(ring_, token_cache_description(key), entry, ttl);
  }
  Result<void> remove(const platform::SlotKey &key) override {
    return kernel_keyring::remove(ring_, token_cache_description(key));
  }

 private:
  kernel_keyring::Ring ring_;
};

}  // namespace

std::string token_cache_description(const platform::SlotKey &key) {
  return "nativeauth:access-token:" + util::slot_hash_hex(key.issuer, key.client_id, key.profile);
}

std::shared_ptr<platform::TokenCache> make_kernel_keyring_token_cache(kernel_keyring::Ring ring) {
  return std::make_shared<KernelKeyringTokenCache>(ring);
}

}  // namespace nativeauth::linux_platform
