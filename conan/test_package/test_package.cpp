// SPDX-License-Identifier: Apache-2.0
// Creates a client (no network) and prints the library version: the package links and loads.
#include <nativeauth/nativeauth.hpp>

#include <cstdio>
#include <utility>

int main() {
  nativeauth::ClientOptions options;
  options.issuer = "https://idp.example";
  options.client_id = "test-package";
  auto client = nativeauth::Client::create(std::move(options));
  if (!client) {
    std::fprintf(stderr, "test_package: %s\n", client.error().to_string().c_str());
    return 1;
  }
  std::printf("nativeauth %s (headers %s)\n", nativeauth::version(), NATIVEAUTH_VERSION_STRING);
  return 0;
}
