// SPDX-License-Identifier: Apache-2.0
// `nativeauth login --paste` end to end: the CLI prints the authorization URL on stderr (read from a pipe as
// it streams, no sleeps); the headless browser plays the user on another machine and stops at the
// navigation to the loopback redirect URI, which fails because nothing listens there; the test pastes the
// URL the browser recorded into the CLI's stdin, as the user would from the address bar.
#include "provider_process.hpp"

#include <nativeauth/nativeauth.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <regex>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace nativeauth::testing {
namespace {

using Json = nlohmann::json;

/// The CLI as a child process: stdin a pipe the test writes to, stdout a file, stderr a pipe read as it
/// streams.
class CliProcess {
 public:
  CliProcess(const std::vector<std::string> &args, const TempDir &tmp) : out_path_(tmp.file("out")) {
    std::signal(SIGPIPE, SIG_IGN);  // a write after the CLI exited fails with EPIPE instead
    std::vector<std::string> all = {NATIVEAUTH_CLI};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char *> argv;
    for (auto &a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    int in[2], err[2];
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      const int out = open(out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      dup2(in[0], 0);
      dup2(out, 1);
      dup2(err[1], 2);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(in[0]);
    close(err[1]);
    in_fd_ = in[1];
    err_fd_ = err[0];
  }
  ~CliProcess() {
    close_stdin();
    if (pid_ > 0 && exit_code_ < 0) {
      kill(pid_, SIGKILL);
      wait();
    }
    if (err_fd_ >= 0) close(err_fd_);
  }

  /// Reads stderr until `pattern` matches within what arrived (lines, and the prompt that ends without a
  /// newline); the first match's group 1 (or all of it), or "" at EOF or after 60 s (an upper bound only).
  std::string read_until(const std::regex &pattern) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    for (;;) {
      std::smatch m;
      if (std::regex_search(pending_, m, pattern)) {
        const std::string found = m.size() > 1 && m[1].matched ? m[1].str() : m[0].str();
        const auto end = static_cast<std::size_t>(m.position(0) + m.length(0));
        err_ += pending_.substr(0, end);
        pending_.erase(0, end);
        return found;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
                                                                              std::chrono::steady_clock::now());
      pollfd p{err_fd_, POLLIN, 0};
      if (left.count() <= 0 || poll(&p, 1, static_cast<int>(left.count())) == 0) return {};
      char buf[4096];
      const ssize_t n = read(err_fd_, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return {};
      pending_.append(buf, static_cast<std::size_t>(n));
    }
  }
  /// What the user types or pastes, as the terminal sends it.
  void type(const std::string &text) {
    ASSERT_EQ(write(in_fd_, text.data(), text.size()), static_cast<ssize_t>(text.size())) << strerror(errno);
  }
  void close_stdin() {
    if (in_fd_ >= 0) close(in_fd_);
    in_fd_ = -1;
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
  int in_fd_ = -1, err_fd_ = -1;
  int exit_code_ = -1;
  std::string pending_, err_;
};

/// The authorization URL, on its own indented line.
const std::regex kAuthorizationUrl(R"(\n\s+(http://\S+/auth\?\S+)\n)");
const std::regex kPrompt("Address: $");

class CliPaste : public ::testing::Test {
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
    env_.set("XDG_STATE_HOME", state_.path());
    for (const char *name : {"NATIVEAUTH_ISSUER", "NATIVEAUTH_CLIENT_ID", "NATIVEAUTH_PROFILE", "NATIVEAUTH_STORAGE",
                             "NATIVEAUTH_REDIRECT_URI", "SSH_CONNECTION", "SSH_TTY"}) {
      env_.unset(name);
    }
    use_browser("login");
  }
  void use_browser(const std::string &action) {
    use_test_browser(env_, action, profile_.path(), tmp_.file("result.json"), tmp_.file("browser.log"));
  }
  std::vector<std::string> login(const std::string &issuer, std::vector<std::string> more = {}) {
    std::vector<std::string> a = {"login", "--issuer", issuer, "--client-id", "nativeauth-cli", "--storage", "file"};
    if (std::find(more.begin(), more.end(), "--timeout") == more.end()) a.insert(a.end(), {"--timeout", "60"});
    a.insert(a.end(), more.begin(), more.end());
    return a;
  }
  /// The user on another machine: opens the URL, signs in, and ends on a page that fails to load. Returns
  /// the address that page had (the redirect), after checking that its navigation failed.
  std::string browse_elsewhere(const std::string &url) {
    EXPECT_FALSE(url.empty());
    auto opened = platform::default_platform().browser->open(url);
    EXPECT_TRUE(opened) << opened.error().to_string();
    EXPECT_TRUE(wait_for_file(tmp_.file("result.json"), std::chrono::seconds(60))) << "the browser wrote no result";
    const Json r = Json::parse(read_file(tmp_.file("result.json")), nullptr, false);
    EXPECT_FALSE(r.value("ok", true)) << "the redirect should have failed to load: " << r.dump();
    EXPECT_NE(r.value("error", "").find("ERR_CONNECTION_REFUSED"), std::string::npos) << r.dump();
    return r.value("redirect_url", "");
  }
  /// Asserts the CLI printed the instructions and the URL, and that nothing listens on the redirect port.
  std::string url_from(CliProcess &cli) {
    const std::string url = cli.read_until(kAuthorizationUrl);
    EXPECT_NE(url, "") << cli.err();
    const std::string redirect = param(url, "redirect_uri");
    std::smatch m;
    EXPECT_TRUE(std::regex_match(redirect, m, std::regex(R"(http%3A%2F%2F127\.0\.0\.1%3A(\d+)%2Fcallback)")))
        << redirect;
    if (!m.empty()) {
      EXPECT_FALSE(something_listens(std::stoi(m[1].str()))) << "a listener on the redirect port";
    }
    EXPECT_NE(cli.read_until(kPrompt), "") << cli.err();
    return url;
  }
  /// `nativeauth token` in another process: the pasted sign-in left a usable session.
  void expect_usable_session(const std::string &issuer) {
    CliProcess token({"token", "--issuer", issuer, "--client-id", "nativeauth-cli", "--storage", "file"}, tmp_);
    token.close_stdin();
    EXPECT_EQ(token.wait(), 0) << token.err();
    EXPECT_GT(token.out().size(), 20u) << token.out();
  }

  static ProviderProcess *provider_;
  TempDir tmp_, profile_, config_, state_;
  ScopedEnv env_;
};
ProviderProcess *CliPaste::provider_ = nullptr;

TEST_F(CliPaste, ThePastedAddressSignsIn) {
  CliProcess cli(login(provider_->issuer(), {"--paste"}), tmp_);
  const std::string redirect = browse_elsewhere(url_from(cli));
  ASSERT_EQ(redirect.rfind("http://127.0.0.1:", 0), 0u) << redirect;
  const std::string code = param(redirect, "code");
  ASSERT_GE(code.size(), 16u) << redirect;
  // As a terminal in bracketed-paste mode sends it, with the blanks and CR a copy may carry.
  cli.type("  \x1b[200~" + redirect + "\x1b[201~ \r\n");
  EXPECT_EQ(cli.wait(), 0) << cli.err();
  EXPECT_NE(cli.out().find("Signed in as Alice Example (subject alice)"), std::string::npos) << cli.out();
  EXPECT_NE(cli.err().find("open this URL in a browser on any machine"), std::string::npos) << cli.err();
  EXPECT_NE(cli.err().find("fails to load it"), std::string::npos) << cli.err();
  EXPECT_EQ(cli.err().find(code), std::string::npos) << "the code was echoed";
  EXPECT_EQ(cli.err().find("Opened your browser"), std::string::npos) << "--paste opens no browser here";
  expect_usable_session(provider_->issuer());
}

TEST_F(CliPaste, AForeignStateIsRefusedAndAskedAgain) {
  CliProcess cli(login(provider_->issuer(), {"--paste"}), tmp_);
  const std::string redirect = browse_elsewhere(url_from(cli));
  const std::string code = param(redirect, "code");
  ASSERT_FALSE(code.empty()) << redirect;
  cli.type(replace_param(redirect, "state", "an-earlier-sign-in") + "\n");
  EXPECT_NE(cli.read_until(std::regex("nativeauth: the redirect's state belongs to no sign-in in progress")), "")
      << cli.err();
  EXPECT_NE(cli.read_until(std::regex("4 tries left.*\nAddress: $")), "") << cli.err();
  cli.type(redirect + "\n");
  EXPECT_EQ(cli.wait(), 0) << cli.err();
  EXPECT_NE(cli.out().find("Signed in as Alice Example"), std::string::npos) << cli.out();
  EXPECT_EQ(cli.err().find(code), std::string::npos) << "the code was echoed";
  expect_usable_session(provider_->issuer());
}

TEST_F(CliPaste, AnAddressForAnotherPortOrPathIsRefused) {
  CliProcess cli(login(provider_->issuer(), {"--paste"}), tmp_);
  const std::string redirect = browse_elsewhere(url_from(cli));
  std::smatch m;
  ASSERT_TRUE(std::regex_search(redirect, m, std::regex(R"(^http://127\.0\.0\.1:(\d+)/callback\?)"))) << redirect;
  const int port = std::stoi(m[1].str());
  const std::string query = redirect.substr(redirect.find('?'));
  const std::string other_port = "http://127.0.0.1:" + std::to_string(port == 65535 ? 1 : port + 1) + "/callback";
  cli.type(other_port + query + "\n");
  EXPECT_NE(
      cli.read_until(std::regex("nativeauth: the URL is not for this app's redirect URI 'http://127\\.0\\.0\\.1:" +
                                m[1].str() + "/callback'")),
      "")
      << cli.err();
  EXPECT_NE(
      cli.read_until(std::regex("you pasted: " + std::regex_replace(other_port, std::regex("\\."), "\\.") + "…\n")), "")
      << cli.err();
  cli.type("http://127.0.0.1:" + m[1].str() + "/elsewhere" + query + "\n");
  EXPECT_NE(cli.read_until(std::regex("nativeauth: the URL is not for this app's redirect URI")), "") << cli.err();
  EXPECT_NE(cli.read_until(std::regex("3 tries left")), "") << cli.err();
  cli.type(redirect + "\n");
  EXPECT_EQ(cli.wait(), 0) << cli.err();
  EXPECT_EQ(cli.err().find(param(redirect, "code")), std::string::npos) << "the code was echoed";
}

TEST_F(CliPaste, DeclinedAtTheProviderIsExitCode3) {
  use_browser("decline");
  CliProcess cli(login(provider_->issuer(), {"--paste"}), tmp_);
  const std::string redirect = browse_elsewhere(url_from(cli));
  ASSERT_NE(redirect.find("error=access_denied"), std::string::npos) << redirect;
  cli.type(redirect + "\n");
  EXPECT_EQ(cli.wait(), 3) << cli.err();
  EXPECT_NE(cli.err().find("sign-in was declined or denied at the provider"), std::string::npos) << cli.err();
  EXPECT_NE(cli.err().find("access_denied"), std::string::npos) << cli.err();
  EXPECT_EQ(cli.out(), "");
}

TEST_F(CliPaste, EndOfInputCancels) {
  CliProcess cli(login(provider_->issuer(), {"--paste"}), tmp_);
  url_from(cli);
  cli.close_stdin();
  EXPECT_EQ(cli.wait(), 3) << cli.err();
  EXPECT_NE(cli.err().find("the input ended before an address was pasted; cancelling the sign-in"), std::string::npos)
      << cli.err();
  EXPECT_NE(cli.err().find("sign-in was cancelled"), std::string::npos) << cli.err();
  EXPECT_EQ(cli.out(), "");
}

TEST_F(CliPaste, EscapeSequencesInAPasteAreShownEscapedAndFiveRefusalsCancel) {
  CliProcess cli(login(provider_->issuer(), {"--paste"}), tmp_);
  url_from(cli);
  cli.type("\n");  // an empty line is asked again, not counted
  EXPECT_NE(cli.read_until(kPrompt), "") << cli.err();
  for (int i = 0; i < 5; ++i) cli.type("\x1b[31mhttp://127.0.0.1:1/x\x1b]0;owned\x07\n");
  EXPECT_EQ(cli.wait(), 3) << cli.err();
  EXPECT_EQ(cli.err().find('\x1b'), std::string::npos) << "an escape sequence reached the terminal";
  EXPECT_EQ(cli.err().find('\x07'), std::string::npos) << "a bell reached the terminal";
  EXPECT_NE(cli.err().find("you pasted: \\x1b[31mhttp://127.0.0.1:1/x\\x1b]0;owned\\x07"), std::string::npos)
      << cli.err();
  EXPECT_NE(cli.err().find("5 pasted addresses were refused; cancelling the sign-in"), std::string::npos) << cli.err();
  EXPECT_NE(cli.err().find("1 tries left"), std::string::npos) << cli.err();
}

TEST_F(CliPaste, TimeoutAndCtrlCEndTheWaitWithExitCode3) {
  CliProcess slow(login(provider_->issuer(), {"--paste", "--timeout", "1"}), tmp_);
  EXPECT_EQ(slow.wait(), 3) << slow.err();  // stdin stays open: the SDK's own timeout ends the wait
  EXPECT_NE(slow.err().find("within 1 s"), std::string::npos) << slow.err();

  CliProcess cancelled(login(provider_->issuer(), {"--paste"}), tmp_);
  url_from(cancelled);
  cancelled.signal(SIGINT);
  EXPECT_EQ(cancelled.wait(), 3) << cancelled.err();
  EXPECT_NE(cancelled.err().find("sign-in was cancelled"), std::string::npos) << cancelled.err();
}

TEST_F(CliPaste, ConflictingFlagsAreUsageErrors) {
  for (const auto &more :
       std::vector<std::vector<std::string>>{{"--paste", "--device"},
                                             {"--paste", "--browser"},
                                             {"--paste", "--redirect-uri", "com.example.app:/callback"}}) {
    CliProcess cli(login(provider_->issuer(), more), tmp_);
    cli.close_stdin();
    EXPECT_EQ(cli.wait(), 2) << more.back() << ": " << cli.err();
    EXPECT_TRUE(cli.err().find("excludes --paste") != std::string::npos ||
                cli.err().find("--paste needs a loopback redirect URI") != std::string::npos)
        << cli.err();
  }
}

// In an SSH session without a display, a provider without the device flow: paste-back is chosen by itself.
TEST_F(CliPaste, SshWithoutDisplayPastesBackWhenTheProviderHasNoDeviceFlow) {
  std::string why;
  auto browser_only = ProviderProcess::start({"RS256", "", {"--no-device-flow"}}, &why);
  ASSERT_TRUE(browser_only) << why;
  env_.set("SSH_CONNECTION", "192.0.2.10 50022 192.0.2.20 22");
  env_.unset("DISPLAY");
  env_.unset("WAYLAND_DISPLAY");
  CliProcess cli(login(browser_only->issuer()), tmp_);
  EXPECT_NE(cli.read_until(std::regex("offers no device sign-in")), "") << cli.err();
  EXPECT_NE(cli.read_until(std::regex("signs in by paste-back")), "") << cli.err();
  const std::string redirect = browse_elsewhere(url_from(cli));
  cli.type(redirect + "\n");
  EXPECT_EQ(cli.wait(), 0) << cli.err();
  EXPECT_NE(cli.out().find("Signed in as Alice Example"), std::string::npos) << cli.out();
  EXPECT_EQ(cli.err().find("Opened your browser"), std::string::npos) << cli.err();
  expect_usable_session(browser_only->issuer());
}

}  // namespace
}  // namespace nativeauth::testing
