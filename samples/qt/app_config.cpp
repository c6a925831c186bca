// SPDX-License-Identifier: Apache-2.0
// The Qt sample's command line, and the second instance's job for a custom-scheme redirect.
#include "app_config.hpp"

#include <QCommandLineParser>
#include <QProcessEnvironment>

namespace qtsample {
namespace {

QString from_env(const char *name) { return QProcessEnvironment::systemEnvironment().value(QString::fromUtf8(name)); }

}  // namespace

QString describe(const nativeauth::Error &error) {
  return QString::fromStdString(error.message + " (" + std::string(nativeauth::to_string(error.code)) + ")");
}

std::optional<Invocation> parse_invocation(const QStringList &arguments, QString *why) {
  QCommandLineParser parser;
  parser.setApplicationDescription(
      "nativeauth Qt sample: signs in through the system browser, calls the provider's userinfo API, renews "
      "the access token while the window is open, and signs out.");
  parser.addHelpOption();
  const QCommandLineOption issuer("issuer", "The provider's issuer (or $NATIVEAUTH_ISSUER).", "url");
  const QCommandLineOption client_id("client-id", "This app's client_id (or $NATIVEAUTH_CLIENT_ID).", "id");
  const QCommandLineOption profile("profile", "The storage slot's profile (default: default).", "name", "default");
  const QCommandLineOption custom_scheme(
      "custom-scheme", QString("Sign in with the redirect URI %1:/callback instead of loopback.").arg(kScheme));
  const QCommandLineOption handle("handle-redirect",
                                  "Run by the OS with a redirect URL: hand it to the waiting window, then exit.");
  const QCommandLineOption reg("register-scheme", QString("Register this program for %1: URLs.").arg(kScheme));
  const QCommandLineOption unreg("unregister-scheme", "Undo --register-scheme.");
  const QCommandLineOption watch("watch-interval-ms", "How often the slot is read for other apps' changes.", "ms",
                                 "2000");
  parser.addOptions({issuer, client_id, profile, custom_scheme, handle, reg, unreg, watch});
  parser.addPositionalArgument("url", "With --handle-redirect: the redirect URL.");
  if (!parser.parse(arguments)) {
    *why = parser.errorText() + "\n\n" + parser.helpText();
    return std::nullopt;
  }
  if (parser.isSet("help")) {
    *why = parser.helpText();
    return std::nullopt;
  }

  Invocation out;
  nativeauth::ClientOptions &client = out.config.client;
  const QString iss = parser.isSet(issuer) ? parser.value(issuer) : from_env("NATIVEAUTH_ISSUER");
  const QString cid = parser.isSet(client_id) ? parser.value(client_id) : from_env("NATIVEAUTH_CLIENT_ID");
  if (iss.isEmpty() || cid.isEmpty()) {
    *why = "--issuer and --client-id are required (or $NATIVEAUTH_ISSUER and $NATIVEAUTH_CLIENT_ID)\n\n" +
           parser.helpText();
    return std::nullopt;
  }
  client.issuer = iss.toStdString();
  client.client_id = cid.toStdString();
  client.profile = parser.value(profile).toStdString();
  client.scopes = {"openid", "profile", "email", "offline_access"};
  bool ok = false;
  const int ms = parser.value(watch).toInt(&ok);
  if (!ok || ms < 50) {
    *why = "--watch-interval-ms needs a whole number of milliseconds, at least 50";
    return std::nullopt;
  }
  out.config.watch_interval = std::chrono::milliseconds(ms);

  if (parser.isSet(handle)) {
    if (parser.positionalArguments().size() != 1) {
      *why = "--handle-redirect needs exactly one URL";
      return std::nullopt;
    }
    out.mode = Invocation::Mode::handle_redirect;
    out.redirect_url = parser.positionalArguments().front();
  } else if (parser.isSet(reg)) {
    out.mode = Invocation::Mode::register_scheme;
  } else if (parser.isSet(unreg)) {
    out.mode = Invocation::Mode::unregister_scheme;
  }
  // A second instance checks the URL against the same redirect URIs the first one waits with.
  if (parser.isSet(custom_scheme) || out.mode == Invocation::Mode::handle_redirect) {
    client.redirect.uri = std::string(kScheme) + ":/callback";
    client.redirect.post_logout_uri = std::string(kScheme) + ":/logout";
  }
  return out;
}

int forward_to_first_instance(const Invocation &invocation, QString *message) {
  // The first instance's sign_in() (or sign_out()) listens on a per-slot local endpoint; this finds it by
  // issuer, client_id and profile, after checking the URL against the sign-in and post-logout redirect URIs.
  auto forwarded = nativeauth::forward_redirect(invocation.config.client, invocation.redirect_url.toStdString());
  if (!forwarded) {
    *message = "the redirect was not taken: " + describe(forwarded.error());
    return 1;
  }
  *message = "handed the redirect to the waiting window";
  return 0;
}

int register_scheme(const Invocation &invocation, const QString &program, QString *message) {
  if (invocation.mode == Invocation::Mode::unregister_scheme) {
    auto removed = nativeauth::unregister_url_scheme(kScheme);
    *message = removed ? QString("unregistered %1:").arg(kScheme)
                       : "could not unregister the scheme: " + describe(removed.error());
    return removed ? 0 : 1;
  }
  const nativeauth::ClientOptions &c = invocation.config.client;
  nativeauth::UrlSchemeHandler handler;
  handler.scheme = kScheme;
  handler.command = {program.toStdString(), "--handle-redirect", "--issuer",  c.issuer,
                     "--client-id",         c.client_id,         "--profile", c.profile};
  handler.display_name = "nativeauth Qt sample";
  auto registered = nativeauth::register_url_scheme(handler);
  *message = registered ? QString("registered this program for %1: URLs; start it with --custom-scheme").arg(kScheme)
                        : "could not register the scheme: " + describe(registered.error());
  return registered ? 0 : 1;
}

}  // namespace qtsample
