// SPDX-License-Identifier: Apache-2.0
// `nativeauth git-credential` with Debian's git: git clones over smart HTTP from tests/support/git-server
// (`git http-backend` behind HTTP Basic auth whose password the real provider must accept as an access
// token), asking the CLI as its credential helper. Real provider, headless Chromium for `login`, keyring,
// git; no fake. git runs with a throw-away HOME, no system config and no terminal prompts.
#include "crypto/crypto.hpp"
#include "libcurl/curl_transport.hpp"
#include "provider_process.hpp"

#include <nativeauth/nativeauth.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

namespace nativeauth::testing {
namespace {

using Outcome = ProcessRun;

/// Runs `argv` (found on PATH), `input` on its stdin, capturing stdout and stderr.
Outcome run(std::vector<std::string> argv, const std::string &input = "") {
  return run_process(std::move(argv), input);
}

/// The first 16 hex digits of SHA-256: how the git server names the passwords it saw.
std::string token_id(std::string_view token) {
  auto digest = crypto::sha256(token);
  if (!digest) return "?";
  static const char *const kHex = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < 8; ++i) {
    out += kHex[(*digest)[i] >> 4];
    out += kHex[(*digest)[i] & 0xf];
  }
  return out;
}

/// tests/support/git-server/server.js as a child: its ready line is awaited, commands go to its stdin and
/// each reply is one line on its stdout.
class GitServer {
 public:
  static std::unique_ptr<GitServer> start(const std::string &root, const std::string &issuer, const std::string &log,
                                          std::string *why) {
    int to_child[2], from_child[2];
    if (pipe2(to_child, O_CLOEXEC) != 0 || pipe2(from_child, O_CLOEXEC) != 0) {
      *why = "pipe failed";
      return nullptr;
    }
    std::unique_ptr<GitServer> s(new GitServer);
    std::vector<std::string> argv = {
        "node",  support_dir() + "/git-server/server.js", "--project-root", root, "--issuer", issuer, "--username",
        "oauth2"};
    std::vector<char *> args;
    for (auto &a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    s->pid_ = fork();
    if (s->pid_ == 0) {
      const int err = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
      dup2(to_child[0], 0);
      dup2(from_child[1], 1);
      dup2(err, 2);
      execvp(args[0], args.data());
      _exit(127);
    }
    close(to_child[0]);
    close(from_child[1]);
    s->in_ = to_child[1];
    s->out_ = from_child[0];
    const auto ready = s->read_line(std::chrono::seconds(60));
    const auto doc = nlohmann::json::parse(ready.value_or(""), nullptr, false);
    if (!doc.is_object() || !doc.contains("port")) {
      *why = "the git server did not start: " + ready.value_or("(no line)") + "\n" + read_file(log);
      return nullptr;
    }
    s->port_ = doc["port"].get<int>();
    return s;
  }
  ~GitServer() {
    if (in_ >= 0) close(in_);  // EOF: the server exits
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int status = 0;
      while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
      }
    }
    if (out_ >= 0) close(out_);
  }
  int port() const { return port_; }
  std::string origin() const { return "http://127.0.0.1:" + std::to_string(port_); }

  /// Sends one command; its reply (replies come in order, so `stats` counts every request answered before).
  nlohmann::json command(const std::string &line) {
    const std::string text = line + "\n";
    if (write(in_, text.data(), text.size()) != static_cast<ssize_t>(text.size())) return nullptr;
    return nlohmann::json::parse(read_line(std::chrono::seconds(30)).value_or(""), nullptr, false);
  }

