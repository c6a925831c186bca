// SPDX-License-Identifier: Apache-2.0
// The CLI's exit codes: a contract scripts rely on (docs/cli.md). Never renumber; new codes are appended.
#pragma once

#include <nativeauth/error.hpp>

#include <vector>

namespace cli {

enum ExitCode : int {
  kOk = 0,
  kFailure = 1,       ///< anything else (a bug, an unreadable stored record, a malformed provider answer)
  kUsage = 2,         ///< bad flags, missing issuer or client id
  kSignInNeeded = 3,  ///< declined, timed out, cancelled, or the session is gone
  kUnreachable = 4,   ///< the provider or the network could not be reached
  kStorage = 5,       ///< the session store cannot be used now: the keyring is locked, no Secret Service runs
  kBusy = 6,          ///< another nativeauth process was still busy with this session: try again
};

/// One line per exit code, for the man page and `--help` (docs/cli.md says more).
struct ExitCodeDoc {
  int code;
  const char *meaning;
};
const std::vector<ExitCodeDoc> &exit_code_docs();

/// Maps an SDK error to the exit code a script sees.
int exit_code_for(const nativeauth::Error &error);

}  // namespace cli
