// SPDX-License-Identifier: Apache-2.0
// `nativeauth logout`: revoke, end the provider session in the browser, forget the session locally.
#pragma once

#include "common.hpp"

#include <cstdint>

namespace cli {

struct LogoutArgs {
  Target target;
  bool local = false;     ///< only forget it on this machine
  bool all_apps = false;  ///< every app's session of this issuer on this machine
  bool no_browser = false;
  int timeout_seconds = 120;
  /// Fixed loopback port for the post-logout redirect (http://127.0.0.1:PORT/logout); 0: chosen by the OS.
  std::uint16_t port = 0;
};

/// Exit code: 0 signed out locally (remote problems are reported on stderr); 1 local state could not
/// be erased.
int run_logout(const LogoutArgs &args);

}  // namespace cli
