// SPDX-License-Identifier: Apache-2.0
// `nativeauth login --device`: the device authorization grant (RFC 8628) for terminals without a browser.
#pragma once

#include "login.hpp"

#include <nativeauth/nativeauth.hpp>

#include <optional>
#include <string>

namespace cli {

/// True in an SSH session with no display: a browser opened here would be out of the user's reach.
/// (SSH_CONNECTION or SSH_TTY set, and neither DISPLAY nor WAYLAND_DISPLAY.)
bool remote_without_display();

/// Signs in with a device code, showing the code, the URLs and (when built with libqrencode) a QR code
/// on stderr. With `automatic` (chosen by remote_without_display(), not by --device), a provider that
/// offers no device flow yields nullopt after saying so: the caller then signs in another way (paste-back).
std::optional<nativeauth::Result<nativeauth::Session>> device_sign_in(const LoginArgs &args, nativeauth::Client &client,
                                                                      bool automatic);

/// The QR code of `text` in Unicode half blocks, one line per two module rows, with a quiet zone; empty
/// when the CLI was built without libqrencode or the text does not fit.
std::string qr_code_text(const std::string &text, bool ansi_colors);

}  // namespace cli
