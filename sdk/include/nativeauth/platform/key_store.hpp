// SPDX-License-Identifier: Apache-2.0
/// @file
/// KeyStore: where a slot's DPoP key pair lives (RFC 9449), ideally where no process can export it.
#pragma once

#include <nativeauth/platform/credential_store.hpp>
#include <nativeauth/result.hpp>
#include <nativeauth/secret.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace nativeauth::platform {

/// One key pair that signs a slot's DPoP proofs. A hardware key (TPM, CNG's Platform Crypto Provider,
/// the Secure Enclave, Android's Keystore) never shows the SDK its private part; a software key keeps it in
/// memory only while the object lives, and wipes it then.
/// Thread safety: sign() may be called from several threads at once.
class ProofKey {
 public:
  virtual ~ProofKey() = default;
  /// The JWS algorithm it signs with (RFC 7518 §3.1): "ES256".
  virtual std::string algorithm() const = 0;
  /// The public key as a JWK (RFC 7517) JSON object with its required members only, e.g.
  /// {"crv":"P-256","kty":"EC","x":"…","y":"…"}: the `jwk` of every proof's header.
  virtual std::string public_jwk() const = 0;
  /// The JWS signature (RFC 7515 §5.1) of `signing_input`, "<b64url header>.<b64url payload>"; for ES256 the
  /// 64-byte R‖S (RFC 7518 §3.4), not DER. Errors: ErrorCode::key_unavailable when the key is gone (a cleared
  /// TPM, a deleted CNG key), internal when the device fails.
  virtual Result<std::vector<std::uint8_t>> sign(std::string_view signing_input) = 0;
};

/// A key just made, and what reopens it later.
struct CreatedKey {
  std::unique_ptr<ProofKey> key;  ///< The key, ready to sign.
  /// What the slot's record keeps to reopen the key (KeyStore::open()): a TPM-wrapped blob, a CNG key name, a
  /// host app's key alias, or (software) the private key itself. Secret: the record is kept as a whole in
  /// the credential store.
  SecretString reference;
};

/// Makes, reopens and deletes DPoP keys; one backend per file in the platform's folder (software: the core's).
/// Thread safety: every method may be called from any thread. Ownership: shared (platform::Platform::keys).
class KeyStore {
 public:
  virtual ~KeyStore() = default;
  /// A short name, stored in the slot's record with the key and shown by `status`: "software", "tpm",
  /// "cng-platform", "cng-software", "host". A record whose key another store made is opened by that
  /// store, or not at all.
  virtual std::string name() const = 0;
  /// Makes a new key pair for `slot`, signing with `algorithm` ("ES256"). Errors: ErrorCode::key_unavailable
  /// when the backend cannot make one now (say what to fix); invalid_argument for an algorithm it lacks.
  virtual Result<CreatedKey> create(const SlotKey &slot, std::string_view algorithm) = 0;
  /// Reopens the key `reference` names. Errors: ErrorCode::key_unavailable when it is gone or unusable here
  /// (another machine's TPM blob, a deleted key).
  virtual Result<std::unique_ptr<ProofKey>> open(const SlotKey &slot, const SecretString &reference) = 0;
  /// Deletes the key for good (a persisted TPM or CNG object); a key already gone is not an error. A software
  /// key lives only in the record, which the caller erases: nothing to do.
  virtual Result<void> remove(const SlotKey &slot, const SecretString &reference) = 0;
};

/// The store that keeps keys in software (P-256 made by the SDK's crypto backend), the private key kept in
/// the slot's record in the credential store. Every platform has it; it is the default where no hardware
/// store is found.
NATIVEAUTH_API std::shared_ptr<KeyStore> software_key_store();

/// A key the host app made for a slot (CallbackKeyStoreFunctions::create): what reopens it in the host's
/// store, and its public half.
struct HostKey {
  /// The host's handle of the key (a Keychain tag, a Secure Enclave key's data representation, an Android
  /// Keystore alias): any bytes. Kept in the slot's record; handed back to sign and remove.
  SecretString reference;
  /// The public key as a JWK (RFC 7517) JSON object: {"kty":"EC","crv":"P-256","x":"…","y":"…"}.
  std::string public_jwk;
};

/// A key store whose operations are the host app's own functions (iOS Secure Enclave, Android Keystore): the
/// SDK never sees the private key. Every function must be set. They may be called from any thread, sign from
/// several at once; exceptions they throw become ErrorCode::key_unavailable.
struct CallbackKeyStoreFunctions {
  /// KeyStore::name(), kept in the slot's record with the key; sessions whose key another store made are
  /// not opened here.
  std::string name = "host";
  /// Makes a key pair for the slot, signing with the algorithm ("ES256").
  std::function<Result<HostKey>(const SlotKey &, std::string_view algorithm)> create;
  /// Signs `signing_input` (the host hashes it: SHA-256 for ES256) with the key `reference` names; for ES256
  /// the 64-byte R‖S (RFC 7518 §3.4), not DER.
  std::function<Result<std::vector<std::uint8_t>>(const SlotKey &, const SecretString &reference,
                                                  std::string_view signing_input)>
      sign;
  /// Deletes the key `reference` names; a key already gone is not an error.
  std::function<Result<void>(const SlotKey &, const SecretString &reference)> remove;
};

/// A KeyStore over the host's functions. Its references (CreatedKey::reference) hold the host's reference and
/// the public JWK, so open() needs no call into the host. ErrorCode::invalid_argument when a function or the
/// name is missing.
NATIVEAUTH_API Result<std::shared_ptr<KeyStore>> make_callback_key_store(CallbackKeyStoreFunctions functions);

}  // namespace nativeauth::platform
