// SPDX-License-Identifier: Apache-2.0
// The `nativeauth` CLI end to end: real provider, headless Chromium as $BROWSER, exit codes 0/2/3/4/5.
#include "libcurl/curl_transport.hpp"
#include "linux/kernel_keyring.hpp"
#include "linux/token_cache.hpp"
#include "provider_process.hpp"

#include <nativeauth/nativeauth.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace nativeauth::testing {
namespace {

/// A JWT (an ID token): three base64url segments, the first a JSON object ("eyJ").
const std::regex kJwt(R"(eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)");

using CliRun = ProcessRun;

/// Runs the CLI with `args`, stdin empty (not a terminal), capturing stdout and stderr; `wrapper` (a command
/// and its arguments, e.g. tests/support/keyring-env) runs the CLI when it is given.
CliRun run_cli(const std::vector<std::string> &args, const std::vector<std::string> &wrapper = {}) {
  std::vector<std::string> all = wrapper;
  all.push_back(NATIVEAUTH_CLI);
  all.insert(all.end(), args.begin(), args.end());
  return run_process(std::move(all));
}

/// Starts the CLI without waiting; finish() collects it.
struct Pending {
  pid_t pid = -1;
  std::string out_path, err_path;
};
Pending start_cli(const std::vector<std::string> &args, const TempDir &tmp, int index) {
  Pending p;
  p.out_path = tmp.file("out" + std::to_string(index));
  p.err_path = tmp.file("err" + std::to_string(index));
  std::vector<std::string> all = {NATIVEAUTH_CLI};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char *> argv;
  for (auto &a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  p.pid = fork();
  if (p.pid == 0) {
    const int in = open("/dev/null", O_RDONLY);
    const int out = open(p.out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int err = open(p.err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    execv(argv[0], argv.data());
    _exit(127);
  }
  return p;
}
CliRun finish(const Pending &p) {
  int status = 0;
  while (waitpid(p.pid, &status, 0) < 0 && errno == EINTR) {
  }
  CliRun r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = read_file(p.out_path);
  r.err = read_file(p.err_path);
  return r;
}

class Cli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
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
    env_.unset("NATIVEAUTH_ISSUER");
    env_.unset("NATIVEAUTH_CLIENT_ID");
    env_.unset("NATIVEAUTH_PROFILE");
  }
  void use_browser(const std::string &action) {
    use_test_browser(env_, action, profile_.path(), tmp_.file("result.json"), tmp_.file("browser.log"));
  }
  std::vector<std::string> login_args() {
    return {"login", "--issuer", provider_->issuer(), "--client-id", "nativeauth-cli", "--timeout", "60"};
  }

  static ProviderProcess *provider_;
  TempDir tmp_, profile_, config_;
  ScopedEnv env_;
};
ProviderProcess *Cli::provider_ = nullptr;

TEST_F(Cli, LoginSucceedsAndPrintsWhoWithoutSecrets) {
  use_browser("login");
  const CliRun r = run_cli(login_args());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err << read_file(tmp_.file("browser.log"));
  EXPECT_NE(r.out.find("Signed in as Alice Example (subject alice) at " + provider_->issuer()), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("Access token valid for"), std::string::npos);
  EXPECT_NE(r.err.find("Waiting for the browser"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(provider_->issuer() + "/auth?"), std::string::npos) << "the URL to open by hand is shown";
  // No JWT (ID token), no token or code parameter anywhere in the output.
  for (const std::string *s : {&r.out, &r.err}) {
    EXPECT_EQ(s->find("eyJ"), std::string::npos) << *s;
    EXPECT_EQ(s->find("code="), std::string::npos) << *s;
  }
}

TEST_F(Cli, StatusInAnotherProcessSeesTheStoredSessionWithoutSecrets) {
  use_browser("login");
  auto args = login_args();
  args.insert(args.end(), {"--profile", "status-test"});
  env_.set("NATIVEAUTH_ISSUER", provider_->issuer());  // --profile names a slot, not a config entry here
  const CliRun login = run_cli(args);
  ASSERT_EQ(login.exit_code, 0) << login.err;
  EXPECT_NE(login.out.find("Session stored in the keychain"), std::string::npos) << login.out;

  const CliRun status = run_cli({"status", "--issuer", provider_->issuer(), "--json"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  const auto doc = nlohmann::json::parse(status.out, nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << status.out;
  EXPECT_EQ(doc["storage"], "keychain");
  bool found = false;
  for (const auto &s : doc["sessions"]) {
    if (s["client_id"] == "nativeauth-cli" && s["profile"] == "status-test") {
      found = true;
      EXPECT_EQ(s["subject"], "alice");
      EXPECT_EQ(s["name"], "Alice Example");
      EXPECT_EQ(s["has_refresh_token"], true);
      EXPECT_EQ(s["access_token_valid"], true);
    }
  }
  EXPECT_TRUE(found) << status.out;
  EXPECT_EQ(status.out.find("eyJ"), std::string::npos) << "no token in status output";
  EXPECT_EQ(status.out.find("access_token\":"), std::string::npos);

  const CliRun human = run_cli({"status", "--issuer", provider_->issuer(), "--client-id", "nativeauth-cli", "--profile",
                                "status-test"});
  EXPECT_EQ(human.exit_code, 0) << human.err;
  EXPECT_NE(human.out.find("nativeauth-cli / status-test: Alice Example (subject alice)"), std::string::npos)
      << human.out;
  const CliRun other = run_cli({"status", "--issuer", provider_->issuer(), "--client-id", "never-signed-in"});
  EXPECT_EQ(other.exit_code, 3) << other.err;
}

// A provider that keeps name out of the ID token: `login` and `status` still name the user (UserInfo).
TEST_F(Cli, StatusNamesTheUserFromUserinfoWhenTheIdTokenHasNoName) {
  std::string why;
  auto conform = ProviderProcess::start({"RS256", "", {"--conform-id-token-claims"}}, &why);
  ASSERT_TRUE(conform) << why;
  use_browser("login");
  const CliRun login = run_cli({"login", "--issuer", conform->issuer(), "--client-id", "nativeauth-cli", "--timeout",
                                "60", "--profile", "userinfo"});
  ASSERT_EQ(login.exit_code, 0) << login.err;
  EXPECT_NE(login.out.find("Signed in as Alice Example (subject alice)"), std::string::npos) << login.out;
  const CliRun status = run_cli({"status", "--issuer", conform->issuer(), "--client-id", "nativeauth-cli", "--profile",
                                 "userinfo"});
  EXPECT_EQ(status.exit_code, 0) << status.err;
  EXPECT_NE(status.out.find("nativeauth-cli / userinfo: Alice Example (subject alice)"), std::string::npos)
      << status.out;
}

TEST_F(Cli, FileStorageIsExplicitAndPrivate) {
  use_browser("login");
  TempDir state;
  env_.set("XDG_STATE_HOME", state.path());
  auto args = login_args();
  args.insert(args.end(), {"--storage", "file"});
  const CliRun login = run_cli(args);
  ASSERT_EQ(login.exit_code, 0) << login.err;
  EXPECT_NE(login.err.find("protected only by file permissions"), std::string::npos) << login.err;
  const std::string dir = state.path() + "/nativeauth";
  struct stat st {};
  ASSERT_EQ(stat(dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  int files = 0;
  for (const auto &entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".slot") continue;  // the slot locks live beside them, in locks/
    ASSERT_EQ(stat(entry.path().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u) << entry.path();
    ++files;
  }
  EXPECT_EQ(files, 1);
  env_.set("NATIVEAUTH_STORAGE", "file");
  const CliRun status = run_cli({"status", "--issuer", provider_->issuer(), "--client-id", "nativeauth-cli"});
  EXPECT_EQ(status.exit_code, 0) << status.err;
  EXPECT_NE(status.out.find("(file)"), std::string::npos) << status.out;
}

TEST_F(Cli, EightConcurrentTokenProcessesCauseExactlyOneGrant) {
  use_browser("login");
  auto args = login_args();
  args.insert(args.end(), {"--profile", "concurrent"});
  ASSERT_EQ(run_cli(args).exit_code, 0);
  const int grants_before = provider_->refresh_grants();
  // Age the stored session: its access token, issued an hour ago, now expires in 10 s, inside the 60 s
  // margin, so every process finds it due; whichever starts after the one refresh finds the new token fresh.
  {
    auto store = nativeauth::make_keychain_store();
    ASSERT_TRUE(store);
    const nativeauth::platform::SlotKey key{provider_->issuer(), "nativeauth-cli", "concurrent"};
    auto record = (*store)->load(key);
    ASSERT_TRUE(record && record->has_value());
    auto doc = nlohmann::json::parse(std::string((*record)->reveal()));
    const std::int64_t now =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    doc["access_token_expires_at"] = now + 10;
    doc["issued_at"] = now - 3590;
    doc["issued_at_ms"] = (now - 3590) * 1000;
    ASSERT_TRUE((*store)->save(key, nativeauth::SecretString(doc.dump())));
    // Written behind the SDK's back, so the access-token cache (which the SDK keeps in step) must go too.
    ASSERT_TRUE(nativeauth::kernel_keyring::remove(nativeauth::kernel_keyring::ring_from_environment(),
                                                   nativeauth::linux_platform::token_cache_description("keychain",
                                                                                                       key)));
  }
  const std::vector<std::string> token_args = {"token",          "--issuer",  provider_->issuer(), "--client-id",
                                               "nativeauth-cli", "--profile", "concurrent"};
  std::vector<Pending> running;
  for (int i = 0; i < 8; ++i) running.push_back(start_cli(token_args, tmp_, i));
  std::set<std::string> tokens;
  for (const auto &p : running) {
    const CliRun r = finish(p);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    tokens.insert(r.out);
  }
  EXPECT_EQ(provider_->refresh_grants(), grants_before + 1) << "exactly one refresh grant for eight processes";
  EXPECT_EQ(tokens.size(), 1u) << "all printed the same token";
  // The slot holds the newest tokens, and its refresh token still works (a forced refresh).
  nativeauth::ClientOptions o;
  o.issuer = provider_->issuer();
  o.client_id = "nativeauth-cli";
  o.profile = "concurrent";
  auto client = nativeauth::Client::create(std::move(o));
  ASSERT_TRUE(client);
  auto stored = client->load_session();
  ASSERT_TRUE(stored && stored->has_value());
  EXPECT_EQ(std::string((*stored)->access_token.reveal()) + "\n", *tokens.begin());
  nativeauth::AccessTokenOptions force;
  force.force_refresh = true;
  auto again = client->access_token(force);
  ASSERT_TRUE(again) << again.error().to_string();
  EXPECT_EQ(provider_->refresh_grants(), grants_before + 2);
}

// The forms scripts and tools consume: --json (never the refresh token), --header, --id-token; one at a time.
TEST_F(Cli, TokenFormsForScripts) {
  use_browser("login");
  auto args = login_args();
  args.insert(args.end(), {"--profile", "forms"});
  ASSERT_EQ(run_cli(args).exit_code, 0);
  const std::vector<std::string> base = {"token",     "--issuer", provider_->issuer(), "--client-id", "nativeauth-cli",
                                         "--profile", "forms"};
  const auto with = [&](const std::string &flag) {
    auto a = base;
    a.push_back(flag);
    return a;
  };
  const CliRun bare = run_cli(base);
  ASSERT_EQ(bare.exit_code, 0) << bare.err;
  const std::string token = bare.out.substr(0, bare.out.find('\n'));

  const CliRun json = run_cli(with("--json"));
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const auto doc = nlohmann::json::parse(json.out, nullptr, false);
  ASSERT_TRUE(doc.is_object()) << json.out;
  EXPECT_EQ(doc.value("access_token", ""), token);
  EXPECT_EQ(doc.value("token_type", ""), "Bearer");
  EXPECT_GT(doc.value("expires_in", 0), 0);
  EXPECT_EQ(doc.value("expires_at", "").size(), 20u) << "RFC 3339 UTC, e.g. 2026-12-07T12:00:00Z";
  ASSERT_TRUE(doc.contains("scopes"));
  EXPECT_NE(std::find(doc["scopes"].begin(), doc["scopes"].end(), "openid"), doc["scopes"].end());
  EXPECT_FALSE(doc.contains("refresh_token"));
  auto client = nativeauth::Client::create([&] {
    nativeauth::ClientOptions o;
    o.issuer = provider_->issuer();
    o.client_id = "nativeauth-cli";
    o.profile = "forms";
    return o;
  }());
  ASSERT_TRUE(client);
  auto stored = client->load_session();
  ASSERT_TRUE(stored && stored->has_value());
  EXPECT_EQ(json.out.find(std::string((*stored)->refresh_token.reveal())), std::string::npos)
      << "the refresh token was printed";

  const CliRun header = run_cli(with("--header"));
  ASSERT_EQ(header.exit_code, 0) << header.err;
  EXPECT_EQ(header.out, "Authorization: Bearer " + token + "\n");

  const CliRun id = run_cli(with("--id-token"));
  ASSERT_EQ(id.exit_code, 0) << id.err;
  EXPECT_EQ(id.out, std::string((*stored)->id_token.reveal()) + "\n");
  EXPECT_EQ(id.out.rfind("eyJ", 0), 0u);

  auto both = with("--json");
  both.push_back("--header");
  EXPECT_EQ(run_cli(both).exit_code, 2) << "two forms at once is a usage error";
}

TEST_F(Cli, ReusedRefreshTokenIsExitCode3AndClearsTheSlot) {
  use_browser("login");
  auto args = login_args();
  args.insert(args.end(), {"--profile", "reuse"});
  ASSERT_EQ(run_cli(args).exit_code, 0);
  auto store = nativeauth::make_keychain_store();
  ASSERT_TRUE(store);
  const nativeauth::platform::SlotKey key{provider_->issuer(), "nativeauth-cli", "reuse"};
  auto original = (*store)->load(key);
  ASSERT_TRUE(original && original->has_value());
  const std::vector<std::string> token_args = {"token",       "--issuer",       provider_->issuer(),
                                               "--client-id", "nativeauth-cli", "--profile",
                                               "reuse",       "--min-ttl",      "3600"};
  ASSERT_EQ(run_cli(token_args).exit_code, 0);   // rotates
  ASSERT_TRUE((*store)->save(key, **original));  // the rotated-away refresh token is back
  const CliRun reused = run_cli(token_args);
  EXPECT_EQ(reused.exit_code, 3) << reused.err;
  EXPECT_NE(reused.err.find("invalid_grant"), std::string::npos) << reused.err;
  EXPECT_TRUE(reused.out.empty()) << "no token printed";
  auto after = (*store)->load(key);
  ASSERT_TRUE(after);
  EXPECT_FALSE(after->has_value()) << "the slot was cleared";
}

TEST_F(Cli, LogoutEndsTheSessionAndTokenThenSaysSignInNeeded) {
  use_browser("login");
  auto args = login_args();
  args.insert(args.end(), {"--profile", "logout"});
  ASSERT_EQ(run_cli(args).exit_code, 0);
  env_.set("NATIVEAUTH_TEST_BROWSER_ACTION", "logout");
  const CliRun out = run_cli({"logout", "--issuer", provider_->issuer(), "--client-id", "nativeauth-cli", "--profile",
                              "logout"});
  EXPECT_EQ(out.exit_code, 0) << out.err;
  EXPECT_NE(out.out.find("1 session(s) erased on this machine, 1 refresh token(s) revoked, provider session ended"),
            std::string::npos)
      << out.out << out.err;
  // The browser opened: no URL is printed, and nothing printed holds the ID token.
  EXPECT_NE(out.err.find("Opened your browser to end the session"), std::string::npos) << out.err;
  EXPECT_EQ(out.err.find("/session/end"), std::string::npos) << out.err;
  for (const std::string *s : {&out.out, &out.err}) {
    EXPECT_EQ(s->find("id_token_hint"), std::string::npos) << *s;
    EXPECT_FALSE(std::regex_search(*s, kJwt)) << *s;
  }
  const CliRun token = run_cli({"token", "--issuer", provider_->issuer(), "--client-id", "nativeauth-cli", "--profile",
                                "logout"});
  EXPECT_EQ(token.exit_code, 3);
  EXPECT_TRUE(token.out.empty());
}

// No browser: the URL to open by hand is printed, and it holds client_id, never the ID token. Nobody opens
// it here, so the provider's page never comes back: the 1 s timeout only ends the wait.
TEST_F(Cli, LogoutWithoutABrowserPrintsAUrlWithoutTheIdToken) {
  use_browser("login");
  auto args = login_args();
  args.insert(args.end(), {"--profile", "logout-by-hand"});
  ASSERT_EQ(run_cli(args).exit_code, 0);
  const CliRun out = run_cli({"logout", "--issuer", provider_->issuer(), "--client-id", "nativeauth-cli", "--profile",
                              "logout-by-hand", "--no-browser", "--timeout", "1"});
  EXPECT_EQ(out.exit_code, 0) << out.err;
  EXPECT_NE(out.err.find(provider_->issuer() + "/session/end?client_id=nativeauth-cli"), std::string::npos) << out.err;
  for (const std::string *s : {&out.out, &out.err}) {
    EXPECT_EQ(s->find("id_token_hint"), std::string::npos) << *s;
    EXPECT_FALSE(std::regex_search(*s, kJwt)) << *s;
  }
}

// A provider that compares post_logout_redirect_uri exactly (port included): `logout --port` means what
// `login --port` means, so the registered http://127.0.0.1:PORT/logout comes back.
TEST_F(Cli, LogoutWithAFixedPortReturnsFromAProviderThatMatchesPortsExactly) {
  const std::uint16_t port = unused_loopback_port();
  ASSERT_NE(port, 0);
  std::string why;
  auto exact = ProviderProcess::start(
      {"RS256", "", {"--exact-post-logout-redirect-uri", "http://127.0.0.1:" + std::to_string(port) + "/logout"}},
      &why);
  ASSERT_TRUE(exact) << why;
  use_browser("login");
  const std::vector<std::string> app = {"--issuer",  exact->issuer(), "--client-id", "nativeauth-cli",
                                        "--profile", "fixed-port",    "--port",      std::to_string(port)};
  std::vector<std::string> login = {"login", "--timeout", "60"};
  login.insert(login.end(), app.begin(), app.end());
  const CliRun in = run_cli(login);
  ASSERT_EQ(in.exit_code, 0) << in.err;
  env_.set("NATIVEAUTH_TEST_BROWSER_ACTION", "logout");
  std::vector<std::string> logout = {"logout", "--timeout", "60"};
  logout.insert(logout.end(), app.begin(), app.end());
  const CliRun out = run_cli(logout);
  EXPECT_EQ(out.exit_code, 0) << out.err;
  EXPECT_NE(out.out.find("provider session ended"), std::string::npos) << out.out << out.err;
  EXPECT_EQ(out.err.find("warning"), std::string::npos) << out.err;
}

TEST_F(Cli, IssuerAndClientFromEnvironmentOrProfile) {
  use_browser("login");
  std::filesystem::create_directories(config_.path() + "/nativeauth");
  std::ofstream(config_.path() + "/nativeauth/config.json")
      << R"({"profiles":{"work":{"issuer":")" << provider_->issuer()
      << R"(","client_id":"nativeauth-cli","scope":"openid profile email","params":{"organization":"acme"}}}})";
  const CliRun by_profile = run_cli({"login", "--profile", "work", "--timeout", "60", "-v"});
  ASSERT_EQ(by_profile.exit_code, 0) << by_profile.err;
  EXPECT_NE(by_profile.err.find("organization=acme"), std::string::npos);
  EXPECT_NE(by_profile.out.find("No refresh token was issued"), std::string::npos)
      << "no offline_access in the profile";

  env_.set("NATIVEAUTH_ISSUER", provider_->issuer());
  env_.set("NATIVEAUTH_CLIENT_ID", "nativeauth-cli");
  const CliRun by_env = run_cli({"login", "--timeout", "60"});
  EXPECT_EQ(by_env.exit_code, 0) << by_env.err;
}

TEST_F(Cli, DeclinedIsExitCode3) {
  use_browser("decline");
  const CliRun r = run_cli(login_args());
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("access_denied"), std::string::npos) << r.err;
}

// A local attacker who read the state and port from the browser's argv answers the listener first, with
// an error_description (and then an iss) full of escape sequences. The sign-in fails, and what the CLI
// prints shows those sequences as text: no ESC, BEL, C1 or bidi control reaches the terminal.
TEST_F(Cli, HostileRedirectTextIsShownNotActedOn) {
  env_.set("BROWSER", "node " + support_dir() + "/browser/hostile-redirect.js");
  const auto shows_nothing_active = [](const CliRun &r) {
    for (const std::string &s : {r.out, r.err}) {
      EXPECT_EQ(s.find('\x1b'), std::string::npos) << s;
      EXPECT_EQ(s.find('\x07'), std::string::npos) << s;
      EXPECT_EQ(s.find("\xe2\x80\xae"), std::string::npos) << "a bidi override reached the terminal";
    }
  };
  env_.set("NATIVEAUTH_TEST_HOSTILE_ISS", provider_->issuer());
  const CliRun described = run_cli(login_args());
  EXPECT_NE(described.exit_code, 0);
  EXPECT_NE(described.err.find("invalid_request"), std::string::npos) << described.err;
  EXPECT_NE(described.err.find("\\x1b]0;TITLE\\x07"), std::string::npos) << "shown escaped: " << described.err;
  shows_nothing_active(described);

  env_.set("NATIVEAUTH_TEST_HOSTILE_ISS", "https://evil.example/\x1b[2J\x1b]0;TITLE\x07");
  const CliRun mixed_up = run_cli(login_args());
  EXPECT_NE(mixed_up.exit_code, 0);
  EXPECT_NE(mixed_up.err.find("mix-up"), std::string::npos) << mixed_up.err;
  EXPECT_NE(mixed_up.err.find("\\x1b[2J"), std::string::npos) << "shown escaped: " << mixed_up.err;
  shows_nothing_active(mixed_up);
}

TEST_F(Cli, TimeoutIsExitCode3) {
  env_.set("BROWSER", "true");
  auto args = login_args();
  args.back() = "1";
  const CliRun r = run_cli(args);
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("--port in the CLI"), std::string::npos) << "the port hint on an OS-chosen port: " << r.err;
}

// Custom scheme on the desktop, as a user's machine does it: `register-scheme` makes the CLI the
// handler (a .desktop entry + xdg-mime, in throw-away XDG dirs); the provider redirects the browser to
// com.example.app:/callback?...; the browser hands that URL to xdg-open (as a real browser hands it to
// the OS), which starts `nativeauth handle-redirect`, which forwards it to the waiting `login`.
TEST_F(Cli, CustomSchemeLoginThroughTheDesktopHandler) {
  TempDir data, run;
  env_.set("XDG_DATA_HOME", data.path());
  env_.set("XDG_RUNTIME_DIR", run.path());
  // xdg-open consults desktop entries only when a display is named and no desktop environment is
  // (otherwise it asks GNOME/KDE tools). Nothing connects to this display: headless Chromium needs none.
  env_.set("DISPLAY", ":nativeauth-test");
  env_.unset("XDG_CURRENT_DESKTOP");
  env_.unset("DESKTOP_SESSION");
  env_.set("NATIVEAUTH_TEST_BROWSER_SCHEME_HANDLER", "xdg-open");
  const std::vector<std::string> app = {"--issuer", provider_->issuer(), "--client-id", "nativeauth-cli"};
  const auto with_app = [&](std::vector<std::string> args) {
    args.insert(args.end(), app.begin(), app.end());
    return args;
  };

  const CliRun reg = run_cli(with_app({"register-scheme", "com.example.app"}));
  ASSERT_EQ(reg.exit_code, 0) << reg.err;
  const std::string entry = data.path() + "/applications/nativeauth-com.example.app.desktop";
  EXPECT_NE(read_file(entry).find("MimeType=x-scheme-handler/com.example.app;"), std::string::npos);
  EXPECT_NE(read_file(config_.path() + "/mimeapps.list").find("x-scheme-handler/com.example.app=nativeauth-"),
            std::string::npos);

  use_browser("login");
  auto args = login_args();
  args.insert(args.end(), {"--redirect-uri", "com.example.app:/callback"});
  const CliRun login = run_cli(args);
  ASSERT_EQ(login.exit_code, 0) << login.err << "\n" << read_file(tmp_.file("browser.log"));
  EXPECT_NE(login.out.find("Signed in as"), std::string::npos) << login.out;
  ASSERT_TRUE(wait_for_file(tmp_.file("result.json"), std::chrono::seconds(30)));
  const auto result = nlohmann::json::parse(read_file(tmp_.file("result.json")), nullptr, false);
  EXPECT_TRUE(result.value("custom_scheme", false)) << result.dump();
  EXPECT_EQ(result.value("scheme_handler_exit", -1), 0) << result.dump();

  // The same URL again: nobody waits any more. Another scheme: refused before anything is sent.
  const std::string url = result.value("redirect_url", "");
  const CliRun again = run_cli(with_app({"handle-redirect", url}));
  EXPECT_EQ(again.exit_code, 1) << again.err;
  EXPECT_NE(again.err.find("no_pending_sign_in"), std::string::npos) << again.err;
  const CliRun other = run_cli(with_app({"handle-redirect", "--redirect-uri", "com.example.app:/callback",
                                         "com.other.app:/callback" + url.substr(url.find('?'))}));
  EXPECT_EQ(other.exit_code, 1) << other.err;
  EXPECT_NE(other.err.find("invalid_redirect"), std::string::npos) << other.err;
  for (const auto *r : {&login, &again, &other}) {
    EXPECT_EQ(r->err.find("code=" + url.substr(url.find("code=") + 5, 12)), std::string::npos) << "the code leaked";
  }

  const CliRun unreg = run_cli({"register-scheme", "--unregister", "com.example.app"});
  ASSERT_EQ(unreg.exit_code, 0) << unreg.err;
  EXPECT_FALSE(std::filesystem::exists(entry));
  EXPECT_EQ(read_file(config_.path() + "/mimeapps.list").find("com.example.app"), std::string::npos);
  const CliRun bad = run_cli({"register-scheme", "--unregister", "myapp"});
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
}

TEST_F(Cli, UnreachableProviderIsExitCode4) {
  const CliRun r = run_cli({"login", "--issuer", "http://127.0.0.1:9", "--client-id", "x"});
  EXPECT_EQ(r.exit_code, 4) << r.err;
}

// A keyring that is locked: the session store cannot be used now. Exit 5 ("storage"), neither 4 ("the
// provider is unreachable") nor 3 ("sign in again"). The CLI runs in a keyring-env of its own whose
// login collection is locked before it starts (NATIVEAUTH_KEYRING_LOCKED=1: Secret Service Lock()).
TEST_F(Cli, LockedKeyringIsExitCode5) {
  env_.set("NATIVEAUTH_KEYRING_LOCKED", "1");
  const CliRun r = run_cli({"token", "--issuer", provider_->issuer(), "--client-id", "nativeauth-cli"},
                           {support_dir() + "/keyring-env"});
  EXPECT_EQ(r.exit_code, 5) << r.err;
  EXPECT_NE(r.err.find("storage_locked"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty()) << "no token printed";
}

// Signed in, but no Secret Service to keep the session (a headless machine without a desktop session,
// as keychain_unavailable_test makes it: a bus address where nothing listens). The message says once
// what could not be stored and why, and the exit code is 5 ("storage"), not 4 ("provider unreachable").
TEST_F(Cli, LoginWithoutSecretServiceSaysItOnceAndIsExitCode5) {
  use_browser("login");
  env_.set("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus");
  env_.unset("DISPLAY");  // GLib would autolaunch a bus (and a keyring with it) through X11
  env_.unset("WAYLAND_DISPLAY");
  auto args = login_args();
  args.insert(args.end(), {"--profile", "no-secret-service"});
  const CliRun r = run_cli(args);
  EXPECT_EQ(r.exit_code, 5) << r.err << read_file(tmp_.file("browser.log"));
  const std::string said =
      "nativeauth: login: signed in, but the session could not be stored: keychain: cannot save the session: no "
      "Secret Service is running (there is no D-Bus session bus at unix:path=/nonexistent/bus";
  EXPECT_NE(r.err.find(said), std::string::npos) << r.err;
  const auto first = r.err.find("could not be stored");
  EXPECT_EQ(r.err.find("could not be stored", first + 1), std::string::npos) << "said twice:\n" << r.err;
  EXPECT_EQ(r.err.find("renewed"), std::string::npos) << "a sign-in renews nothing:\n" << r.err;
  EXPECT_EQ(r.out.find("Signed in as"), std::string::npos) << "no success line for a session that was not kept";
}

TEST_F(Cli, UsageErrorsAreExitCode2) {
  EXPECT_EQ(run_cli({}).exit_code, 2);
  EXPECT_EQ(run_cli({"login", "--issuer", provider_->issuer()}).exit_code, 2);
  EXPECT_EQ(run_cli({"login", "--bogus"}).exit_code, 2);
  EXPECT_EQ(run_cli({"login", "--issuer", "x", "--client-id", "y", "--param", "novalue"}).exit_code, 2);
  EXPECT_EQ(run_cli({"login", "--issuer", "http://idp.example", "--client-id", "y"}).exit_code, 2);
  EXPECT_EQ(run_cli({"login", "--profile", "missing"}).exit_code, 2);
  EXPECT_EQ(run_cli({"login", "--issuer", "x", "--client-id", "y", "--storage", "plaintext"}).exit_code, 2);
  EXPECT_EQ(run_cli({"status"}).exit_code, 2);
}

TEST_F(Cli, VersionAndHelp) {
  const CliRun v = run_cli({"--version"});
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_NE(v.out.find("nativeauth 0."), std::string::npos) << v.out;
  const CliRun h = run_cli({"login", "--help"});
  EXPECT_EQ(h.exit_code, 0);
  EXPECT_NE(h.out.find("--no-browser"), std::string::npos);
}

}  // namespace
}  // namespace nativeauth::testing