 private:
  GitServer() = default;
  /// One line from the server's stdout; `limit` only keeps a broken server from hanging the test.
  std::optional<std::string> read_line(std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
      if (const auto nl = buffer_.find('\n'); nl != std::string::npos) {
        std::string line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        return line;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
                                                                              std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      pollfd p{out_, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char chunk[4096];
      const ssize_t n = read(out_, chunk, sizeof chunk);
      if (n <= 0) return std::nullopt;
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }
  pid_t pid_ = -1;
  int in_ = -1, out_ = -1, port_ = 0;
  std::string buffer_;
};

class CliGit : public ::testing::Test {
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
    // git and everything it starts (the helper too) see only this test's world.
    env_.set("HOME", home_.path());
    env_.set("XDG_CONFIG_HOME", config_.path());
    env_.set("GIT_CONFIG_NOSYSTEM", "1");
    env_.set("GIT_TERMINAL_PROMPT", "0");
    for (const char *name : {"GIT_ASKPASS", "SSH_ASKPASS", "GIT_CONFIG_GLOBAL", "NATIVEAUTH_ISSUER",
                             "NATIVEAUTH_CLIENT_ID", "NATIVEAUTH_PROFILE", "NATIVEAUTH_STORAGE"}) {
      env_.unset(name);
    }
    for (const char *name : {"GIT_AUTHOR_NAME", "GIT_COMMITTER_NAME"}) env_.set(name, "Test");
    for (const char *name : {"GIT_AUTHOR_EMAIL", "GIT_COMMITTER_EMAIL"}) env_.set(name, "test@example.test");
    use_test_browser(env_, "login", profile_.path(), tmp_.file("result.json"), tmp_.file("browser.log"));

    const std::string work = tmp_.file("work");
    ASSERT_EQ(run({"git", "init", "-q", work}).exit_code, 0);
    std::ofstream(work + "/README") << "hello from the test repository\n";
    ASSERT_EQ(run({"git", "-C", work, "add", "README"}).exit_code, 0);
    ASSERT_EQ(run({"git", "-C", work, "commit", "-q", "-m", "first"}).exit_code, 0);
    const Outcome bare = run({"git", "clone", "-q", "--bare", work, repos_.file("repo.git")});
    ASSERT_EQ(bare.exit_code, 0) << bare.err;
    std::string why;
    server_ = GitServer::start(repos_.path(), provider_->issuer(), tmp_.file("git-server.log"), &why);
    ASSERT_TRUE(server_) << why;
  }

  std::vector<std::string> app(const std::string &profile) const {
    return {"--issuer", provider_->issuer(), "--client-id", "nativeauth-cli", "--profile", profile};
  }
  std::vector<std::string> cli(const std::string &command, const std::string &profile,
                               const std::vector<std::string> &more = {}) const {
    std::vector<std::string> argv = {NATIVEAUTH_CLI, command};
    for (const auto &a : app(profile)) argv.push_back(a);
    argv.insert(argv.end(), more.begin(), more.end());
    return argv;
  }
  void login(const std::string &profile) {
    const Outcome r = run(cli("login", profile, {"--timeout", "60"}));
    ASSERT_EQ(r.exit_code, 0) << r.err << read_file(tmp_.file("browser.log"));
  }
  /// The helper line exactly as docs/cli.md shows it (git appends the action).
  std::string helper(const std::string &profile) const {
    std::string line = std::string("!") + NATIVEAUTH_CLI + " git-credential";
    for (const auto &a : app(profile)) line += " " + a;
    return line;
  }
  Outcome clone(const std::string &helper_line, const std::string &dest) {
    return run({"git", "-c", "credential.helper=", "-c", "credential." + server_->origin() + ".helper=" + helper_line,
                "clone", "-q", server_->origin() + "/repo.git", tmp_.file(dest)});
  }
  std::string stored_token(const std::string &profile) {
    const Outcome r = run(cli("token", profile));
    return r.exit_code == 0 ? r.out.substr(0, r.out.find('\n')) : "(token exit " + std::to_string(r.exit_code) + ")";
  }
  std::optional<Session> session(const std::string &profile) {
    ClientOptions o;
    o.issuer = provider_->issuer();
    o.client_id = "nativeauth-cli";
    o.profile = profile;
    auto c = Client::create(std::move(o));
    if (!c) return std::nullopt;
    auto s = c->load_session();
    if (!s || !s->has_value()) return std::nullopt;
    return std::move(**s);
  }

  static ProviderProcess *provider_;
  TempDir tmp_, home_, config_, profile_, repos_;
  ScopedEnv env_;
  std::unique_ptr<GitServer> server_;
};
ProviderProcess *CliGit::provider_ = nullptr;

TEST_F(CliGit, CloneUsesTheSessionsAccessTokenAsThePassword) {
  login("git-clone");
  const Outcome cloned = clone(helper("git-clone"), "clone");
  ASSERT_EQ(cloned.exit_code, 0) << cloned.err << read_file(tmp_.file("git-server.log"));
  EXPECT_EQ(read_file(tmp_.file("clone/README")), "hello from the test repository\n");
  const auto stats = server_->command("stats");
  EXPECT_EQ(stats["usernames"], nlohmann::json::array({"oauth2"})) << stats.dump();
  EXPECT_EQ(stats["accepted_tokens"], nlohmann::json::array({token_id(stored_token("git-clone"))})) << stats.dump();
  EXPECT_EQ(stats["refused"], 0) << stats.dump();
  EXPECT_EQ(cloned.err.find(stored_token("git-clone")), std::string::npos) << "git printed the token";
}

// The twins: the server lets nobody in without a password the provider accepts.
TEST_F(CliGit, WithoutTheHelperOrWithAPasswordTheProviderRefusesTheCloneFails) {
  const Outcome none = run({"git", "-c", "credential.helper=", "clone", "-q", server_->origin() + "/repo.git",
                            tmp_.file("none")});
  EXPECT_NE(none.exit_code, 0);
  EXPECT_NE(none.err.find("terminal prompts disabled"), std::string::npos) << none.err;
  const Outcome bogus = clone("!f() { echo username=oauth2; echo password=not-a-token; }; f", "bogus");
  EXPECT_NE(bogus.exit_code, 0);
  EXPECT_NE(bogus.err.find("Authentication failed"), std::string::npos) << bogus.err;
  const auto stats = server_->command("stats");
  EXPECT_EQ(stats["accepted"], 0) << stats.dump();
  EXPECT_EQ(stats["refused_tokens"], nlohmann::json::array({token_id("not-a-token")})) << stats.dump();
}

TEST_F(CliGit, WithoutASessionTheCloneFailsAndSaysWhichLoginToRun) {
  const Outcome r = clone(helper("git-never-signed-in"), "clone");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("nativeauth: git-credential: no access token for git"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("sign in first with: nativeauth login --issuer " + provider_->issuer() +
                       " --client-id nativeauth-cli --profile git-never-signed-in"),
            std::string::npos)
      << r.err;
  EXPECT_FALSE(std::filesystem::exists(tmp_.file("clone/README")));
  EXPECT_EQ(server_->command("stats")["accepted"], 0);
}

// The server rejects the token (as an API does with a revoked one): git calls `erase`, which forgets it
// while keeping the session; the next clone's `get` refreshes, and the new token gets in.
TEST_F(CliGit, ARejectedTokenIsErasedAndTheNextCloneRefreshesKeepingTheSession) {
  login("git-erase");
  const auto before = session("git-erase");
  ASSERT_TRUE(before);
  const std::string first = stored_token("git-erase");
  ASSERT_EQ(clone(helper("git-erase"), "one").exit_code, 0);
  ASSERT_EQ(server_->command("refuse 1")["ok"], true);
  const Outcome refused = clone(helper("git-erase"), "two");
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.err.find("Authentication failed"), std::string::npos) << refused.err;
  const auto erased = session("git-erase");
  ASSERT_TRUE(erased) << "erase ended the session";
  EXPECT_TRUE(erased->access_token.empty()) << "git's erase did not forget the rejected token";
  EXPECT_TRUE(erased->refresh_token == before->refresh_token) << "erase touched the refresh token";

