// SPDX-License-Identifier: Apache-2.0
// The kernel-keyring access-token cache (sdk/src/core/token_cache.cpp, platform/linux/token_cache.cpp):
// `nativeauth token` in a new process answers from the kernel keyring without the Secret Service, and
// every change of the slot (refresh, rejection, sign-out) reaches the cache before anyone can read a
// stale token. Real provider, headless Chromium, gnome-keyring and kernel keyring; no fake. Each test
// joins a new anonymous session keyring (KEYCTL_JOIN_SESSION_KEYRING) with NATIVEAUTH_KEYRING=session,
// so the keys it sees are exactly the ones this test made, and the user's own keyring is never touched.
#include "provider_process.hpp"

#include <nativeauth/nativeauth.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <linux/keyctl.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace nativeauth::testing {
namespace {

using namespace std::chrono_literals;

long keyctl(int op, unsigned long a2, unsigned long a3 = 0, unsigned long a4 = 0) {
  return ::syscall(SYS_keyctl, op, a2, a3, a4, 0UL);
}

/// Every key in this test's session keyring: description → payload.
std::vector<std::pair<std::string, std::string>> session_keys() {
  std::vector<std::pair<std::string, std::string>> out;
  std::vector<std::int32_t> ids(256);
  const long n = keyctl(KEYCTL_READ, static_cast<unsigned long>(KEY_SPEC_SESSION_KEYRING),
                        reinterpret_cast<unsigned long>(ids.data()), ids.size() * sizeof(std::int32_t));
  if (n < 0) return out;
  ids.resize(static_cast<std::size_t>(n) / sizeof(std::int32_t));
  for (const std::int32_t id : ids) {
    char desc[512] = {};
    if (keyctl(KEYCTL_DESCRIBE, static_cast<unsigned long>(id), reinterpret_cast<unsigned long>(desc), sizeof desc) < 0)
      continue;
    std::string payload(32768, '\0');
    const long len = keyctl(KEYCTL_READ, static_cast<unsigned long>(id), reinterpret_cast<unsigned long>(&payload[0]),
                            payload.size());
    payload.resize(len < 0 ? 0 : static_cast<std::size_t>(len));
    std::string d(desc);
    out.emplace_back(d.substr(d.rfind(';') + 1), payload);
  }
  return out;
}

class TokenCache : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(std::getenv("DBUS_SESSION_BUS_ADDRESS"), nullptr) << "run inside tests/support/keyring-env";
    ASSERT_GE(keyctl(KEYCTL_JOIN_SESSION_KEYRING, 0), 0) << "no kernel key retention service";
    env_.set("NATIVEAUTH_KEYRING", "session");
    env_.unset("NATIVEAUTH_NO_KEYRING_CACHE");
    start_provider({});
  }

  void start_provider(std::vector<std::string> extra_args) {
    provider_.reset();
    std::string why;
    ProviderProcess::Options o;
    o.extra_args = std::move(extra_args);
    provider_ = ProviderProcess::start(o, &why);
    ASSERT_TRUE(provider_) << why;
    use_test_browser(env_, "login", profile_.path(), tmp_.file("result.json"), tmp_.file("browser.log"));
  }

  ClientOptions options() const {
    ClientOptions o;
    o.issuer = provider_->issuer();
    o.client_id = "nativeauth-cli";
    return o;
  }
  Client client() {
    auto c = Client::create(options());
    EXPECT_TRUE(c) << c.error().to_string();
    return std::move(*c);
  }
  Session sign_in() {
    auto s = client().sign_in();
    EXPECT_TRUE(s) << s.error().to_string();
    return s ? std::move(*s) : Session{};
  }
  /// `nativeauth token` in a new process; `no_keychain`: with a session bus address that leads nowhere.
  ProcessRun cli_token(bool no_keychain, std::vector<std::string> extra = {}) {
    std::vector<std::string> argv;
    if (no_keychain) argv = {"env", "DBUS_SESSION_BUS_ADDRESS=unix:path=" + tmp_.file("no-bus")};
    for (const char *a : {NATIVEAUTH_CLI, "token", "--issuer"}) argv.emplace_back(a);
    argv.push_back(provider_->issuer());
    argv.insert(argv.end(), {"--client-id", "nativeauth-cli"});
    argv.insert(argv.end(), extra.begin(), extra.end());
    return run_process(argv);
  }
  /// The payload of this slot's cache key; empty when there is none.
  std::string cached_entry() {
    for (auto &[d, payload] : session_keys())
      if (d.rfind("nativeauth:access-token:", 0) == 0) return payload;
    return {};
  }

  std::unique_ptr<ProviderProcess> provider_;
  TempDir tmp_, profile_;
  ScopedEnv env_;
};

