// SPDX-License-Identifier: Apache-2.0
// `nativeauth token`: the access token from the keychain, refreshed silently when it is about to expire.
#include "token.hpp"

#include "exit_codes.hpp"

#include <iostream>

namespace cli {

int run_token(const Target &target, int min_ttl_seconds) {
  auto client = nativeauth::Client::create(client_options(target));
  if (!client) {
    print_error("token", client.error());
    return exit_code_for(client.error());
  }
  nativeauth::AccessTokenOptions options;
  if (min_ttl_seconds >= 0) options.min_ttl = std::chrono::seconds(min_ttl_seconds);
  auto token = client->access_token(options);
  if (!token) {
    print_error("no access token", token.error());
    if (token.error().code == nativeauth::ErrorCode::sign_in_required) {
      std::cerr << "  sign in with: nativeauth login --issuer " << target.issuer << " --client-id " << target.client_id
                << '\n';
    }
    return exit_code_for(token.error());
  }
  std::cout << token->value.reveal() << std::endl;
  return kOk;
}

}  // namespace cli
