// SPDX-License-Identifier: Apache-2.0
// `nativeauth unlock`, `lock` and `--storage encrypted-file` end to end: the real CLI binary, the real
// provider and headless browser for the sign-in, the real kernel keyring. The test process joins a new
// anonymous session keyring and sets NATIVEAUTH_KEYRING=session; every CLI it starts inherits that keyring,
// as the shells of one login share @u, and the user's own keys are never touched. Passphrases go in on
// stdin (not a terminal: the CLI reads one line), as a script would give them.
#include "provider_process.hpp"

#include <nativeauth/nativeauth.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include <linux/keyctl.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace nativeauth::testing {
namespace {

using namespace std::chrono_literals;

constexpr char kPassphrase[] = "a long passphrase for a headless server\n";

class CliEncrypted : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ASSERT_GE(::syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, 0UL, 0UL, 0UL, 0UL), 0)
        << "no kernel key retention service here";
    std::string why;
    provider_ = ProviderProcess::start({}, &why).release();
    ASSERT_NE(provider_, nullptr) << why;
  }
  static void TearDownTestSuite() {
    delete provider_;
    provider_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(provider_, nullptr);
    env_.set("XDG_CONFIG_HOME", config_.path());
    env_.set("XDG_STATE_HOME", state_.path());
    env_.set("NATIVEAUTH_KEYRING", "session");
    for (const char *name : {"NATIVEAUTH_ISSUER", "NATIVEAUTH_CLIENT_ID", "NATIVEAUTH_PROFILE", "NATIVEAUTH_STORAGE",
                             "NATIVEAUTH_REDIRECT_URI", "SSH_CONNECTION", "SSH_TTY"}) {
      env_.unset(name);
    }
    use_test_browser(env_, "login", profile_.path(), tmp_.file("result.json"), tmp_.file("browser.log"));
  }
  void TearDown() override { (void)cli({"lock"}); }

  static ProcessRun cli(const std::vector<std::string> &args, const std::string &input = "") {
    std::vector<std::string> all = {NATIVEAUTH_CLI};
    all.insert(all.end(), args.begin(), args.end());
    return run_process(std::move(all), input);
  }
  std::vector<std::string> target(const char *command) const {
    return {command, "--issuer", provider_->issuer(), "--client-id", "nativeauth-cli", "--storage", "encrypted-file"};
  }

  static ProviderProcess *provider_;
  TempDir tmp_, profile_, config_, state_;
  ScopedEnv env_;
};
ProviderProcess *CliEncrypted::provider_ = nullptr;

TEST_F(CliEncrypted, UnlockOnceThenTokensInOtherProcessesUntilLock) {
  const ProcessRun unlock = cli({"unlock", "--for", "10m"}, kPassphrase);
  ASSERT_EQ(unlock.exit_code, 0) << unlock.err;
  EXPECT_NE(unlock.err.find("creating the encrypted store in " + state_.path() + "/nativeauth/encrypted"),
            std::string::npos)
      << unlock.err;
  EXPECT_NE(unlock.out.find("unlocked until"), std::string::npos) << unlock.out;

  auto login = target("login");
  login.insert(login.end(), {"--timeout", "60"});
  const ProcessRun signed_in = cli(login);
  ASSERT_EQ(signed_in.exit_code, 0) << signed_in.err << read_file(tmp_.file("browser.log"));

  // A new process, stdin empty, chosen through the environment: no prompt, no daemon.
  env_.set("NATIVEAUTH_STORAGE", "encrypted-file");
  const ProcessRun token = cli({"token", "--issuer", provider_->issuer(), "--client-id", "nativeauth-cli"});
  ASSERT_EQ(token.exit_code, 0) << token.err;
  EXPECT_GT(token.out.size(), 20u) << token.out;
  EXPECT_EQ(token.err.find("assphrase"), std::string::npos) << "asked for a passphrase: " << token.err;
  EXPECT_EQ(read_file(state_.path() + "/nativeauth/encrypted/store.json").find("passphrase"), std::string::npos);

  const ProcessRun lock = cli({"lock"});
  ASSERT_EQ(lock.exit_code, 0) << lock.err;
  const ProcessRun locked = cli(target("token"));
  EXPECT_EQ(locked.exit_code, 5) << locked.err;
  EXPECT_NE(locked.err.find("`nativeauth unlock`"), std::string::npos) << locked.err;
  EXPECT_EQ(locked.out, "") << "a locked store printed something on stdout";

  const ProcessRun wrong = cli({"unlock"}, "not the passphrase\n");
  EXPECT_EQ(wrong.exit_code, 5) << wrong.err;
  EXPECT_NE(wrong.err.find("wrong passphrase"), std::string::npos) << wrong.err;
  EXPECT_EQ(cli(target("token")).exit_code, 5) << "a wrong passphrase unlocked the store";

  ASSERT_EQ(cli({"unlock", "--for", "90s"}, kPassphrase).exit_code, 0);
  const ProcessRun again = cli(target("token"));
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.out, token.out) << "the same, still valid access token comes back from the store";
}

// The kernel drops the key when --for ends; the one wait is for that kernel timer, polled through the SDK.
TEST_F(CliEncrypted, AnUnlockEndsWithItsDuration) {
  ASSERT_EQ(cli({"unlock", "--for", "1s"}, kPassphrase).exit_code, 0);
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  bool locked = false;
  while (!locked && std::chrono::steady_clock::now() < deadline) {
    auto status = encrypted_store_status();
    ASSERT_TRUE(status) << status.error().to_string();
    locked = !status->unlocked;
    if (!locked) std::this_thread::sleep_for(50ms);  // polling the kernel's timer
  }
  ASSERT_TRUE(locked) << "still unlocked 10 s after `unlock --for 1s`";
  const ProcessRun token = cli(target("token"));
  EXPECT_EQ(token.exit_code, 5) << token.err;
  EXPECT_NE(token.err.find("`nativeauth unlock`"), std::string::npos) << token.err;
}

TEST_F(CliEncrypted, WithoutAKeychainAndNoChoiceTheErrorListsTheOptions) {
  env_.set("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus");
  env_.unset("DISPLAY");  // GLib would autolaunch a bus (and a keyring with it) through X11
  env_.unset("WAYLAND_DISPLAY");
  const ProcessRun r = cli({"token", "--issuer", provider_->issuer(), "--client-id", "nativeauth-cli"});
  EXPECT_EQ(r.exit_code, 5) << r.err;
  for (const char *option : {"Secret Service", "--storage encrypted-file", "`nativeauth unlock`", "--storage file"}) {
    EXPECT_NE(r.err.find(option), std::string::npos) << option << " is not among the options: " << r.err;
  }
}

TEST_F(CliEncrypted, BadDurationsAndEmptyPassphrasesAreUsageErrors) {
  for (const char *d : {"", "5x", "0s", "m", "400d", "1.5h", "-1s"}) {
    const ProcessRun r = cli({"unlock", "--for", d}, kPassphrase);
    EXPECT_EQ(r.exit_code, 2) << "--for '" << d << "': " << r.err;
  }
  EXPECT_EQ(cli({"unlock"}, "\n").exit_code, 2);
  EXPECT_EQ(cli({"unlock"}, "").exit_code, 2);
  EXPECT_FALSE(encrypted_store_status()->exists) << "a refused unlock created the store";
}

}  // namespace
}  // namespace nativeauth::testing