TEST_F(TokenCache, ANewProcessGetsTheTokenWithoutTheKeychain) {
  const Session s = sign_in();
  ASSERT_FALSE(s.access_token.empty());
  const ProcessRun run = cli_token(/*no_keychain=*/true);
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, std::string(s.access_token.reveal()) + "\n");

  // The same call with the cache switched off must reach the keychain, which is not there.
  env_.set("NATIVEAUTH_NO_KEYRING_CACHE", "1");
  const ProcessRun off = cli_token(/*no_keychain=*/true);
  EXPECT_NE(off.exit_code, 0) << "answered without the keychain although the cache is off";
  EXPECT_TRUE(off.out.empty());
}

TEST_F(TokenCache, HoldsTheAccessTokenButNeverTheRefreshOrIdToken) {
  const Session s = sign_in();
  ASSERT_FALSE(s.refresh_token.empty());
  const auto keys = session_keys();
  ASSERT_EQ(keys.size(), 1u) << "one key for one slot";
  const std::string &payload = keys[0].second;
  EXPECT_NE(payload.find(std::string(s.access_token.reveal())), std::string::npos);
  EXPECT_EQ(payload.find(std::string(s.refresh_token.reveal())), std::string::npos) << "refresh token cached";
  EXPECT_EQ(payload.find(std::string(s.id_token.reveal())), std::string::npos) << "ID token cached";
}

TEST_F(TokenCache, SignOutRemovesTheKeyBeforeTheSlot) {
  sign_in();
  ASSERT_FALSE(cached_entry().empty());
  SignOutOptions local;
  local.local_only = true;
  auto out = client().sign_out(local);
  ASSERT_TRUE(out) << out.error().to_string();
  EXPECT_TRUE(cached_entry().empty());
  const ProcessRun run = cli_token(/*no_keychain=*/false);
  EXPECT_EQ(run.exit_code, 3) << run.out << run.err;  // sign-in required
  EXPECT_TRUE(run.out.empty());
}

TEST_F(TokenCache, ARefreshInAnotherProcessReplacesTheCachedToken) {
  const Session s = sign_in();
  const ProcessRun forced = cli_token(/*no_keychain=*/false, {"--min-ttl", "7200"});  // longer than it lives
  ASSERT_EQ(forced.exit_code, 0) << forced.err;
  ASSERT_NE(forced.out, std::string(s.access_token.reveal()) + "\n") << "no refresh happened";
  EXPECT_EQ(provider_->refresh_grants(), 1);
  const ProcessRun later = cli_token(/*no_keychain=*/true);
  EXPECT_EQ(later.exit_code, 0) << later.err;
  EXPECT_EQ(later.out, forced.out) << "the cache still gave the token from before the refresh";
}

TEST_F(TokenCache, ARejectedTokenIsNeverHandedOutAgain) {
  const Session s = sign_in();
  auto forgotten = client().reject_access_token(s.access_token);
  ASSERT_TRUE(forgotten && *forgotten);
  EXPECT_TRUE(cached_entry().empty());
  const ProcessRun run = cli_token(/*no_keychain=*/false);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out, std::string(s.access_token.reveal()) + "\n");
  EXPECT_EQ(provider_->refresh_grants(), 1);
}

// The kernel drops the key once the token is due for refresh (here: 4 s tokens, half of that left); the
// one wait is for that kernel timer, polled.
TEST_F(TokenCache, TheKeyExpiresWhenTheTokenIsDueForRefresh) {
  start_provider({"--access-ttl", "4"});
  sign_in();
  ASSERT_FALSE(cached_entry().empty());
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!cached_entry().empty() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(50ms);
  EXPECT_TRUE(cached_entry().empty()) << "the key outlived the token's refresh point by 10 s";
  const ProcessRun run = cli_token(/*no_keychain=*/false);
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(provider_->refresh_grants(), 1) << "the next token call refreshes through the store";
}

TEST_F(TokenCache, OffMeansNothingIsWrittenOrRead) {
  env_.set("NATIVEAUTH_NO_KEYRING_CACHE", "1");
  sign_in();
  EXPECT_TRUE(session_keys().empty());
  env_.unset("NATIVEAUTH_NO_KEYRING_CACHE");
  ClientOptions o = options();
  o.token_cache = false;
  auto c = Client::create(std::move(o));
  ASSERT_TRUE(c);
  AccessTokenOptions refresh;
  refresh.force_refresh = true;  // a rotation writes the slot: the cache must stay untouched
  auto renewed = c->access_token(refresh);
  ASSERT_TRUE(renewed) << renewed.error().to_string();
  EXPECT_EQ(provider_->refresh_grants(), 1);
  EXPECT_TRUE(session_keys().empty()) << "ClientOptions::token_cache=false still wrote the cache";
}

}  // namespace
}  // namespace nativeauth::testing
