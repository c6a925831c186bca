// SPDX-License-Identifier: Apache-2.0
// `nativeauth logout`: each step reported; a failed remote step never leaves local tokens behind.
#include "logout.hpp"

#include "exit_codes.hpp"

#include <iostream>

namespace cli {

int run_logout(const LogoutArgs &args) {
  nativeauth::ClientOptions client_opts = client_options(args.target);
  client_opts.redirect.port = args.port;
  auto client = nativeauth::Client::create(std::move(client_opts));
  if (!client) {
    print_error("logout", client.error());
    return exit_code_for(client.error());
  }
  nativeauth::SignOutOptions options;
  options.local_only = args.local;
  options.all_apps = args.all_apps;
  options.open_browser = !args.no_browser;
  options.timeout = std::chrono::seconds(args.timeout_seconds);
  options.on_logout_url = [&](const std::string &url, bool opened) {
    // The URL is printed only when it must be opened by hand (it carries no token either way).
    if (opened) {
      std::cerr << "Opened your browser to end the session at the provider.\n";
    } else {
      std::cerr << "To end the session at the provider too, open this URL in a browser on this computer:\n\n  " << url
                << "\n\n";
    }
  };
  auto report = client->sign_out(options);
  if (!report) {
    print_error("logout failed", report.error());
    return kFailure;
  }
  std::cout << "Signed out: " << report->slots_erased << " session(s) erased on this machine";
  if (!args.local) {
    std::cout << ", " << report->tokens_revoked << " refresh token(s) revoked"
              << (report->provider_session_ended ? ", provider session ended" : "");
  }
  std::cout << '\n';
  for (const auto &problem : report->problems) std::cerr << "nativeauth: warning: " << problem.message << '\n';
  return kOk;
}

}  // namespace cli
