// SPDX-License-Identifier: Apache-2.0
// The second thing the core asks of the platform folder a build compiles (the first: platform_defaults.hpp):
// what the passphrase-protected store (core/encrypted_store.cpp) keeps outside its own logic. The core owns
// the format and the cryptography (core/encrypted_format.cpp, crypto/); the platform owns the files and the
// place where an unlocked key waits between processes. Linux: platform/linux/encrypted_store_host.cpp
// (the file store's files, and the kernel keyring).
#pragma once

#include <nativeauth/platform/credential_store.hpp>
#include <nativeauth/result.hpp>
#include <nativeauth/secret.hpp>
#include <nativeauth/storage.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

namespace nativeauth::platform {

/// One store directory's files and key holder, as the platform provides them.
class EncryptedStoreHost {
 public:
  virtual ~EncryptedStoreHost() = default;

  /// The resolved directory (for messages and EncryptedStoreStatus).
  virtual const std::string &directory() const = 0;

  /// Where the encrypted records live: a store of opaque bytes per slot (the file store, in directory()).
  virtual CredentialStore &records() = 0;

  /// The file that holds `key`'s record, for messages.
  virtual std::string record_path(const SlotKey &key) const = 0;

  /// The store's parameter file (store.json): its path, and its bytes or nullopt when it does not exist.
  virtual std::string parameters_path() const = 0;
  virtual Result<std::optional<std::string>> read_parameters() = 0;

  /// Creates the parameter file (0600, written and flushed before it appears under its name) unless it
  /// exists: false then, and the file is left as it was (two first unlocks racing: the first one wins).
  virtual Result<bool> create_parameters(const std::string &content) = 0;

  /// The unlocked key, held by the OS for every process of the user until `lifetime` ends (put), read
  /// (get: nullopt when none, expired or removed), and dropped at once (remove: none is not an error).
  virtual Result<void> put_key(const std::string &name, const SecretString &key, std::chrono::seconds lifetime) = 0;
  virtual Result<std::optional<SecretString>> get_key(const std::string &name) = 0;
  virtual Result<void> remove_key(const std::string &name) = 0;

  /// Drops every access token the platform's token cache holds for sessions in encrypted stores (so that
  /// after lock_encrypted_store() no token is handed out without the passphrase); none is not an error.
  virtual Result<void> drop_cached_tokens() = 0;
};

/// This platform's host for `options` (directory resolved, nothing touched yet). ErrorCode::storage_unavailable
/// where the platform has none; invalid_argument for a relative directory.
Result<std::shared_ptr<EncryptedStoreHost>> make_encrypted_store_host(const EncryptedStoreOptions &options);

}  // namespace nativeauth::platform
