// SPDX-License-Identifier: Apache-2.0
// `nativeauth.exe`, the Windows build of the CLI, end to end under wine: the real dev provider on the host's
// loopback, the headless test browser started through %BROWSER%, sessions in wine's Credential Manager,
// WinHTTP, CNG and the Winsock listener doing the work. Run by scripts/test-windows, which builds the Windows
// tree, creates the wine prefix and sets:
//   NATIVEAUTH_WINE              the wine loader (wine64)
//   NATIVEAUTH_WINDOWS_CLI       the path of nativeauth.exe
//   NATIVEAUTH_WINDOWS_BROWSER   what %BROWSER% is set to for the Windows program (platform/windows/README.md)
// WINEPREFIX is the script's throw-away prefix. Without these the tests are skipped, saying why.
#include "provider_process.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <future>
#include <regex>
#include <set>
#include <thread>

namespace nativeauth::testing {
namespace {

const std::regex kJwt(R"(eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)");

std::string env_or_empty(const char *name) {
  const char *v = std::getenv(name);
  return v ? v : "";
}

/// The provider's access tokens live this long: long enough for a few wine processes to start inside one
/// token's lifetime, short enough that a test can wait for one to expire.
constexpr int kAccessTtl = 20;

class WindowsCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (env_or_empty("NATIVEAUTH_WINE").empty() || env_or_empty("NATIVEAUTH_WINDOWS_CLI").empty()) return;
    std::string why;
    provider_ = ProviderProcess::start({"RS256", "", {"--access-ttl", std::to_string(kAccessTtl)}}, &why).release();
    if (provider_ == nullptr) start_error_ = why;
  }
  static void TearDownTestSuite() {
    delete provider_;
    provider_ = nullptr;
  }
  void SetUp() override {
    if (env_or_empty("NATIVEAUTH_WINE").empty() || env_or_empty("NATIVEAUTH_WINDOWS_CLI").empty()) {
      GTEST_SKIP() << "run by scripts/test-windows (NATIVEAUTH_WINE and NATIVEAUTH_WINDOWS_CLI are not set)";
    }
    ASSERT_NE(provider_, nullptr) << start_error_;
    use_test_browser(env_, "login", profile_.path(), tmp_.file("result.json"), tmp_.file("browser.log"));
    env_.set("BROWSER", env_or_empty("NATIVEAUTH_WINDOWS_BROWSER"));
    env_.unset("NATIVEAUTH_ISSUER");
    env_.unset("NATIVEAUTH_CLIENT_ID");
    env_.unset("NATIVEAUTH_PROFILE");
  }

  /// Runs nativeauth.exe under wine with stdin empty (not a console).
  static ProcessRun run(std::vector<std::string> args) {
    args.insert(args.begin(), {env_or_empty("NATIVEAUTH_WINE"), env_or_empty("NATIVEAUTH_WINDOWS_CLI")});
    return run_process(std::move(args));
  }
  std::vector<std::string> slot(const std::string &command, const std::string &profile) const {
    return {command, "--issuer", provider_->issuer(), "--client-id", "nativeauth-cli", "--profile", profile};
  }
  ProcessRun login(const std::string &profile) {
    auto args = slot("login", profile);
    args.insert(args.end(), {"--timeout", "90"});
    return run(args);
  }
  std::string browser_log() const { return read_file(tmp_.file("browser.log")); }

  static ProviderProcess *provider_;
  static std::string start_error_;
  TempDir tmp_, profile_;
  ScopedEnv env_;
};
ProviderProcess *WindowsCli::provider_ = nullptr;
std::string WindowsCli::start_error_;

/// `token --json`'s expiry as a time point.
std::chrono::system_clock::time_point expires_at(const std::string &json) {
  const auto doc = nlohmann::json::parse(json, nullptr, false);
  const auto in = doc.is_object() ? doc.value("expires_in", 0) : 0;
  return std::chrono::system_clock::now() + std::chrono::seconds(in);
}

