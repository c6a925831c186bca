// SPDX-License-Identifier: Apache-2.0
/// @file
/// MemoryCredentialStore: a CredentialStore that lives and dies with the process.
#pragma once

#include <nativeauth/export.hpp>
#include <nativeauth/platform/credential_store.hpp>

#include <map>
#include <mutex>

namespace nativeauth {

/// Keeps records in memory only (wiped on erase and destruction). For tests and for apps that must
/// never persist a session. Thread safety: all methods are safe from any thread.
class NATIVEAUTH_API MemoryCredentialStore final : public platform::CredentialStore {
 public:
  Result<std::optional<SecretString>> load(const platform::SlotKey &key) override;
  Result<void> save(const platform::SlotKey &key, const SecretString &record) override;
  Result<void> erase(const platform::SlotKey &key) override;
  Result<std::vector<platform::SlotKey>> list(const std::string &issuer) override;

 private:
  std::mutex mutex_;
  std::map<platform::SlotKey, SecretString> slots_;
};

}  // namespace nativeauth
