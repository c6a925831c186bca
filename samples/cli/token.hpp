// SPDX-License-Identifier: Apache-2.0
// `nativeauth token`: a valid access token on stdout (the one place the CLI prints a secret, on request).
#pragma once

#include "common.hpp"

namespace cli {

/// Exit code: 0 printed; 3 sign-in needed; 4 the provider could not be reached (and the token in hand
/// had expired); 1 anything else.
int run_token(const Target &target, int min_ttl_seconds);

}  // namespace cli