// The whole life of a session: sign-in through the browser, the token from Credential Manager in a new
// process, a silent refresh once the token has expired, a second refresh (so the rotated refresh token was
// stored), status --json, and sign-out (revocation and the provider's session ended in the browser).
TEST_F(WindowsCli, SignInRefreshRotateStatusAndSignOut) {
  const ProcessRun in = login("life");
  ASSERT_EQ(in.exit_code, 0) << in.out << in.err << browser_log();
  EXPECT_NE(in.out.find("Signed in as Alice Example (subject alice) at " + provider_->issuer()), std::string::npos)
      << in.out;
  EXPECT_EQ(in.out.find('\r'), std::string::npos) << "LF line ends, as scripts expect";
  for (const std::string *s : {&in.out, &in.err}) EXPECT_FALSE(std::regex_search(*s, kJwt)) << *s;

  // A new process reads the session from Credential Manager; a token valid at all is used as it is.
  const int grants = provider_->refresh_grants();
  auto first_args = slot("token", "life");
  first_args.insert(first_args.end(), {"--json", "--min-ttl", "0"});
  const ProcessRun first = run(first_args);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const auto doc = nlohmann::json::parse(first.out, nullptr, false);
  ASSERT_TRUE(doc.is_object()) << first.out;
  const std::string token1 = doc.value("access_token", "");
  ASSERT_FALSE(token1.empty());
  EXPECT_FALSE(doc.contains("refresh_token"));

  // Waiting on the clock (the token's lifetime), not on another process: then the token has expired.
  const auto expiry = expires_at(first.out);
  std::this_thread::sleep_until(expiry + std::chrono::seconds(1));
  auto plain = slot("token", "life");
  plain.insert(plain.end(), {"--min-ttl", "0"});
  const ProcessRun second = run(plain);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  const std::string token2 = second.out.substr(0, second.out.find('\n'));
  EXPECT_NE(token2, token1) << "an expired token was refreshed";
  EXPECT_EQ(provider_->refresh_grants(), grants + 1);

  // A token that is not valid for an hour more is refreshed again: with the rotated refresh token, which
  // only works if the first refresh stored it (the provider refuses a used one).
  auto due = slot("token", "life");
  due.insert(due.end(), {"--min-ttl", "3600"});
  const ProcessRun third = run(due);
  ASSERT_EQ(third.exit_code, 0) << third.err;
  EXPECT_NE(third.out.substr(0, third.out.find('\n')), token2);
  EXPECT_EQ(provider_->refresh_grants(), grants + 2);

  auto status_args = slot("status", "life");
  status_args.push_back("--json");
  const ProcessRun status = run(status_args);
  ASSERT_EQ(status.exit_code, 0) << status.err;
  const auto st = nlohmann::json::parse(status.out, nullptr, false);
  ASSERT_TRUE(st.is_object() && st["sessions"].is_array()) << status.out;
  EXPECT_EQ(st.value("storage", ""), "keychain") << status.out;
  const auto life = std::find_if(st["sessions"].begin(), st["sessions"].end(),
                                 [](const nlohmann::json &j) { return j.value("profile", "") == "life"; });
  ASSERT_NE(life, st["sessions"].end()) << "Credential Manager lists the slot: " << status.out;
  EXPECT_EQ(life->value("subject", ""), "alice");
  EXPECT_EQ(life->value("has_refresh_token", false), true);
  EXPECT_EQ(life->value("access_token_expires_at", "").size(), 20u) << "RFC 3339 UTC: " << status.out;
  EXPECT_FALSE(std::regex_search(status.out, kJwt)) << status.out;

  env_.set("NATIVEAUTH_TEST_BROWSER_ACTION", "logout");
  const auto before = provider_->events();
  const ProcessRun out = run(slot("logout", "life"));
  EXPECT_EQ(out.exit_code, 0) << out.err << browser_log();
  EXPECT_NE(out.out.find("1 session(s) erased on this machine, 1 refresh token(s) revoked, provider session ended"),
            std::string::npos)
      << out.out << out.err;
  const auto after = provider_->events();
  EXPECT_EQ(after.value("revocation.success", 0), before.value("revocation.success", 0) + 1);
  EXPECT_EQ(after.value("end_session.success", 0), before.value("end_session.success", 0) + 1);

  const ProcessRun gone = run(slot("token", "life"));
  EXPECT_EQ(gone.exit_code, 3) << gone.err;
  EXPECT_TRUE(gone.out.empty());
}

