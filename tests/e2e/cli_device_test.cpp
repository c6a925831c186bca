// SPDX-License-Identifier: Apache-2.0
// `nativeauth login --device` end to end: the CLI prints the code on stderr, the test reads the complete
// URI from it (a pipe, no sleeps) and has the headless browser approve it, as a user on a phone would.
#include "provider_process.hpp"

#include <nativeauth/nativeauth.hpp>

#include <gtest/gtest.h>

#include <cerrno>
#include <csignal>
#include <regex>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace nativeauth::testing {
namespace {

/// The CLI as a child process: stdout to a file, stderr through a pipe the test reads line by line.
class CliProcess {
 public:
  CliProcess(const std::vector<std::string> &args, const TempDir &tmp) : out_path_(tmp.file("out")) {
    std::vector<std::string> all = {NATIVEAUTH_CLI};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char *> argv;
    for (auto &a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    int fds[2];
    if (pipe(fds) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      const int in = open("/dev/null", O_RDONLY);
      const int out = open(out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      dup2(in, 0);
      dup2(out, 1);
      dup2(fds[1], 2);
      close(fds[0]);
      close(fds[1]);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(fds[1]);
    err_fd_ = fds[0];
  }
  ~CliProcess() {
    if (pid_ > 0 && exit_code_ < 0) {
      kill(pid_, SIGKILL);
      wait();
    }
    if (err_fd_ >= 0) close(err_fd_);
  }

  /// Reads stderr until `pattern` matches a line; that line, or "" at EOF.
  std::string read_until(const std::regex &pattern) {
    for (;;) {
      const auto nl = pending_.find('\n');
      if (nl != std::string::npos) {
        std::string line = pending_.substr(0, nl);
        pending_.erase(0, nl + 1);
        err_ += line + "\n";
        if (std::regex_search(line, pattern)) return line;
        continue;
      }
      char buf[4096];
      const ssize_t n = read(err_fd_, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return {};
      pending_.append(buf, static_cast<std::size_t>(n));
    }
  }
  /// Reads the rest of stderr and reaps the process.
  int wait() {
    char buf[4096];
    for (;;) {
      const ssize_t n = read(err_fd_, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      pending_.append(buf, static_cast<std::size_t>(n));
    }
    err_ += pending_;
    pending_.clear();
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return exit_code_;
  }
  void signal(int sig) const { kill(pid_, sig); }
  const std::string &err() const { return err_; }
  std::string out() const { return read_file(out_path_); }

 private:
  std::string out_path_;
  pid_t pid_ = -1;
  int err_fd_ = -1;
  int exit_code_ = -1;
  std::string pending_, err_;
};

const std::regex kCompleteUri(R"(^\s+(http://\S+\?user_code=\S+)\s*$)");

std::string complete_uri(const std::string &line) {
  std::smatch m;
  return std::regex_match(line, m, kCompleteUri) ? m[1].str() : std::string();
}

class CliDevice : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string why;
    provider_ = ProviderProcess::start({"RS256", "", {"--device-interval", "1"}}, &why).release();
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
    env_.unset("NATIVEAUTH_ISSUER");
    env_.unset("NATIVEAUTH_CLIENT_ID");
    env_.unset("NATIVEAUTH_PROFILE");
    env_.unset("SSH_CONNECTION");
    env_.unset("SSH_TTY");
    use_test_browser(env_, "login", profile_.path(), tmp_.file("result.json"), tmp_.file("browser.log"));
  }
  /// What `ssh host nativeauth login` sees: an SSH session and no display.
  void be_remote() {
    env_.set("SSH_CONNECTION", "192.0.2.10 50022 192.0.2.20 22");
    env_.unset("DISPLAY");
    env_.unset("WAYLAND_DISPLAY");
  }
  std::vector<std::string> login(std::vector<std::string> more = {}) {
    std::vector<std::string> a = {"login",     "--issuer", provider_->issuer(), "--client-id", "nativeauth-cli",
                                  "--storage", "file",     "--timeout",         "60"};
    a.insert(a.end(), more.begin(), more.end());
    return a;
  }
  /// The user's phone: the system browser opened on the link the CLI printed.
  void approve(const std::string &uri) {
    ASSERT_FALSE(uri.empty());
    auto opened = platform::default_platform().browser->open(uri);
    ASSERT_TRUE(opened) << opened.error().to_string();
  }

  /// The browser is done (Chromium shut down) before its profile directory goes away.
  void browser_done() {
    EXPECT_TRUE(wait_for_file(tmp_.file("result.json"), std::chrono::seconds(60))) << "the browser wrote no result";
  }

  static ProviderProcess *provider_;
  TempDir tmp_, profile_, config_, state_;
  ScopedEnv env_;
};
ProviderProcess *CliDevice::provider_ = nullptr;

TEST_F(CliDevice, DeviceLoginPrintsTheCodeAndSignsIn) {
  CliProcess cli(login({"--device"}), tmp_);
  const std::string first = cli.read_until(std::regex("^To sign in, visit "));
  EXPECT_NE(first, "") << cli.err();
  EXPECT_TRUE(std::regex_search(first, std::regex("^To sign in, visit " + provider_->issuer() +
                                                  "/device and enter the code [A-Z]{4}-[A-Z]{4}$")))
      << first;
  approve(complete_uri(cli.read_until(kCompleteUri)));
  EXPECT_EQ(cli.wait(), 0) << cli.err();
  EXPECT_NE(cli.out().find("Signed in as Alice Example (subject alice)"), std::string::npos) << cli.out();
  EXPECT_NE(cli.out().find("A refresh token was issued"), std::string::npos) << cli.out();
  EXPECT_EQ(cli.err().find("SSH session"), std::string::npos) << "--device was explicit";
  EXPECT_NE(cli.err().find("Only enter this code if you started this sign-in yourself"), std::string::npos);
  browser_done();
}

TEST_F(CliDevice, DeclinedIsExitCode3) {
  use_test_browser(env_, "decline", profile_.path(), tmp_.file("result.json"), tmp_.file("browser.log"));
  CliProcess cli(login({"--device"}), tmp_);
  approve(complete_uri(cli.read_until(kCompleteUri)));
  EXPECT_EQ(cli.wait(), 3) << cli.err();
  EXPECT_NE(cli.err().find("access_denied"), std::string::npos) << cli.err();
  EXPECT_EQ(cli.out(), "");
  browser_done();
}

TEST_F(CliDevice, SshWithoutDisplayPicksTheDeviceFlowAndCtrlCCancels) {
  be_remote();
  CliProcess cli(login(), tmp_);
  const std::string said = cli.read_until(std::regex("SSH session without a display"));
  EXPECT_NE(said, "") << cli.err();
  EXPECT_NE(cli.read_until(std::regex("^Waiting for you to finish")), "") << cli.err();
  cli.signal(SIGINT);
  EXPECT_EQ(cli.wait(), 3) << cli.err();
  EXPECT_NE(cli.err().find("cancelled"), std::string::npos) << cli.err();
}

TEST_F(CliDevice, BrowserFlagKeepsTheBrowserFlowOverSsh) {
  be_remote();
  CliProcess cli(login({"--browser"}), tmp_);
  EXPECT_EQ(cli.wait(), 0) << cli.err();
  EXPECT_EQ(cli.err().find("device code"), std::string::npos) << cli.err();
  EXPECT_NE(cli.err().find("Opened your browser"), std::string::npos) << cli.err();
  EXPECT_NE(cli.out().find("Signed in as Alice Example"), std::string::npos) << cli.out();
  browser_done();
}

// Without --browser this is paste-back sign-in (tests/e2e/cli_paste_test.cpp); --browser keeps the browser here.
TEST_F(CliDevice, BrowserFlagOverSshWorksWhenTheProviderHasNoDeviceFlow) {
  std::string why;
  auto browser_only = ProviderProcess::start({"RS256", "", {"--no-device-flow"}}, &why);
  ASSERT_TRUE(browser_only) << why;
  be_remote();
  CliProcess cli({"login", "--browser", "--issuer", browser_only->issuer(), "--client-id", "nativeauth-cli",
                  "--storage", "file", "--timeout", "60"},
                 tmp_);
  EXPECT_EQ(cli.wait(), 0) << cli.err();
  EXPECT_NE(cli.err().find("Opened your browser"), std::string::npos) << cli.err();
  EXPECT_EQ(cli.err().find("paste"), std::string::npos) << cli.err();
  EXPECT_NE(cli.out().find("Signed in as Alice Example"), std::string::npos) << cli.out();
  browser_done();

  // Asked for explicitly, the missing device flow is an error (exit 1), not a silent browser sign-in.
  CliProcess explicit_device({"login", "--device", "--issuer", browser_only->issuer(), "--client-id", "nativeauth-cli",
                              "--storage", "file"},
                             tmp_);
  EXPECT_EQ(explicit_device.wait(), 1) << explicit_device.err();
  EXPECT_NE(explicit_device.err().find("device_authorization_endpoint"), std::string::npos) << explicit_device.err();
}

TEST_F(CliDevice, DeviceAndBrowserTogetherIsAUsageError) {
  CliProcess cli(login({"--device", "--browser"}), tmp_);
  EXPECT_EQ(cli.wait(), 2) << cli.err();
}

}  // namespace
}  // namespace nativeauth::testing
