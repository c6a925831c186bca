// SPDX-License-Identifier: Apache-2.0
// The Qt sample's settings from its command line and environment, and what a second instance started by
// the OS for a custom-scheme redirect does (forward the URL to the first, then exit). No widgets here.
#pragma once

#include <nativeauth/nativeauth.hpp>

#include <QString>
#include <QStringList>

#include <chrono>
#include <optional>

namespace qtsample {

/// The custom scheme of the sample's custom-scheme variant (registered at the dev provider).
inline constexpr const char *kScheme = "com.example.nativeauth-qt";

/// What the window's controller needs: which provider, app and slot, and how often it looks at the slot.
struct AppConfig {
  /// issuer, client_id, profile, redirect (loopback by default, or the custom scheme).
  nativeauth::ClientOptions client;
  /// How often the slot is read again to notice another process (the CLI) refreshing or signing out the
  /// same slot: session events only report this process's own calls.
  std::chrono::milliseconds watch_interval{2000};
  /// How long a sign-in waits for the browser.
  std::chrono::seconds sign_in_timeout{300};
};

/// What the command line asked for.
struct Invocation {
  enum class Mode { window, handle_redirect, register_scheme, unregister_scheme };
  Mode mode = Mode::window;
  AppConfig config;
  QString redirect_url;  ///< Mode::handle_redirect: the URL the OS passed.
};

/// An SDK error in words: its message and its stable code name, e.g. "... (cancelled)".
QString describe(const nativeauth::Error &error);

/// Parses `arguments` (argv, program name first). nullopt with `*why` set (usage included) when they are
/// wrong. --issuer and --client-id fall back to $NATIVEAUTH_ISSUER and $NATIVEAUTH_CLIENT_ID, as the CLI's do.
std::optional<Invocation> parse_invocation(const QStringList &arguments, QString *why);

/// Mode::handle_redirect: hands the URL to the waiting first instance (nativeauth::forward_redirect).
/// Returns the process's exit code; the reason on failure goes to `*message`.
int forward_to_first_instance(const Invocation &invocation, QString *message);

/// Mode::register_scheme / unregister_scheme: makes this program the user's handler of kScheme, started
/// as `<program> --handle-redirect --issuer I --client-id C --profile P URL`, or removes that.
int register_scheme(const Invocation &invocation, const QString &program, QString *message);

}  // namespace qtsample
