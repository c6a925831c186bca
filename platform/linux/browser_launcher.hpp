// SPDX-License-Identifier: Apache-2.0
// The Linux browser launcher: $BROWSER, then xdg-open, then gio, each started without a shell.
#pragma once

#include <nativeauth/platform/browser_launcher.hpp>

#include <memory>
#include <string>
#include <vector>

namespace nativeauth::linux_platform {

/// The commands open() tries for `url`, in order. `browser_env` is the value of $BROWSER (null
/// when unset): a ':'-separated list of commands, each split on whitespace into argv (no quoting,
/// no shell). In an argument `%s` stands for the URL and `%%` for a '%'; a command with no `%s`
/// gets the URL appended as its last argument. A command whose program name holds `%s` is
/// skipped (the URL is never run as a program). Then `xdg-open URL` and `gio open URL`;
/// duplicates are dropped. Pure: touches neither the environment nor the file system.
std::vector<std::vector<std::string>> browser_commands(const std::string &url, const char *browser_env);

/// A BrowserLauncher whose open() accepts only http:// and https:// URLs (ErrorCode::invalid_argument
/// otherwise, and for URLs with spaces or control characters), reads $BROWSER at each call, and
/// starts the first of browser_commands() that can be exec'd, detached. "Started" means exec
/// succeeded: xdg-open failing later (no handler configured) is not seen.
/// Errors: ErrorCode::browser_unavailable listing the programs tried and why each failed; the URL
/// (it carries state and the PKCE challenge) never appears in a message.
std::shared_ptr<platform::BrowserLauncher> make_browser_launcher();

}  // namespace nativeauth::linux_platform
