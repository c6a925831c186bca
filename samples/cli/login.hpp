// SPDX-License-Identifier: Apache-2.0
// `nativeauth login`: sign in through the system browser and say who signed in.
#pragma once

#include "common.hpp"

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace cli {

struct LoginArgs {
  Target target;
  std::string scope;  ///< space-separated; empty: the SDK's default
  std::uint16_t port = 0;
  int timeout_seconds = 300;
  bool no_browser = false;
  bool ipv6 = false;
  std::optional<std::string> prompt;
  std::optional<std::string> login_hint;
  std::vector<std::pair<std::string, std::string>> params;
  bool device = false;   ///< --device: the device flow (device_login.hpp)
  bool browser = false;  ///< --browser: the browser flow even in an SSH session without a display
  /// Where "Signed in as ..." goes: stdout (null), or stderr for a caller whose stdout is for something
  /// else (`kubectl-credential`'s ExecCredential).
  std::ostream *report = nullptr;
  bool paste = false;  ///< --paste: paste-back sign-in (paste_login.hpp)
  /// --par: push the authorization request first (RFC 9126), even when the provider does not require it.
  bool par = false;
  /// --dpop / the profile's "dpop": bind the session to a key of this machine (RFC 9449).
  nativeauth::Dpop dpop = nativeauth::Dpop::off;
};

/// Runs the sign-in; returns the process exit code (exit_codes.hpp).
int run_login(const LoginArgs &args);

}  // namespace cli