  const int grants = provider_->refresh_grants();
  const Outcome again = clone(helper("git-erase"), "three");
  ASSERT_EQ(again.exit_code, 0) << again.err << read_file(tmp_.file("git-server.log"));
  EXPECT_EQ(provider_->refresh_grants(), grants + 1) << "the next get did not refresh";
  const std::string second = stored_token("git-erase");
  EXPECT_NE(second, first);
  const auto stats = server_->command("stats");
  EXPECT_EQ(stats["accepted_tokens"], nlohmann::json::array({token_id(first), token_id(second)})) << stats.dump();
  EXPECT_EQ(stats["refused_tokens"], nlohmann::json::array({token_id(first)})) << stats.dump();
  const auto after = session("git-erase");
  ASSERT_TRUE(after);
  EXPECT_EQ(after->claims.subject(), before->claims.subject());
}

// The protocol as git speaks it, fed by hand: what is answered, for whom, and that nothing is echoed.
TEST_F(CliGit, GetAnswersOnlyForHttpsOrLoopbackAndNeverEchoesTheInput) {
  login("git-protocol");
  const std::string token = stored_token("git-protocol");
  const auto get = [&](const std::string &input, const std::vector<std::string> &more = {}) {
    auto argv = cli("git-credential", "git-protocol", more);
    argv.push_back("get");
    return run(argv, input);
  };
  const Outcome https = get("protocol=https\nhost=git.example.com\npath=team/repo.git\n\n");
  ASSERT_EQ(https.exit_code, 0) << https.err;
  const auto expiry_at = https.out.find("password_expiry_utc=");
  ASSERT_NE(expiry_at, std::string::npos) << "no expiry";
  EXPECT_EQ(https.out.substr(0, expiry_at), "username=oauth2\npassword=" + token + "\n");
  const long long expiry = std::stoll(https.out.substr(expiry_at + 20));
  const long long now =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  EXPECT_GT(expiry, now + 60);
  EXPECT_EQ(https.out.find("host="), std::string::npos) << "the input was echoed";
  EXPECT_EQ(https.out.back(), '\n');

  for (const char *loopback : {"127.0.0.1:8080", "[::1]:8080", "localhost"}) {
    const Outcome r = get(std::string("protocol=http\nhost=") + loopback + "\n\n");
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_NE(r.out.find("password=" + token), std::string::npos) << loopback;
  }
  const Outcome custom = get("protocol=https\nhost=git.example.com\nusername=x-access-token\n\n",
                             {"--username", "x-access-token"});
  EXPECT_EQ(custom.out.rfind("username=x-access-token\npassword=", 0), 0u) << custom.out;

  // Not ours: plain http elsewhere, another username, another --host, ssh. Nothing printed, exit 0.
  for (const auto &[input, more] : std::vector<std::pair<std::string, std::vector<std::string>>>{
           {"protocol=http\nhost=git.example.com\n\n", {}},
           {"protocol=https\nhost=git.example.com\nusername=alice\n\n", {}},
           {"protocol=https\nhost=git.example.com\n\n", {"--host", "git.other.example"}},
           {"protocol=ssh\nhost=git.example.com\n\n", {}}}) {
    const Outcome r = get(input, more);
    EXPECT_EQ(r.exit_code, 0) << input << r.err;
    EXPECT_EQ(r.out, "") << input;
  }
  const Outcome malformed = get("protocol=https\nhost=git.example.com\nthis line has no equals sign\n\n");
  EXPECT_EQ(malformed.exit_code, 2);
  EXPECT_EQ(malformed.out, "");
  EXPECT_EQ(malformed.err.find("equals sign"), std::string::npos) << "the input was quoted: " << malformed.err;
}

