// SPDX-License-Identifier: Apache-2.0
// The `nativeauth` CLI end to end: real provider, headless Chromium as $BROWSER, exit codes 0/2/3/4.
#include "provider_process.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <filesystem>
#include <fstream>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace nativeauth::testing {
namespace {

struct CliRun {
  int exit_code = -1;
  std::string out;
  std::string err;
};

/// Runs the CLI with `args`, stdin from /dev/null, capturing stdout and stderr.
CliRun run_cli(const std::vector<std::string> &args) {
  TempDir tmp;
  const std::string out_path = tmp.file("out");
  const std::string err_path = tmp.file("err");
  std::vector<std::string> all = {NATIVEAUTH_CLI};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char *> argv;
  for (auto &a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    const int in = open("/dev/null", O_RDONLY);
    const int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    execv(argv[0], argv.data());
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  CliRun r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = read_file(out_path);
  r.err = read_file(err_path);
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
  EXPECT_NE(r.out.find("Signed in as Alice Example (subject alice) at " + provider_->issuer()), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Access token valid for"), std::string::npos);
  EXPECT_NE(r.err.find("Waiting for the browser"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(provider_->issuer() + "/auth?"), std::string::npos) << "the URL to open by hand is shown";
  // No JWT (ID token), no token or code parameter anywhere in the output.
  for (const std::string *s : {&r.out, &r.err}) {
    EXPECT_EQ(s->find("eyJ"), std::string::npos) << *s;
    EXPECT_EQ(s->find("code="), std::string::npos) << *s;
  }
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
  EXPECT_NE(by_profile.out.find("No refresh token was issued"), std::string::npos) << "no offline_access in the profile";

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

TEST_F(Cli, TimeoutIsExitCode3) {
  env_.set("BROWSER", "true");
  auto args = login_args();
  args.back() = "1";
  const CliRun r = run_cli(args);
  EXPECT_EQ(r.exit_code, 3) << r.err;
}

TEST_F(Cli, UnreachableProviderIsExitCode4) {
  const CliRun r = run_cli({"login", "--issuer", "http://127.0.0.1:9", "--client-id", "x"});
  EXPECT_EQ(r.exit_code, 4) << r.err;
}

TEST_F(Cli, UsageErrorsAreExitCode2) {
  EXPECT_EQ(run_cli({}).exit_code, 2);
  EXPECT_EQ(run_cli({"login", "--issuer", provider_->issuer()}).exit_code, 2);
  EXPECT_EQ(run_cli({"login", "--bogus"}).exit_code, 2);
  EXPECT_EQ(run_cli({"login", "--issuer", "x", "--client-id", "y", "--param", "novalue"}).exit_code, 2);
  EXPECT_EQ(run_cli({"login", "--issuer", "http://idp.example", "--client-id", "y"}).exit_code, 2);
  EXPECT_EQ(run_cli({"login", "--profile", "missing"}).exit_code, 2);
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
