// SPDX-License-Identifier: Apache-2.0
// `nativeauth login --device`: shows the user code, its URL and a QR code, then waits for the provider.
#include "device_login.hpp"

#include "terminal.hpp"

#include "util/strings.hpp"

#include <cstdlib>
#include <iostream>

#ifdef NATIVEAUTH_HAVE_QRENCODE
#include <qrencode.h>
#endif

namespace cli {
namespace {

bool set(const char *name) {
  const char *v = std::getenv(name);
  return v && *v;
}

}  // namespace

bool remote_without_display() {
  return (set("SSH_CONNECTION") || set("SSH_TTY")) && !set("DISPLAY") && !set("WAYLAND_DISPLAY");
}

std::string qr_code_text(const std::string &text, bool ansi_colors) {
#ifdef NATIVEAUTH_HAVE_QRENCODE
  QRcode *qr = QRcode_encodeString(text.c_str(), 0, QR_ECLEVEL_L, QR_MODE_8, 1);
  if (!qr) return {};
  const int size = qr->width;
  constexpr int kQuiet = 2;  // modules of light margin around the code
  const auto dark = [&](int x, int y) {
    if (x < 0 || y < 0 || x >= size || y >= size) return false;
    return (qr->data[y * size + x] & 1) != 0;
  };
  std::string out;
  for (int y = -kQuiet; y < size + kQuiet; y += 2) {
    // Black modules on a white background when colours are allowed; otherwise the terminal's own
    // foreground draws the dark modules (phones read the inverted code on dark terminals too).
    if (ansi_colors) out += "\x1b[30;107m";
    for (int x = -kQuiet; x < size + kQuiet; ++x) {
      const bool top = dark(x, y), bottom = dark(x, y + 1);
      out += top && bottom ? "\u2588" : top ? "\u2580" : bottom ? "\u2584" : " ";
    }
    if (ansi_colors) out += "\x1b[0m";
    out += '\n';
  }
  QRcode_free(qr);
  return out;
#else
  (void)text;
  (void)ansi_colors;
  return {};
#endif
}

std::optional<nativeauth::Result<nativeauth::Session>> device_sign_in(const LoginArgs &args, nativeauth::Client &client,
                                                                      bool automatic) {
  nativeauth::DeviceSignInOptions options;
  if (!args.scope.empty()) options.scopes = nativeauth::util::split_spaces(args.scope);
  options.timeout = std::chrono::seconds(args.timeout_seconds);
  options.extra_params = args.params;
  if (args.login_hint) options.extra_params.emplace_back("login_hint", *args.login_hint);
  bool shown = false;
  options.on_user_code = [&](const nativeauth::DeviceCode &code) {
    shown = true;
    if (automatic) {
      std::cerr << "This is an SSH session without a display, so nativeauth signs in with a device code "
                   "(--browser uses a browser on this machine instead).\n";
    }
    std::cerr << "To sign in, visit " << code.verification_uri << " and enter the code " << code.user_code << "\n";
    if (code.verification_uri_complete) {
      std::cerr << "Or open this link, which has the code filled in:\n\n  " << *code.verification_uri_complete
                << "\n\n";
      const std::string qr = qr_code_text(*code.verification_uri_complete, colours_allowed(2));
      if (!qr.empty()) {
        std::cerr << "Or scan it:\n";
        write_trusted(std::cerr, qr);  // its colours are the CLI's own escape sequences
        std::cerr << '\n';
      }
    }
    std::cerr << "Only enter this code if you started this sign-in yourself.\n";
    const auto left = std::chrono::duration_cast<std::chrono::seconds>(code.expires_at -
                                                                       std::chrono::system_clock::now());
    std::cerr << "Waiting for you to finish (the code expires in " << describe_duration(left) << "; Ctrl-C cancels)…"
              << std::endl;
  };
  auto session = client.sign_in_with_device_code(options);
  if (!session && automatic && !shown && session.error().code == nativeauth::ErrorCode::missing_endpoint) {
    std::cerr << "This is an SSH session without a display, but " << args.target.issuer
              << " offers no device sign-in.\n";
    return std::nullopt;
  }
  return session;
}

}  // namespace cli
