// SPDX-License-Identifier: Apache-2.0
/// @file
/// Where sessions persist: the platform keychain (default), an explicit opt-in file store, or host callbacks.
#pragma once

#include <nativeauth/export.hpp>
#include <nativeauth/platform/credential_store.hpp>
#include <nativeauth/result.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace nativeauth {

/// Which store a Client uses when ClientOptions::platform.store is not set.
enum class StorageKind {
  keychain,  ///< The platform keychain (default). Never falls back to anything else when unavailable.
  file,      ///< Explicit opt-in: 0600 files in a 0700 directory, protected only by file permissions.
  memory,    ///< Nothing persists beyond the process.
};

/// Options of the platform keychain store (make_keychain_store(), StorageKind::keychain).
struct KeychainOptions {
  /// Shown in the keychain's item label ("<app_name> — <issuer>"); empty: the client_id.
  std::string app_name;
  /// Upper bound for one keychain call. Keychains can block on an unlock prompt; past this the call
  /// is cancelled and fails with ErrorCode::storage_locked.
  std::chrono::milliseconds timeout{10'000};
};

/// Options of the opt-in file store (make_file_store(), StorageKind::file).
struct FileStoreOptions {
  /// Directory of the records; empty: $XDG_STATE_HOME/nativeauth (default ~/.local/state/nativeauth).
  /// Created 0700 when missing; refused (ErrorCode::storage_unavailable) when group/other can access it.
  std::string directory;
};

/// The platform keychain: libsecret (Linux, schema io.nativeauth.Slot), Credential Manager (Windows),
/// Keychain (Apple). Creating it does not contact the keychain; the first call does. Fails with
/// ErrorCode::storage_unavailable when this build has no keychain support.
NATIVEAUTH_API Result<std::shared_ptr<platform::CredentialStore>> make_keychain_store(
    const KeychainOptions &options = {});

/// The opt-in file store. Every record is written atomically (write, fsync, rename). It protects
/// sessions only by file permissions: anything running as the user, and root, can read them.
NATIVEAUTH_API Result<std::shared_ptr<platform::CredentialStore>> make_file_store(const FileStoreOptions &options = {});

/// A store whose operations are the host app's own functions (iOS Keychain, Android Keystore, ...).
/// Every function must be set. They are called on the thread that uses the Client, never concurrently
/// for one slot by one Client; exceptions they throw are turned into ErrorCode::storage_unavailable.
struct CallbackStoreFunctions {
  /// The slot's record, or nullopt when the slot is empty (platform::CredentialStore::load).
  std::function<Result<std::optional<SecretString>>(const platform::SlotKey &)> load;
  /// Replaces the slot's record (platform::CredentialStore::save).
  std::function<Result<void>(const platform::SlotKey &, const SecretString &)> save;
  /// Empties the slot; an empty slot is not an error (platform::CredentialStore::erase).
  std::function<Result<void>(const platform::SlotKey &)> erase;
  /// Every non-empty slot of `issuer` (platform::CredentialStore::list).
  std::function<Result<std::vector<platform::SlotKey>>(const std::string &issuer)> list;
};

/// ErrorCode::invalid_argument when a function is missing.
NATIVEAUTH_API Result<std::shared_ptr<platform::CredentialStore>> make_callback_store(CallbackStoreFunctions functions);

}  // namespace nativeauth
