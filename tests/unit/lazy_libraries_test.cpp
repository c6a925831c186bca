// SPDX-License-Identifier: Apache-2.0
// A process that only answers a fresh access token loads neither libcrypto nor libcurl (docs/adr/0005,
// docs/adr/0008): the loaded objects are listed with dl_iterate_phdr, and the twin shows that the first
// crypto call does load libcrypto, so the check can fail. This binary must not link either library
// itself (tests/unit/CMakeLists.txt); it says so loudly rather than pass vacuously.
#include <nativeauth/nativeauth.hpp>

#include "core/record.hpp"
#include "crypto/crypto.hpp"

#include <gtest/gtest.h>
#include <link.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace {

using namespace std::chrono_literals;

std::vector<std::string> loaded_objects() {
  std::vector<std::string> names;
  dl_iterate_phdr(
      [](dl_phdr_info *info, size_t, void *out) {
        if (info->dlpi_name && *info->dlpi_name)
          static_cast<std::vector<std::string> *>(out)->push_back(info->dlpi_name);
        return 0;
      },
      &names);
  return names;
}

/// The loaded object whose file name contains `soname` ("libcrypto.so."), or "".
std::string loaded(const std::string &soname) {
  for (const std::string &name : loaded_objects()) {
    if (name.find(soname) != std::string::npos) return name;
  }
  return "";
}

TEST(LazyLibraries, AFreshTokenLoadsNoCryptoAndNoCurlUntilCryptoIsNeeded) {
  ASSERT_EQ(loaded("libcrypto.so."), "") << "this test binary links libcrypto itself: the check would be vacuous";
  ASSERT_EQ(loaded("libcurl.so."), "") << "this test binary links libcurl itself: the check would be vacuous";
  ASSERT_NE(loaded("libstdc++.so."), "") << "dl_iterate_phdr lists no shared objects: the check would be vacuous";

  // The token path as `nativeauth token` runs it: Client::create, then access_token() answered from the
  // store with a token that still has an hour left (no refresh, no network, no ID token to validate).
  nativeauth::ClientOptions options;
  options.issuer = "http://127.0.0.1:9";  // never contacted
  options.client_id = "lazy-libraries-test";
  nativeauth::Session session;
  session.issuer = options.issuer;
  session.client_id = options.client_id;
  session.profile = options.profile;
  session.access_token = nativeauth::SecretString("access-token-from-the-store");
  session.refresh_token = nativeauth::SecretString("refresh-token-never-used");
  session.token_type = "Bearer";
  session.issued_at = std::chrono::system_clock::now();
  session.access_token_expiry = session.issued_at + 1h;
  session.scopes = {"openid", "offline_access"};
  auto store = std::make_shared<nativeauth::MemoryCredentialStore>();
  const nativeauth::platform::SlotKey key{options.issuer, options.client_id, options.profile};
  ASSERT_TRUE(store->save(key, nativeauth::core::serialize_session(session, options.issuer + "/token")));
  options.platform.store = store;
  auto client = nativeauth::Client::create(std::move(options));
  ASSERT_TRUE(client) << client.error().to_string();
  auto token = client->access_token();
  ASSERT_TRUE(token) << token.error().to_string();
  EXPECT_EQ(token->value.reveal(), "access-token-from-the-store");

  EXPECT_EQ(loaded("libcrypto.so."), "") << "the token path loaded libcrypto";
  EXPECT_EQ(loaded("libcurl.so."), "") << "the token path loaded libcurl";

  // The twin: the first call that needs OpenSSL (sign-in's PKCE verifier) loads it, and it works.
  auto random = nativeauth::crypto::random_bytes(32);
  ASSERT_TRUE(random) << random.error().to_string();
  EXPECT_NE(loaded("libcrypto.so.3"), "") << "random_bytes() worked without loading libcrypto.so.3?";
}

}  // namespace
