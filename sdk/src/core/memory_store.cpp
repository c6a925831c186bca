// SPDX-License-Identifier: Apache-2.0
// MemoryCredentialStore: slots in a map guarded by a mutex; records wiped with the SecretString.
#include <nativeauth/memory_store.hpp>

namespace nativeauth {

Result<std::optional<SecretString>> MemoryCredentialStore::load(const platform::SlotKey &key) {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto it = slots_.find(key);
  if (it == slots_.end()) return std::optional<SecretString>{};
  return std::optional<SecretString>{it->second.clone()};
}

Result<void> MemoryCredentialStore::save(const platform::SlotKey &key, const SecretString &record) {
  std::lock_guard<std::mutex> lock(mutex_);
  slots_[key] = record.clone();
  return {};
}

Result<void> MemoryCredentialStore::erase(const platform::SlotKey &key) {
  std::lock_guard<std::mutex> lock(mutex_);
  slots_.erase(key);
  return {};
}

Result<std::vector<platform::SlotKey>> MemoryCredentialStore::list(const std::string &issuer) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<platform::SlotKey> keys;
  for (const auto &entry : slots_)
    if (entry.first.issuer == issuer) keys.push_back(entry.first);
  return keys;
}

}  // namespace nativeauth
