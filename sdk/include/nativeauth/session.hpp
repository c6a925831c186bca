// SPDX-License-Identifier: Apache-2.0
/// @file
/// Session: the tokens and the validated identity a successful sign-in yields.
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

/// The claims of a validated ID token (with UserInfo's for what it lacks, see Session::claims).
/// Thread safety: immutable, safe to share.
class NATIVEAUTH_API Claims {
 public:
  Claims();
  /// Parses a JSON object; an invalid document yields empty claims.
  explicit Claims(const std::string &json_object);
  /// Copies share the immutable claims; nothing is parsed again.
  Claims(const Claims &);
  /// Shares `other`'s immutable claims.
  Claims &operator=(const Claims &);
  /// Moves; the moved-from object may only be destroyed or assigned to.
  Claims(Claims &&) noexcept;
  /// Move-assigns; the moved-from object may only be destroyed or assigned to.
  Claims &operator=(Claims &&) noexcept;
  ~Claims();

  std::string subject() const;  ///< `sub`
  std::string issuer() const;   ///< `iss`
  /// A string claim (e.g. "name", "email"), or nullopt when absent or not a string.
  std::optional<std::string> string(const std::string &name) const;
  /// A numeric claim (e.g. "auth_time"), or nullopt when absent or not a number.
  std::optional<std::int64_t> integer(const std::string &name) const;
  /// True when the claim `name` is present, whatever its type.
  bool contains(const std::string &name) const;
  /// All claims as a compact JSON object.
  std::string json() const;

 private:
  struct Data;
  std::shared_ptr<const Data> data_;
};

/// The DPoP key (RFC 9449) a session's tokens are bound to: the provider refuses them without a proof made
/// with this key.
struct DpopBinding {
  /// platform::KeyStore::name() of the store that holds the key: "software", "tpm", "cng-platform", ...
  std::string key_store;
  std::string algorithm = "ES256";  ///< The JWS algorithm of its proofs.
  /// The RFC 7638 thumbprint of its public key (sent as `dpop_jkt`; the tokens' `cnf.jkt`).
  std::string jkt;
  /// What the store reopens the key from (platform::CreatedKey::reference). Secret: for a software key it
  /// is the private key itself.
  SecretString key_reference;
};

/// A signed-in session. Move-only because it owns secrets.
///
/// Thread safety: a plain value type (distinct objects may be used from distinct threads).
/// Ownership: owns its tokens; they are wiped when it is destroyed.
struct Session {
  /// The issuer that issued the tokens.
  std::string issuer;
  /// The client_id they were issued to.
  std::string client_id;
  /// The profile of the slot the session is stored in.
  std::string profile;

  /// The access token; prefer Client::access_token(), which renews it before it expires.
  SecretString access_token;
  SecretString refresh_token;  ///< Empty when the provider issued none.
  SecretString id_token;       ///< The raw, validated ID token (never put in a URL, not even at sign-out).
  std::string token_type;      ///< "Bearer".
  /// When the access token expires; nullopt when the provider did not say (expires_in absent).
  std::optional<std::chrono::system_clock::time_point> access_token_expiry;
  std::vector<std::string> scopes;  ///< Granted scopes (the response's `scope`, else the requested).
  /// Claims of the validated ID token; at sign-in, those of a granted scope (profile, email, address,
  /// phone) the ID token lacks entirely are added from the UserInfo endpoint (OIDC Core §5.3), when its
  /// `sub` is the ID token's. The ID token's own claims are never replaced.
  Claims claims;
  /// When these tokens were issued (this device's clock).
  std::chrono::system_clock::time_point issued_at{};
  /// Set when the tokens are DPoP-bound (ClientOptions::dpop; token_type "DPoP"): the key they are bound to.
  std::optional<DpopBinding> dpop;
};

/// What one storage slot holds, without its secrets: for "who is signed in where" views.
struct SlotInfo {
  /// The slot's issuer.
  std::string issuer;
  /// The slot's client_id.
  std::string client_id;
  /// The slot's profile.
  std::string profile;
  /// `sub` of the stored ID token.
  std::string subject;
  std::optional<std::string> name;  ///< The `name` claim, when the ID token had one.
  /// When the stored access token expires, when known.
  std::optional<std::chrono::system_clock::time_point> access_token_expiry;
  /// When the stored tokens were issued, when the record says.
  std::optional<std::chrono::system_clock::time_point> issued_at;
  /// Whether a refresh token is stored (its value is never listed).
  bool has_refresh_token = false;
  /// Granted scopes.
  std::vector<std::string> scopes;
  /// When the session is DPoP-bound: where its key lives (DpopBinding::key_store; never the key).
  std::optional<std::string> dpop_key_store;
  /// Set when the record could not be read (corrupt, or written for another slot); the other
  /// fields are then empty. The slot is reported rather than skipped.
  std::optional<std::string> problem;
};

}  // namespace nativeauth
