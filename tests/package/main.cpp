// SPDX-License-Identifier: Apache-2.0
// Package test program: uses the installed nativeauth headers and library the way an app would.

#include <nativeauth/nativeauth.hpp>
#include <nativeauth/platform/platform.hpp>

#include <cstdio>
#include <cstring>
#include <utility>

int main() {
  nativeauth::ClientOptions options;
  options.issuer = "https://idp.example";
  options.client_id = "package-test";

  // create() only validates and wires up the platform; nothing touches the network.
  auto client = nativeauth::Client::create(std::move(options));
  if (!client) {
    std::fprintf(stderr, "package-test: Client::create failed: %s\n", client.error().to_string().c_str());
    return 1;
  }
  if (client->issuer() != "https://idp.example" || client->client_id() != "package-test") {
    std::fprintf(stderr, "package-test: the client does not hold the options it was given\n");
    return 1;
  }

  // The headers and the library that got loaded must be the same release.
  if (std::strcmp(nativeauth::version(), NATIVEAUTH_VERSION_STRING) != 0) {
    std::fprintf(stderr, "package-test: headers are %s but the library is %s\n", NATIVEAUTH_VERSION_STRING,
                 nativeauth::version());
    return 1;
  }
  std::printf("nativeauth %s\n", nativeauth::version());
  return 0;
}
