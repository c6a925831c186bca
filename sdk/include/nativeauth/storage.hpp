// SPDX-License-Identifier: Apache-2.0
/// @file
/// Where sessions persist: the platform keychain (default), an explicit opt-in file store (plain or encrypted
/// with a passphrase), or host callbacks.
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
  /// Explicit opt-in for machines without a keychain (SSH, containers, CI): the file store's files,
  /// each record encrypted with AES-256-GCM under a key derived from a passphrase (scrypt). Usable once
  /// unlock_encrypted_store() put the key into the OS's memory for a while (Linux: the kernel keyring).
  encrypted_file,
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

/// Options of the passphrase-protected store (make_encrypted_file_store(), StorageKind::encrypted_file).
struct EncryptedStoreOptions {
  /// Directory of the store (store.json and the records); empty: $XDG_STATE_HOME/nativeauth/encrypted
  /// (default ~/.local/state/nativeauth/encrypted). The file store's rules apply: created 0700, refused
  /// when group/other can access it.
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

/// The passphrase-protected store (docs/storage.md, "Headless servers"). Creating it touches nothing; each
/// call reads the unlocked key from the OS (Linux: the user's kernel keyring, `@u`) and fails with
/// ErrorCode::storage_locked, saying to run `nativeauth unlock`, while the store is locked. A record that
/// does not decrypt (changed, cut, moved from another slot) is ErrorCode::storage_corrupt naming its file.
/// ErrorCode::storage_unavailable where the platform has no such store.
NATIVEAUTH_API Result<std::shared_ptr<platform::CredentialStore>> make_encrypted_file_store(
    const EncryptedStoreOptions &options = {});

/// Whether a passphrase-protected store exists and is unlocked now, and until when.
struct EncryptedStoreStatus {
  std::string directory;  ///< The store's directory, as resolved from EncryptedStoreOptions.
  bool exists = false;    ///< store.json is there (unlock_encrypted_store() has created the store).
  bool unlocked = false;  ///< Its key is in the OS's memory now.
  /// When the OS drops the key again (when `unlocked`).
  std::optional<std::chrono::system_clock::time_point> unlocked_until;
};

/// The store's state; reads store.json and the OS's key, derives nothing. Errors: storage_unavailable
/// (unusable directory or keyring), storage_corrupt (store.json cannot be read as a store).
NATIVEAUTH_API Result<EncryptedStoreStatus> encrypted_store_status(const EncryptedStoreOptions &options = {});

/// Derives the key from `passphrase` (scrypt with the store's parameters), checks it against the store's
/// key-check value, and puts it into the OS's memory for `duration` (at least one second), after which
/// the OS drops it. The first call creates the store with this passphrase (a new salt and store id).
/// Takes about 0.1 s of CPU and 32 MiB of memory by design. The passphrase and the key are wiped here.
/// Errors: storage_locked when the passphrase is wrong (the message says so; the store stays locked, so
/// an app reacts as to any locked store: ask again); invalid_argument when it is empty;
/// storage_unavailable and storage_corrupt as encrypted_store_status().
NATIVEAUTH_API Result<EncryptedStoreStatus> unlock_encrypted_store(const SecretString &passphrase,
                                                                   std::chrono::seconds duration,
                                                                   const EncryptedStoreOptions &options = {});

/// Removes the store's key from the OS's memory at once (every process of the user is locked out until
/// the next unlock). Locking a locked store is not an error.
NATIVEAUTH_API Result<void> lock_encrypted_store(const EncryptedStoreOptions &options = {});

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
