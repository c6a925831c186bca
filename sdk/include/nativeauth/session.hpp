// SPDX-License-Identifier: Apache-2.0
// Session: the tokens and the validated identity a successful sign-in yields.
#pragma once

#include <nativeauth/export.hpp>
#include <nativeauth/secret.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace nativeauth {

/// The claims of a validated ID token. Thread safety: immutable, safe to share.
class NATIVEAUTH_API Claims {
 public:
  Claims();
  /// Parses a JSON object; an invalid document yields empty claims.
  explicit Claims(const std::string &json_object);
  Claims(const Claims &);
  Claims &operator=(const Claims &);
  Claims(Claims &&) noexcept;
  Claims &operator=(Claims &&) noexcept;
  ~Claims();

  std::string subject() const;  ///< `sub`
  std::string issuer() const;   ///< `iss`
  /// A string claim (e.g. "name", "email"), or nullopt when absent or not a string.
  std::optional<std::string> string(const std::string &name) const;
  /// A numeric claim (e.g. "auth_time"), or nullopt when absent or not a number.
  std::optional<std::int64_t> integer(const std::string &name) const;
  bool contains(const std::string &name) const;
  /// All claims as a compact JSON object.
  std::string json() const;

 private:
  struct Data;
  std::shared_ptr<const Data> data_;
};

/// A signed-in session. Move-only because it owns secrets.
struct Session {
  std::string issuer;
  std::string client_id;
  std::string profile;

  SecretString access_token;
  SecretString refresh_token;  ///< Empty when the provider issued none.
  SecretString id_token;       ///< The raw, validated ID token (sent as id_token_hint at sign-out).
  std::string token_type;      ///< "Bearer".
  /// When the access token expires; nullopt when the provider did not say (expires_in absent).
  std::optional<std::chrono::system_clock::time_point> access_token_expiry;
  std::vector<std::string> scopes;  ///< Granted scopes (the response's `scope`, else the requested).
  Claims claims;                     ///< Claims of the validated ID token.
  /// When these tokens were issued (this device's clock).
  std::chrono::system_clock::time_point issued_at{};
};

/// What one storage slot holds, without its secrets: for "who is signed in where" views.
struct SlotInfo {
  std::string issuer;
  std::string client_id;
  std::string profile;
  std::string subject;
  std::optional<std::string> name;  ///< The `name` claim, when the ID token had one.
  std::optional<std::chrono::system_clock::time_point> access_token_expiry;
  std::optional<std::chrono::system_clock::time_point> issued_at;
  bool has_refresh_token = false;
  std::vector<std::string> scopes;
  /// Set when the record could not be read (corrupt, or written for another slot); the other
  /// fields are then empty. The slot is reported rather than skipped.
  std::optional<std::string> problem;
};

}  // namespace nativeauth
