// SPDX-License-Identifier: Apache-2.0
// Registering the app as the handler of its custom redirect scheme with the desktop, per user.
#pragma once

#include <nativeauth/export.hpp>
#include <nativeauth/result.hpp>

#include <string>
#include <vector>

namespace nativeauth {

/// The program the OS starts with a redirect URL of `scheme` (RFC 8252 §7.1). That program (a second
/// instance of the app) passes the URL to forward_redirect().
struct UrlSchemeHandler {
  /// A reverse domain name the app controls, e.g. "com.example.app" (a scheme without a dot is refused).
  std::string scheme;
  /// The program (an absolute path) and its arguments; the URL is appended as one more argument.
  std::vector<std::string> command;
  /// Shown by the desktop in "open with" lists; empty: the scheme.
  std::string display_name;
};

/// Registers `handler` for the current user only, replacing an earlier registration of the scheme.
/// Linux: writes $XDG_DATA_HOME/applications/nativeauth-<scheme>.desktop (MimeType
/// x-scheme-handler/<scheme>, hidden from menus) and makes it the default with `xdg-mime default`.
/// Windows: HKCU\Software\Classes\<scheme> with "URL Protocol" and shell\open\command.
/// macOS and mobile: not available (the app bundle declares its schemes); ErrorCode::invalid_configuration.
/// Errors: invalid_argument for a bad scheme or command; storage_unavailable when the files, the registry
/// or xdg-mime fail (the message says which).
NATIVEAUTH_API Result<void> register_url_scheme(const UrlSchemeHandler &handler);

/// Undoes register_url_scheme(): removes the entry and the default association this SDK made. Ok when
/// nothing was registered. Associations to other applications are left alone.
NATIVEAUTH_API Result<void> unregister_url_scheme(const std::string &scheme);

}  // namespace nativeauth
