// SPDX-License-Identifier: Apache-2.0
// The passphrase-protected store's formats, version 1: the store's parameter file (store.json: KDF and its
// parameters, salt, store id, key-check value), one encrypted record, and the unlocked key as the OS holds
// it. Pure: every byte in and out is a string; the files and the key holder are the platform's
// (core/platform_encrypted_store.hpp), the store that uses these is core/encrypted_store.cpp.
#pragma once

#include "crypto/crypto.hpp"

#include <nativeauth/platform/credential_store.hpp>
#include <nativeauth/result.hpp>
#include <nativeauth/secret.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace nativeauth::core::encrypted {

inline constexpr int kStoreFormat = 1;       ///< store.json's "nativeauth_encrypted_store"
inline constexpr int kRecordFormat = 1;      ///< a record's "nativeauth_encrypted"
inline constexpr std::size_t kKeySize = 32;  ///< AES-256

/// scrypt for new stores: N = 2^15, r = 8, p = 1: 32 MiB and about 0.1 s on one core of a 2020s machine
/// (docs/storage.md, "Headless servers", says why these and not RFC 7914's 2^20 for files).
inline constexpr crypto::ScryptParameters kNewStoreScrypt{std::uint64_t{1} << 15, 8, 1};

/// What store.json holds. Nothing in it is secret.
struct StoreParameters {
  std::string id;                ///< 32 hex digits, random: names the key in the OS, bound into every record
  crypto::ScryptParameters kdf;  ///< scrypt's N, r, p
  crypto::Bytes salt;            ///< 16 random bytes
  crypto::Bytes check_nonce;     ///< 12 bytes
  std::string check;             ///< AES-256-GCM of a constant under the key: tells a wrong passphrase
};

/// A new store's parameters for `passphrase`, and the key derived from it. Errors: internal (OpenSSL).
struct NewStore {
  StoreParameters parameters;
  SecretString key;
};
Result<NewStore> create_store(const SecretString &passphrase);

/// store.json's text (one line of JSON and a newline).
std::string serialize(const StoreParameters &parameters);

/// Reads store.json. Errors: storage_corrupt naming `path` (not JSON, a member missing or of the wrong
/// type, parameters out of range: more than 64 MiB, N not a power of two); storage_unavailable when the
/// format is newer than this build reads.
Result<StoreParameters> parse_parameters(std::string_view text, const std::string &path);

/// The key scrypt derives from `passphrase`, if the key-check value accepts it. Errors: storage_locked
/// ("wrong passphrase ..."), invalid_argument (empty passphrase), internal.
Result<SecretString> derive_key(const StoreParameters &parameters, const SecretString &passphrase);

/// Whether `key` is this store's key (the key-check value opens with it).
Result<bool> key_fits(const StoreParameters &parameters, const SecretString &key);

/// The name of the store's key in the OS's key holder: "nativeauth:encrypted-store:<id>".
std::string key_name(const StoreParameters &parameters);

/// The key as the OS holds it, with the time it stops being held (for EncryptedStoreStatus):
/// "1 <unix seconds> " followed by the 32 key bytes.
SecretString pack_key(const SecretString &key, std::chrono::system_clock::time_point until);
struct HeldKey {
  SecretString key;
  std::chrono::system_clock::time_point until;
};
/// nullopt when `payload` is not pack_key()'s form.
std::optional<HeldKey> unpack_key(const SecretString &payload);

/// One record, sealed: a line of JSON {"nativeauth_encrypted":1,"nonce":…,"sealed":…} with a new random
/// nonce. The additional data binds the store id and the slot, so a record copied into another slot's
/// file, or into another store, does not open. Errors: internal.
Result<SecretString> seal_record(const StoreParameters &parameters, const SecretString &key,
                                 const platform::SlotKey &slot, const SecretString &record);

/// Reverses seal_record(). Errors: storage_corrupt naming `path` when the record is not one (cut, not
/// JSON, an unknown version) or does not authenticate (a changed byte, another slot's or store's record).
Result<SecretString> open_record(const StoreParameters &parameters, const SecretString &key,
                                 const platform::SlotKey &slot, const SecretString &sealed, const std::string &path);

}  // namespace nativeauth::core::encrypted
