// SPDX-License-Identifier: Apache-2.0
// ID token validation (OpenID Connect Core 1.0 §3.1.3.7).
#pragma once

#include "core/json_util.hpp"
#include "oidc/jwks.hpp"

#include <nativeauth/options.hpp>
#include <nativeauth/result.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nativeauth::oidc {

struct IdTokenCheck {
  std::string issuer;                           ///< Must equal `iss` exactly.
  std::string client_id;                        ///< Must be in `aud`; must equal `azp` when present.
  std::optional<std::string> nonce;             ///< Sent in the request: must come back.
  std::optional<std::chrono::seconds> max_age;  ///< Sent in the request: auth_time required.
  /// The provider's id_token_signing_alg_values_supported; empty means RS256 (OIDC Discovery §3).
  std::vector<std::string> allowed_algs;
  std::chrono::seconds leeway{120};
  std::chrono::system_clock::time_point now;
};

/// Algorithms nativeauth verifies. HMAC (a public client has no secret to share; accepting it would
/// let anyone sign with the public key as the HMAC key) and "none" are never in this list.
const std::vector<std::string> &supported_algorithms();

/// The max_age a sign-in sends and checks, from SignInOptions::max_age (OIDC Core §3.1.2.1): unset stays
/// unset, negative is refused (invalid_argument), longer than SignInOptions::kMaxAgeLimit becomes it.
Result<std::optional<std::chrono::seconds>> bounded_max_age(std::optional<std::chrono::seconds> requested);

/// Verifies the signature with a key from `keys` (refetching once when no key fits) and every claim
/// rule. Returns the payload (the claims) on success. Error messages never contain the token.
Result<core::Json> validate_id_token(std::string_view token, const IdTokenCheck &check, KeySource &keys);

}  // namespace nativeauth::oidc