// Four nativeauth.exe processes find one session due for refresh at once: the named mutex lets one refresh,
// the others take its result from Credential Manager. Exactly one grant, one token for all.
TEST_F(WindowsCli, ConcurrentTokenProcessesMakeExactlyOneGrant) {
  const ProcessRun in = login("concurrent");
  ASSERT_EQ(in.exit_code, 0) << in.out << in.err << browser_log();
  auto json_args = slot("token", "concurrent");
  json_args.insert(json_args.end(), {"--json", "--min-ttl", "0"});
  const ProcessRun fresh = run(json_args);
  ASSERT_EQ(fresh.exit_code, 0) << fresh.err;
  // "Due" below means valid for less than 12 s: a fresh token (20 s) is not, so every process that starts
  // after the one refresh takes its token. Wait on the clock until the current one is due.
  constexpr int kMinTtl = 12;
  const auto due_at = expires_at(fresh.out) - std::chrono::seconds(kMinTtl);
  std::this_thread::sleep_until(due_at + std::chrono::seconds(1));
  const int grants = provider_->refresh_grants();
  auto token_args = slot("token", "concurrent");
  token_args.insert(token_args.end(), {"--min-ttl", std::to_string(kMinTtl)});
  std::vector<std::future<ProcessRun>> running;
  for (int i = 0; i < 4; ++i) running.push_back(std::async(std::launch::async, [&] { return run(token_args); }));
  std::set<std::string> tokens;
  for (auto &r : running) {
    const ProcessRun done = r.get();
    ASSERT_EQ(done.exit_code, 0) << done.err;
    tokens.insert(done.out);
  }
  EXPECT_EQ(provider_->refresh_grants(), grants + 1) << "exactly one refresh grant for four processes";
  EXPECT_EQ(tokens.size(), 1u) << "all printed the same token";
}

// A C program on nativeauth_c.dll (samples/c, built for Windows beside nativeauth.exe) signs in through the
// C ABI: the DLL's exports, its default platform and the keychain store behind it, from C.
TEST_F(WindowsCli, TheCSampleSignsInThroughTheCAbiDll) {
  const std::string cli = env_or_empty("NATIVEAUTH_WINDOWS_CLI");
  const std::string sample = cli.substr(0, cli.find_last_of('/') + 1) + "nativeauth-c-sample.exe";
  const ProcessRun r = run_process({env_or_empty("NATIVEAUTH_WINE"), sample, provider_->issuer(), "nativeauth-test"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err << browser_log();
  EXPECT_NE(r.out.find("(C ABI 1)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("signed in as alice (Alice Example)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("access token: "), std::string::npos) << r.out;
  EXPECT_FALSE(std::regex_search(r.out + r.err, kJwt)) << r.out << r.err;
}

// The file stores do not exist on Windows yet: asking for one is the "store cannot be used" exit (5) with a
// message naming the store that works, never a silent fall-back to another store.
TEST_F(WindowsCli, FileStoresSayTheyAreNotAvailable) {
  for (const std::string storage : {"file", "encrypted-file"}) {
    auto args = slot("token", "files");
    args.insert(args.end(), {"--storage", storage});
    const ProcessRun r = run(args);
    EXPECT_EQ(r.exit_code, 5) << storage << ": " << r.err;
    EXPECT_NE(r.err.find("not available on Windows"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("Credential Manager"), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace nativeauth::testing
