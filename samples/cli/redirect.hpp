// SPDX-License-Identifier: Apache-2.0
// `nativeauth handle-redirect` and `nativeauth register-scheme`: custom-scheme redirects on the desktop.
#pragma once

#include "common.hpp"

#include <string>

namespace cli {

/// Forwards `url` to the `login` waiting for it (same issuer, client id and profile). Exit 0 when the
/// waiting sign-in took it; 1 when it refused it or nobody waits.
int run_handle_redirect(const Target &target, const std::string &url);

struct SchemeArgs {
  Target target;
  std::string scheme;
  bool unregister = false;
};

/// Registers this executable (`handle-redirect` with the target's flags) as the user's handler of the
/// scheme, or removes that registration.
int run_register_scheme(const SchemeArgs &args);

}  // namespace cli
