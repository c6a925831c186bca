// SPDX-License-Identifier: Apache-2.0
// `nativeauth login`: progress and the URL on stderr, who signed in on stdout, never a token.
#include "login.hpp"

#include "console.hpp"
#include "device_login.hpp"
#include "exit_codes.hpp"
#include "paste_login.hpp"

#include <nativeauth/nativeauth.hpp>

#include "util/strings.hpp"

#include <iostream>
#include <thread>

namespace cli {
namespace {

/// The sign-in request's parameters, shared by the browser and the paste-back flows.
nativeauth::SignInOptions request_options(const LoginArgs &args) {
  nativeauth::SignInOptions sign_in;
  sign_in.timeout = std::chrono::seconds(args.timeout_seconds);
  sign_in.prompt = args.prompt;
  sign_in.login_hint = args.login_hint;
  sign_in.extra_params = args.params;
  return sign_in;
}

nativeauth::Result<nativeauth::Session> browser_sign_in(const LoginArgs &args, nativeauth::Client &client) {
  nativeauth::SignInOptions sign_in = request_options(args);
  sign_in.open_browser = !args.no_browser;
  sign_in.on_authorization_url = [&](const std::string &url, bool opened) {
    if (opened) {
      std::cerr << "Opened your browser to sign in to " << args.target.issuer << ".\n"
                << "If it did not open, visit this URL:\n\n  " << url << "\n\n";
    } else {
      std::cerr << (args.no_browser ? "" : "Could not open a browser. ") << "To sign in to " << args.target.issuer
                << ", open this URL in a browser on this computer:\n\n  " << url << "\n\n";
    }
    if (!args.target.redirect_uri.empty()) {
      std::cerr << "The browser returns to " << args.target.redirect_uri
                << "; the program registered for that scheme must run `nativeauth handle-redirect URL`.\n";
    }
    std::cerr << "Waiting for the browser (up to " << args.timeout_seconds << " s; Ctrl-C cancels)…" << std::endl;
  };
  return client.sign_in(sign_in);
}

/// Whether the redirect URI can be pasted back: loopback (the default, or a loopback --redirect-uri).
bool loopback_redirect(const LoginArgs &args) {
  const std::string &uri = args.target.redirect_uri;
  return uri.empty() || uri.rfind("http://127.0.0.1", 0) == 0 || uri.rfind("http://[::1]", 0) == 0;
}

/// The flow: --paste, --device, or by itself in an SSH session without a display the device flow, else
/// paste-back when the provider has none; otherwise (and with --browser) the browser on this machine.
nativeauth::Result<nativeauth::Session> sign_in_by_flow(const LoginArgs &args, nativeauth::Client &client) {
  // Ctrl-C / SIGTERM cancel the sign-in cleanly (the listener closes, the exit code says so).
  const console::InterruptHandler canceller([&client] {
    std::cerr << "\nCancelling sign-in…\n";
    client.cancel();
  });
  if (args.paste) return paste_sign_in(args, client, request_options(args), false);
  if (args.device || (!args.browser && remote_without_display())) {
    auto by_device = device_sign_in(args, client, !args.device);
    if (by_device) return std::move(*by_device);
    // Chosen by itself, and the provider has no device flow: a browser here would be out of reach.
    if (loopback_redirect(args)) return paste_sign_in(args, client, request_options(args), true);
    std::cerr << "The redirect URI is not loopback, so it cannot be pasted back; using the browser.\n";
  }
  return browser_sign_in(args, client);
}

}  // namespace

int run_login(const LoginArgs &args) {
  if (args.paste && !loopback_redirect(args)) {
    std::cerr << "nativeauth: --paste needs a loopback redirect URI (http://127.0.0.1:PORT/PATH), not "
              << args.target.redirect_uri << '\n';
    return kUsage;
  }
  nativeauth::ClientOptions options = client_options(args.target);
  if (!args.scope.empty()) options.scopes = nativeauth::util::split_spaces(args.scope);
  options.redirect.port = args.port;
  options.redirect.ipv6 = args.ipv6;
  if (args.par) options.pushed_authorization = nativeauth::PushedAuthorization::always;
  options.dpop = args.dpop;
  auto client = nativeauth::Client::create(std::move(options));
  if (!client) {
    print_error("sign-in failed", client.error());
    return exit_code_for(client.error());
  }

  auto session = sign_in_by_flow(args, *client);
  if (!session) {
    const int code = exit_code_for(session.error());
    // Storage or the slot lock fail after the user signed in: the SDK's message says so ("signed in, but
    // the session could not be stored: ..."), which "sign-in failed" would contradict.
    print_error(code == kStorage || code == kBusy ? "login" : "sign-in failed", session.error());
    return code;
  }

  std::ostream &out = args.report ? *args.report : std::cout;
  const auto &claims = session->claims;
  const std::string name = claims.string("name").value_or(claims.string("email").value_or(claims.subject()));
  out << "Signed in as " << name << " (subject " << claims.subject() << ") at " << session->issuer << '\n';
  if (session->access_token_expiry) {
    const auto left = std::chrono::duration_cast<std::chrono::seconds>(*session->access_token_expiry -
                                                                       std::chrono::system_clock::now());
    out << "Access token valid for " << describe_duration(left) << " (until " << utc(*session->access_token_expiry)
        << ")\n";
  } else {
    out << "Access token lifetime not stated by the provider\n";
  }
  out << (session->refresh_token.empty() ? "No refresh token was issued\n" : "A refresh token was issued\n");
  out << "Session stored in the " << storage_name(args.target.storage) << " (client " << args.target.client_id
      << ", profile " << args.target.profile << ")\n";
  return kOk;
}

}  // namespace cli
