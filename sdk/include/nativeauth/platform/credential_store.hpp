// SPDX-License-Identifier: Apache-2.0
/// @file
/// CredentialStore: where sessions persist, one slot per (issuer, client_id, profile).
#pragma once

#include <nativeauth/result.hpp>
#include <nativeauth/secret.hpp>

#include <optional>
#include <string>
#include <vector>

namespace nativeauth::platform {

/// Identifies one app's session: apps of one product never share a slot.
struct SlotKey {
  /// The provider's issuer identifier.
  std::string issuer;
  /// The app's client_id.
  std::string client_id;
  /// The account within the app (ClientOptions::profile).
  std::string profile = "default";

  /// Same issuer, client_id and profile.
  friend bool operator==(const SlotKey &a, const SlotKey &b) {
    return a.issuer == b.issuer && a.client_id == b.client_id && a.profile == b.profile;
  }
  /// Orders by issuer, client_id, profile (a map key).
  friend bool operator<(const SlotKey &a, const SlotKey &b) {
    if (a.issuer != b.issuer) return a.issuer < b.issuer;
    if (a.client_id != b.client_id) return a.client_id < b.client_id;
    return a.profile < b.profile;
  }
};

/// Stores opaque session records (versioned JSON produced by nativeauth; secret as a whole).
/// Thread safety: every method may be called from any thread.
/// Ownership: held through std::shared_ptr (platform::Platform::store); one store may serve several Clients.
class CredentialStore {
 public:
  virtual ~CredentialStore() = default;
  /// The record, or nullopt when the slot is empty.
  virtual Result<std::optional<SecretString>> load(const SlotKey &key) = 0;
  /// Replaces the slot's record atomically.
  virtual Result<void> save(const SlotKey &key, const SecretString &record) = 0;
  /// Empties the slot; erasing an empty slot succeeds.
  virtual Result<void> erase(const SlotKey &key) = 0;
  /// Every non-empty slot of `issuer`.
  virtual Result<std::vector<SlotKey>> list(const std::string &issuer) = 0;
};

}  // namespace nativeauth::platform
