// SPDX-License-Identifier: Apache-2.0
// `nativeauth handle-redirect URL`: what the OS runs for a custom-scheme redirect; it hands the URL to the
// waiting `nativeauth login` and exits. `nativeauth register-scheme`: sets that up for the user.
#include "redirect.hpp"

#include "console.hpp"

#include "exit_codes.hpp"

#include <nativeauth/nativeauth.hpp>

#include <iostream>

namespace cli {

int run_handle_redirect(const Target &target, const std::string &url) {
  nativeauth::ClientOptions options = client_options(target);
  auto forwarded = nativeauth::forward_redirect(options, url);
  if (!forwarded) {
    print_error("the redirect was not taken", forwarded.error());
    return forwarded.error().code == nativeauth::ErrorCode::invalid_configuration ? kUsage : kFailure;
  }
  std::cerr << "Handed the redirect to the waiting sign-in (client " << target.client_id << ", profile "
            << target.profile << ").\n";
  return kOk;
}

int run_register_scheme(const SchemeArgs &args) {
  if (args.unregister) {
    auto removed = nativeauth::unregister_url_scheme(args.scheme);
    if (!removed) {
      print_error("could not unregister the scheme", removed.error());
      return removed.error().code == nativeauth::ErrorCode::invalid_argument ? kUsage : kFailure;
    }
    std::cerr << "Unregistered nativeauth as the handler of " << args.scheme << ": URLs.\n";
    return kOk;
  }
  const auto self = console::own_program_path();
  if (!self) {
    std::cerr << "nativeauth: cannot find this program's own path\n";
    return kFailure;
  }
  nativeauth::UrlSchemeHandler handler;
  handler.scheme = args.scheme;
  handler.command = {*self,         "handle-redirect",     "--issuer",  args.target.issuer,
                     "--client-id", args.target.client_id, "--profile", args.target.profile};
  handler.display_name = "nativeauth sign-in (" + args.target.client_id + ")";
  auto registered = nativeauth::register_url_scheme(handler);
  if (!registered) {
    print_error("could not register the scheme", registered.error());
    return registered.error().code == nativeauth::ErrorCode::invalid_argument ? kUsage : kFailure;
  }
  std::cerr << "Registered nativeauth as the handler of " << args.scheme << ": URLs for client "
            << args.target.client_id << ". Sign in with: nativeauth login --redirect-uri " << args.scheme
            << ":/callback\n";
  return kOk;
}

}  // namespace cli
