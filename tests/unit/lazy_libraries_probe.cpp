// SPDX-License-Identifier: Apache-2.0
// A small app on libnativeauth.so for lazy_libraries_test, which runs it under LD_DEBUG=libs to see which
// shared objects its process initialises. It links only the public library, like an app:
//   lazy_libraries_probe client   makes a Client whose store is the keychain (the default), nothing else
//   lazy_libraries_probe read     the same, then reads one slot of the keychain (whatever the answer)
// Exit 0 when it did that, 1 when Client::create failed.
#include <nativeauth/nativeauth.hpp>

#include <iostream>
#include <string>

int main(int argc, char **argv) {
  const std::string what = argc > 1 ? argv[1] : "";
  if (what != "client" && what != "read") {
    std::cerr << "usage: lazy_libraries_probe client|read\n";
    return 2;
  }
  nativeauth::ClientOptions options;
  options.issuer = "http://127.0.0.1:9";  // never contacted
  options.client_id = "lazy-libraries-probe";
  options.storage = nativeauth::StorageKind::keychain;
  auto client = nativeauth::Client::create(std::move(options));
  if (!client) {
    std::cerr << "lazy_libraries_probe: " << client.error().to_string() << '\n';
    return 1;
  }
  if (what == "read") {
    // Signed out, or no keychain outside tests/support/keyring-env: either way the store was called.
    auto session = client->load_session();
    std::cout << (session ? "read" : "read failed: " + session.error().to_string()) << '\n';
  }
  return 0;
}
