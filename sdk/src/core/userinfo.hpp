// SPDX-License-Identifier: Apache-2.0
// The UserInfo endpoint's part in a sign-in (OIDC Core §5.3): when to ask it (the ID token lacks every
// claim of a scope the app was granted, §5.4) and how its answer joins the ID token's claims. The request
// itself is Client::Impl::add_userinfo_claims() (userinfo.cpp). Not here: the ID token's validation.
#pragma once

#include <nativeauth/result.hpp>

#include "core/json_util.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace nativeauth::core {

/// The scopes among `scopes` that stand for standard claims (OIDC Core §5.4: profile, email, address,
/// phone) and none of whose claims `id_token_claims` carries. A provider that puts scope claims in the
/// ID token puts some of them there; one that puts none (oidc-provider's conformIdTokenClaims, many
/// hosted providers) leaves them to the UserInfo endpoint.
std::vector<std::string> scopes_without_claims(const Json &id_token_claims, const std::vector<std::string> &scopes);

/// Adds to `claims` (the validated ID token's) each member of the UserInfo response `body` that they
/// lack, never the ID token's own protocol claims (iss, aud, exp, nonce, ...), and returns the names
/// added. Refused, with nothing added, when the body is not a JSON object or its `sub` is missing or is
/// not the ID token's (OIDC Core §5.3.2: the response MUST NOT be used then). The message of the error
/// holds no value from the response.
Result<std::vector<std::string>> merge_userinfo(Json &claims, std::string_view body);

}  // namespace nativeauth::core
