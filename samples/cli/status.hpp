// SPDX-License-Identifier: Apache-2.0
// `nativeauth status`: which apps hold a session for this issuer on this machine. Never a token.
#pragma once

#include "common.hpp"

namespace cli {

/// Exit code: 0 listed (and, with a client id, that client's slot holds a session); 3 that client's
/// slot is empty; 1 the store could not be read.
int run_status(const Target &target, bool client_given, bool json);

}  // namespace cli
