// SPDX-License-Identifier: Apache-2.0
/// @file
/// SecretString: a move-only string for tokens, codes and verifiers, wiped on destruction, never printable.
#pragma once

#include <nativeauth/export.hpp>

#include <iosfwd>
#include <string>
#include <string_view>

namespace nativeauth {

/// Overwrites `size` bytes at `data` with zeros in a way the optimizer keeps.
NATIVEAUTH_API void secure_wipe(void *data, std::size_t size) noexcept;

/// Owns a secret. Move-only so that no stray copy outlives the wipe; streaming it prints "[redacted]".
/// Thread safety: like std::string (distinct objects may be used from distinct threads).
/// Ownership: owns its bytes; reveal() returns a view into them, valid while the object is unchanged.
class NATIVEAUTH_API SecretString {
 public:
  SecretString() = default;
  /// Takes `value` (move a std::string in: a copy left behind is not wiped).
  explicit SecretString(std::string value) noexcept : value_(std::move(value)) {}
  SecretString(const SecretString &) = delete;
  SecretString &operator=(const SecretString &) = delete;
  /// Takes `other`'s secret; `other` is left empty and wiped.
  SecretString(SecretString &&other) noexcept;
  /// Wipes this secret and takes `other`'s; `other` is left empty and wiped.
  SecretString &operator=(SecretString &&other) noexcept;
  ~SecretString();

  /// Explicit copy, for the rare place that must keep two (e.g. a store and a session).
  SecretString clone() const { return SecretString(value_); }

  /// The secret itself. Do not log it; keep the view shorter-lived than this object.
  std::string_view reveal() const noexcept { return value_; }
  /// True when no secret is held.
  bool empty() const noexcept { return value_.empty(); }
  /// Length of the secret in bytes.
  std::size_t size() const noexcept { return value_.size(); }
  /// Wipes the secret and leaves the object empty.
  void clear() noexcept;

  /// Constant-time comparison.
  friend NATIVEAUTH_API bool operator==(const SecretString &a, const SecretString &b) noexcept;
  /// Constant-time comparison; the negation of operator==.
  friend bool operator!=(const SecretString &a, const SecretString &b) noexcept { return !(a == b); }

 private:
  std::string value_;
};

/// Prints "[redacted]" (or "[empty]"), never the value.
NATIVEAUTH_API std::ostream &operator<<(std::ostream &os, const SecretString &s);

}  // namespace nativeauth
