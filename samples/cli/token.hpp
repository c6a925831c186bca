// SPDX-License-Identifier: Apache-2.0
// `nativeauth token`: a valid access token (or the ID token) on stdout, the one place the CLI prints a secret,
// on request; in the form a script or tool wants.
#pragma once

#include "common.hpp"

namespace cli {

/// What `token` prints: the bare access token (the default), a JSON object for scripts (token, type,
/// expiry, scopes; never the refresh token), the session's ID token, or an `Authorization:` header line.
enum class TokenForm { bare, json, id_token, header };

/// Exit code: 0 printed; 3 sign-in needed (or, for the ID token, the session has none); 4 the provider
/// could not be reached (and the token in hand had expired); 5/6 the store cannot be used / is busy;
/// 1 anything else.
int run_token(const Target &target, int min_ttl_seconds, TokenForm form = TokenForm::bare);

}  // namespace cli