TEST_F(CliGit, StoreIsIgnoredAndEraseForgetsOnlyTheStoredToken) {
  login("git-erase-by-hand");
  const std::string token = stored_token("git-erase-by-hand");
  const auto action = [&](const std::string &name, const std::string &password) {
    auto argv = cli("git-credential", "git-erase-by-hand");
    argv.push_back(name);
    return run(argv, "protocol=https\nhost=git.example.com\nusername=oauth2\npassword=" + password + "\n\n");
  };
  const Outcome store = action("store", "whatever");
  EXPECT_EQ(store.exit_code, 0);
  EXPECT_EQ(store.out, "");
  EXPECT_EQ(stored_token("git-erase-by-hand"), token) << "store changed the session";

  const Outcome other = action("erase", "a-password-from-another-helper");
  EXPECT_EQ(other.exit_code, 0) << other.err;
  EXPECT_EQ(other.out, "");
  auto kept = session("git-erase-by-hand");
  ASSERT_TRUE(kept);
  EXPECT_EQ(std::string(kept->access_token.reveal()), token) << "erase dropped a token it was not given";

  const Outcome erase = action("erase", token);
  EXPECT_EQ(erase.exit_code, 0) << erase.err;
  auto forgotten = session("git-erase-by-hand");
  ASSERT_TRUE(forgotten);
  EXPECT_TRUE(forgotten->access_token.empty());
  EXPECT_FALSE(forgotten->refresh_token.empty());
}

}  // namespace
}  // namespace nativeauth::testing
