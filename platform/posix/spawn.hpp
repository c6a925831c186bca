// SPDX-License-Identifier: Apache-2.0
// spawn_detached(): starts a program (the browser) without a shell, detached from this process.
#pragma once

#include <nativeauth/result.hpp>

#include <string>
#include <vector>

namespace nativeauth::posix {

/// Runs `argv[0]` (looked up in $PATH like execvp when it has no '/') with exactly the arguments in
/// `argv`: no shell ever sees them, so a URL full of `;`, `$(...)` or quotes reaches the program
/// as one literal argument. The program runs in its own session, is reparented away from this
/// process (double fork), gets /dev/null as stdin/stdout/stderr, no other inherited descriptor, an
/// empty signal mask and default SIGPIPE/SIGCHLD. Returns once the program was exec'd (or failed
/// to be); never waits for it to finish.
///
/// Errors: ErrorCode::invalid_argument for an empty argv, an empty program name or an argument
/// holding a NUL byte; ErrorCode::browser_unavailable ("could not start '<argv0>': <reason>") when
/// the program could not be started. Only argv[0] appears in messages, never other arguments.
/// Thread safety: may be called from any thread, also while other threads run; only
/// async-signal-safe calls are made between fork and exec.
Result<void> spawn_detached(const std::vector<std::string> &argv);

}  // namespace nativeauth::posix
