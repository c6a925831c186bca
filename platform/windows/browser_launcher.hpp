// SPDX-License-Identifier: Apache-2.0
// The Windows browser launcher: %BROWSER%, then the default browser through ShellExecuteExW, never a shell.
#pragma once

#include <nativeauth/platform/browser_launcher.hpp>

#include <memory>
#include <string>
#include <vector>

namespace nativeauth::windows {

/// The commands %BROWSER% asks open() to try for `url`, in order; `browser_env` is its value (null when
/// unset). The Linux launcher's rules (linux/browser_launcher.hpp) with Windows' separators: commands are
/// separated by ';' (as in %PATH%; ':' would cut `C:\...` in two), words by spaces or tabs, and a double
/// quote groups (so `"C:\Program Files\Mozilla Firefox\firefox.exe" -new-window` is two words; quotes are
/// removed, there is no other escape). In an argument `%s` stands for the URL and `%%` for a '%'; a command
/// with no `%s` gets the URL appended as its last argument. A command whose program holds `%s` is skipped
/// (the URL is never run as a program); duplicates are dropped. Pure: touches neither the environment nor
/// the file system.
std::vector<std::vector<std::string>> browser_commands(const std::string &url, const char *browser_env);

/// A BrowserLauncher whose open() accepts only http:// and https:// URLs (ErrorCode::invalid_argument
/// otherwise, and for URLs with spaces, control characters, '"' or invalid UTF-8). It reads %BROWSER% at
/// each call and starts the first of browser_commands() that can be started; when none can (or %BROWSER% is
/// unset), it asks the shell to "open" the URL (ShellExecuteExW, on a thread of its own with COM
/// initialised), which starts the user's default browser. Never through cmd.exe:
/// - a %BROWSER% program is found without CreateProcessW's own search (which looks in the app's and the
///   current directory first): a path (absolute or relative to the current directory; `.exe` added when
///   it has no extension) or a bare name looked up in each directory of %PATH%, with `.exe` added when it
///   has no extension. Under wine, a path starting with '/' is a Unix path: wine starts Unix programs and
///   scripts too (`BROWSER=/usr/bin/node /abs/browser.js`); a bare name is looked up in the Windows %PATH%
///   only, which does not hold the Unix one.
/// - a batch file (.bat, .cmd) is refused: CreateProcessW would run it through cmd.exe, which would act on
///   the URL's '&' and '%'.
/// - the program gets exactly its arguments (quoted by quote_argument()), no console (DETACHED_PROCESS, so
///   no stdin/stdout/stderr), its own process group, and no inherited handle; open() never waits for it.
/// "Started" means the process was created, or ShellExecuteExW said it launched the handler.
/// Errors: ErrorCode::browser_unavailable naming each program tried (the %BROWSER% programs, then "the
/// default browser") and why each failed; the URL (it carries state and the PKCE challenge) never appears
/// in a message. The SDK then hands the URL to the app (SignInOptions::on_authorization_url).
std::shared_ptr<platform::BrowserLauncher> make_browser_launcher();

}  // namespace nativeauth::windows
