// SPDX-License-Identifier: Apache-2.0
// `nativeauth login`: progress and the URL on stderr, who signed in on stdout, never a token.
#include "login.hpp"

#include "device_login.hpp"
#include "exit_codes.hpp"

#include <nativeauth/nativeauth.hpp>

#include "util/strings.hpp"

#include <csignal>
#include <iostream>
#include <thread>

#include <pthread.h>

namespace cli {
namespace {

/// Ctrl-C / SIGTERM cancel the sign-in cleanly (the listener closes, the exit code says so).
/// Signals are taken by a thread with sigwait, so no work happens in a signal handler.
class SignalCanceller {
 public:
  explicit SignalCanceller(nativeauth::Client &client) {
    sigemptyset(&set_);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGTERM);
    sigaddset(&set_, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &set_, &old_);
    thread_ = std::thread([this, &client] {
      int sig = 0;
      while (sigwait(&set_, &sig) == 0) {
        if (sig == SIGUSR1) return;
        std::cerr << "\nCancelling sign-in…\n";
        client.cancel();
      }
    });
  }
  ~SignalCanceller() {
    pthread_kill(thread_.native_handle(), SIGUSR1);
    thread_.join();
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }

 private:
  sigset_t set_{};
  sigset_t old_{};
  std::thread thread_;
};

}  // namespace

int run_login(const LoginArgs &args) {
  nativeauth::ClientOptions options = client_options(args.target);
  if (!args.scope.empty()) options.scopes = nativeauth::util::split_spaces(args.scope);
  options.redirect.port = args.port;
  options.redirect.ipv6 = args.ipv6;
  auto client = nativeauth::Client::create(std::move(options));
  if (!client) {
    print_error("sign-in failed", client.error());
    return exit_code_for(client.error());
  }

  nativeauth::SignInOptions sign_in;
  sign_in.timeout = std::chrono::seconds(args.timeout_seconds);
  sign_in.open_browser = !args.no_browser;
  sign_in.prompt = args.prompt;
  sign_in.login_hint = args.login_hint;
  sign_in.extra_params = args.params;
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

  nativeauth::Result<nativeauth::Session> session = nativeauth::make_error(nativeauth::ErrorCode::internal, "not run");
  {
    SignalCanceller canceller(*client);
    std::optional<nativeauth::Result<nativeauth::Session>> by_device;
    if (args.device || (!args.browser && remote_without_display())) {
      by_device = device_sign_in(args, *client, !args.device);  // nullopt: no device flow, use the browser
    }
    session = by_device ? std::move(*by_device) : client->sign_in(sign_in);
  }
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
