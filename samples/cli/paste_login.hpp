// SPDX-License-Identifier: Apache-2.0
// `nativeauth login --paste`: paste-back sign-in for a terminal whose machine has no browser the user can
// reach (SSH) and a provider without the device flow. The user opens the authorization URL on any machine;
// the browser then fails to load the loopback redirect URI (nothing listens: SignInOptions::listen is
// false) and the user pastes that address back here, where Client::handle_redirect() checks it like any
// redirect. Not here: the choice of flow (login.cpp), the device flow (device_login.hpp).
#pragma once

#include "login.hpp"

#include <nativeauth/nativeauth.hpp>

#include <string>
#include <string_view>

namespace cli {

/// How many refused pastes (a wrong or foreign URL) end the sign-in.
constexpr int kMaxRefusedPastes = 5;

/// The URL in one pasted line: bracketed-paste markers (ESC[200~, ESC[201~) removed wherever they are,
/// surrounding white space (CR included) trimmed, and `http://` added to an address that starts with
/// `127.0.0.1:` or `[::1]:` (address bars that hide the scheme). Nothing else is changed: another escape
/// sequence stays and makes the URL fail its checks.
std::string pasted_url(std::string_view line);

/// What may be shown of a pasted text that was refused: the part before its query (before the first
/// `?`, `#`, `&` or `=`, so never a code), at most 120 bytes. Printed through the terminal gate.
std::string shown_part(std::string_view text);

/// The `redirect_uri` parameter of an authorization URL, decoded; empty when it has none.
std::string redirect_uri_of(std::string_view authorization_url);

/// Signs in by paste-back: prints the URL and instructions on stderr, then reads lines from stdin and
/// hands each to `client` until one is accepted. A refused line is explained (never echoing a code) and
/// another is asked for, up to kMaxRefusedPastes; end of input, too many refusals or Ctrl-C cancel
/// (ErrorCode::cancelled). `options` carries the request's parameters and timeout; its browser, listener
/// and URL callback are replaced. `automatic`: chosen because of SSH without a device flow (said first).
/// Every pasted line is wiped once used.
nativeauth::Result<nativeauth::Session> paste_sign_in(const LoginArgs &args, nativeauth::Client &client,
                                                      nativeauth::SignInOptions options, bool automatic);

}  // namespace cli
