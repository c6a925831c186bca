// SPDX-License-Identifier: Apache-2.0
// Silent refresh under faults no real part produces on demand: a refresh response lost after the provider
// handled it, a refresh still in flight while another process signs out, and a provider that cannot be
// heard for a while. A TCP proxy (tests/support/proxy/fault-proxy.js) sits in front of the real provider,
// which advertises the proxy's origin (--public-origin), so the browser and the SDK both go through it.
// Runs inside tests/support/keyring-env (real gnome-keyring, the default keychain storage).
#include <nativeauth/nativeauth.hpp>

#include "core/record.hpp"
#include "libcurl/curl_transport.hpp"
#include "linux/kernel_keyring.hpp"
#include "linux/token_cache.hpp"
#include "oidc/discovery.hpp"
#include "provider_process.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstring>
#include <deque>
#include <filesystem>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

namespace nativeauth {
namespace {

using testing::ProviderProcess;
using testing::ScopedEnv;
using testing::TempDir;
using Json = nlohmann::json;
using namespace std::chrono_literals;

/// `node tests/support/proxy/fault-proxy.js` as a child: commands on its stdin, one JSON line each on its
/// stdout, read by a thread into two queues (command replies and events). Tests wait on lines, not time.
class FaultProxy {
 public:
  static std::unique_ptr<FaultProxy> start(std::string *why) {
    int in[2];
    int out[2];
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) {
      *why = std::string("pipe: ") + std::strerror(errno);
      return nullptr;
    }
    auto p = std::unique_ptr<FaultProxy>(new FaultProxy());
    p->log_path_ = p->dir_.file("fault-proxy.log");
    const int log_fd = open(p->log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    std::string script = testing::support_dir() + "/proxy/fault-proxy.js";
    std::string node = "node";
    char *argv[] = {node.data(), script.data(), nullptr};
    const pid_t pid = fork();
    if (pid < 0) {
      *why = std::string("fork: ") + std::strerror(errno);
      return nullptr;
    }
    if (pid == 0) {
      dup2(in[0], 0);
      dup2(out[1], 1);
      if (log_fd >= 0) dup2(log_fd, 2);
      execvp("node", argv);
      _exit(127);
    }
    close(in[0]);
    close(out[1]);
    if (log_fd >= 0) close(log_fd);
    p->pid_ = pid;
    p->stdin_fd_ = in[1];
    p->stdout_fd_ = out[0];
    p->reader_ = std::thread([raw = p.get()] { raw->read_lines(); });
    const auto ready = p->next(p->replies_, 30s);
    if (!ready || !ready->contains("port")) {
      *why = "the fault proxy did not start; its log: " + testing::read_file(p->log_path_);
      return nullptr;
    }
    p->port_ = (*ready)["port"].get<int>();
    return p;
  }

  ~FaultProxy() {
    if (stdin_fd_ >= 0) close(stdin_fd_);  // the proxy exits on stdin EOF
    if (pid_ > 0) {
      int status = 0;
      const auto deadline = std::chrono::steady_clock::now() + 5s;
      while (waitpid(pid_, &status, WNOHANG) == 0) {
        if (std::chrono::steady_clock::now() > deadline) {
          kill(pid_, SIGKILL);
          waitpid(pid_, &status, 0);
          break;
        }
        std::this_thread::sleep_for(10ms);
      }
    }
    if (reader_.joinable()) reader_.join();
    if (stdout_fd_ >= 0) close(stdout_fd_);
  }

  int port() const { return port_; }
  std::string origin() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string log() const { return testing::read_file(log_path_); }

  /// Sends one command and returns its reply ({"ok":...}); an empty object on timeout.
  Json command(const std::string &line) {
    const std::string text = line + "\n";
    if (write(stdin_fd_, text.data(), text.size()) != static_cast<ssize_t>(text.size())) return Json::object();
    auto reply = next(replies_, 10s);
    return reply ? *reply : Json::object();
  }

  /// Waits for the next event line and returns its name ("" on timeout). Events are consumed in order.
  std::string next_event(std::chrono::milliseconds timeout) {
    auto e = next(events_, timeout);
    return e ? (*e)["event"].get<std::string>() : std::string();
  }

  /// Every event line not consumed yet. A `stats` command first makes sure all earlier lines are in.
  std::vector<std::string> drain_events() {
    (void)command("stats");
    std::vector<std::string> names;
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto &e : events_) names.push_back(e["event"].get<std::string>());
    events_.clear();
    return names;
  }

 private:
  FaultProxy() = default;

  void read_lines() {
    std::string buffer;
    char chunk[4096];
    for (;;) {
      const ssize_t n = read(stdout_fd_, chunk, sizeof chunk);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      buffer.append(chunk, static_cast<std::size_t>(n));
      for (auto nl = buffer.find('\n'); nl != std::string::npos; nl = buffer.find('\n')) {
        auto line = Json::parse(buffer.substr(0, nl), nullptr, false);
        buffer.erase(0, nl + 1);
        if (line.is_discarded() || !line.is_object()) continue;
        std::lock_guard<std::mutex> lock(mutex_);
        (line.contains("event") ? events_ : replies_).push_back(std::move(line));
        cv_.notify_all();
      }
    }
    std::lock_guard<std::mutex> lock(mutex_);
    eof_ = true;
    cv_.notify_all();
  }

  std::optional<Json> next(std::deque<Json> &queue, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!cv_.wait_for(lock, timeout, [&] { return !queue.empty() || eof_; }) || queue.empty()) return std::nullopt;
    Json j = std::move(queue.front());
    queue.pop_front();
    return j;
  }

  TempDir dir_;
  std::string log_path_;
  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  int stdout_fd_ = -1;
  int port_ = 0;
  std::thread reader_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Json> replies_;
  std::deque<Json> events_;
  bool eof_ = false;
};

/// A child process whose stdout and stderr go to one file.
struct Child {
  pid_t pid = -1;
  std::string output_path;

  Child() = default;
  Child(Child &&other) noexcept : pid(std::exchange(other.pid, -1)), output_path(std::move(other.output_path)) {}
  Child(const Child &) = delete;
  Child &operator=(const Child &) = delete;
  Child &operator=(Child &&) = delete;

  static Child spawn(std::vector<std::string> args, const std::string &output_path) {
    Child c;
    c.output_path = output_path;
    std::vector<char *> argv;
    for (auto &a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const int fd = open(output_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    c.pid = fork();
    if (c.pid == 0) {
      const int null_fd = open("/dev/null", O_RDONLY);
      dup2(null_fd, 0);
      dup2(fd, 1);
      dup2(fd, 2);
      execv(argv[0], argv.data());
      _exit(127);
    }
    if (fd >= 0) close(fd);
    return c;
  }

  /// Exit status, or nullopt if it is still running at the deadline.
  std::optional<int> wait(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      int status = 0;
      const pid_t r = waitpid(pid, &status, WNOHANG);
      if (r == pid) {
        pid = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
      std::this_thread::sleep_for(5ms);
    }
  }

  /// True once the process has a file under a `nativeauth/locks` directory open: it is in the slot lock's
  /// acquire() (which keeps the lock file open while it waits).
  bool has_lock_file_open() const {
    std::error_code ec;
    for (const auto &entry : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec)) {
      std::error_code link_ec;
      const auto target = std::filesystem::read_symlink(entry.path(), link_ec).string();
      if (!link_ec && target.find("/nativeauth/locks/") != std::string::npos) return true;
    }
    return false;
  }

  ~Child() {
    if (pid > 0) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
  }
};

class Fault : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string why;
    proxy_ = FaultProxy::start(&why).release();
    ASSERT_NE(proxy_, nullptr) << why;
    ProviderProcess::Options o;
    o.extra_args = {"--public-origin", proxy_->origin()};
    provider_ = ProviderProcess::start(o, &why).release();
    ASSERT_NE(provider_, nullptr) << why;
    ASSERT_EQ(provider_->issuer(), proxy_->origin());
    const Json target = proxy_->command("target " + std::to_string(provider_->port()));
    ASSERT_EQ(target.value("ok", false), true) << target.dump();
  }
  static void TearDownTestSuite() {
    delete provider_;
    provider_ = nullptr;
    delete proxy_;
    proxy_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(provider_, nullptr);
    ASSERT_NE(proxy_, nullptr);
    ASSERT_NE(std::getenv("DBUS_SESSION_BUS_ADDRESS"), nullptr) << "run inside tests/support/keyring-env";
    oidc::clear_discovery_cache();
    auto store = make_keychain_store();
    ASSERT_TRUE(store) << store.error().to_string();
    store_ = *store;
    testing::use_test_browser(env_, "login", profile_.path(), tmp_.file("result.json"), tmp_.file("browser.log"));

    auto c = client();
    ASSERT_TRUE(c) << c.error().to_string();
    client_ = std::make_unique<Client>(std::move(*c));
    client_->subscribe([this](const SessionEvent &e) {
      std::lock_guard<std::mutex> lock(log_mutex_);
      session_events_.push_back(e.kind);
    });
    const auto t0 = std::chrono::steady_clock::now();
    auto s = client_->sign_in();
    ASSERT_TRUE(s) << s.error().to_string() << "\n" << testing::read_file(tmp_.file("browser.log"));
    RecordProperty(
        "sign_in_ms",
        std::to_string(
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count()));
    ASSERT_FALSE(s->refresh_token.empty());
    {
      std::lock_guard<std::mutex> lock(log_mutex_);
      session_events_.clear();
    }
    // Counters start at zero for what the test itself does.
    ASSERT_TRUE(provider_events("POST", "/__test/events/reset").is_object());
    (void)proxy_->drain_events();
  }

  void TearDown() override {
    if (!proxy_ || !provider_) return;
    (void)proxy_->command("drop-refresh 0");
    (void)proxy_->command("release");
    if (HasFailure()) {
      std::cerr << "--- SDK log\n"
                << sdk_log() << "--- fault proxy log\n"
                << proxy_->log() << "--- provider log\n"
                << testing::read_file(provider_->log_path());
    }
    client_.reset();
    if (store_) (void)store_->erase(slot());
  }

  static platform::SlotKey slot() { return {provider_->issuer(), "nativeauth-test", "default"}; }

  Result<Client> client(const std::string &client_id = "nativeauth-test") {
    ClientOptions o;
    o.issuer = provider_->issuer();
    o.client_id = client_id;
    o.scopes = {"openid", "profile", "offline_access"};  // storage: the keychain, the default
    o.log_level = LogLevel::trace;
    o.log = [this](LogLevel, std::string_view line) {
      std::lock_guard<std::mutex> lock(log_mutex_);
      log_ += std::string(line) + "\n";
    };
    return Client::create(std::move(o));
  }

  std::string sdk_log() {
    std::lock_guard<std::mutex> lock(log_mutex_);
    return log_;
  }
  std::vector<SessionEventKind> session_events() {
    std::lock_guard<std::mutex> lock(log_mutex_);
    return session_events_;
  }

  /// The provider's /__test/events counters, asked on its own port (not through the proxy).
  static Json provider_events(const std::string &method = "GET", const std::string &path = "/__test/events") {
    auto http = libcurl::make_curl_transport({});
    platform::HttpRequest request;
    request.method = method;
    request.url = provider_->origin() + path;
    auto response = http->send(request);
    if (!response || response->status != 200) return nullptr;
    return Json::parse(std::string(response->body.reveal()), nullptr, false);
  }

  /// The stored session, parsed by a fresh Client (nullopt: the slot is empty).
  std::optional<Session> stored_session() {
    auto c = client();
    EXPECT_TRUE(c);
    auto loaded = c->load_session();
    EXPECT_TRUE(loaded) << loaded.error().to_string();
    if (!loaded || !loaded->has_value()) return std::nullopt;
    return std::move(**loaded);
  }

  static AccessTokenOptions forced() {
    AccessTokenOptions o;
    o.force_refresh = true;
    return o;
  }

  static ProviderProcess *provider_;
  static FaultProxy *proxy_;
  TempDir tmp_, profile_;
  ScopedEnv env_;
  std::shared_ptr<platform::CredentialStore> store_;
  std::mutex log_mutex_;
  std::string log_;
  std::vector<SessionEventKind> session_events_;
  std::unique_ptr<Client> client_;  ///< last: destroyed before what its log and event handlers use
};
ProviderProcess *Fault::provider_ = nullptr;
FaultProxy *Fault::proxy_ = nullptr;

// The provider rotates the refresh token and answers, the answer is lost, the SDK sends the same (now
// rotated) refresh token once more; this provider has no reuse grace, so the retry is invalid_grant and
// the whole grant is revoked. The session must end cleanly: nothing stale kept, no loop.
TEST_F(Fault, LostRefreshResponseEndsTheSessionCleanly) {
  ASSERT_EQ(proxy_->command("drop-refresh 1").value("ok", false), true);
  auto token = client_->access_token(forced());
  ASSERT_FALSE(token) << "a token came back although the provider revoked the grant";
  EXPECT_EQ(token.error().code, ErrorCode::sign_in_required) << token.error().to_string();

  EXPECT_EQ(proxy_->drain_events(), (std::vector<std::string>{"refresh-request", "refresh-dropped", "refresh-request"}))
      << "exactly one lost attempt and one retry";
  const Json events = provider_events();
  ASSERT_TRUE(events.is_object());
  EXPECT_EQ(events["grant.success"]["refresh_token"], 1) << events.dump();
  EXPECT_EQ(events["grant.error"], 1) << events.dump();
  EXPECT_EQ(events["errors"].value("invalid_grant", 0), 1) << events.dump();

  EXPECT_FALSE(stored_session().has_value()) << "the slot still holds the ended session";
  const auto kinds = session_events();
  EXPECT_EQ(std::count(kinds.begin(), kinds.end(), SessionEventKind::ended), 1);

  // Nothing stale is handed out later, by this Client or a new one, and nothing is sent for it.
  for (const auto &options : {AccessTokenOptions{}, forced()}) {
    auto again = client_->access_token(options);
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, ErrorCode::sign_in_required);
  }
  auto fresh = client();
  ASSERT_TRUE(fresh);
  auto from_new = fresh->access_token();
  ASSERT_FALSE(from_new);
  EXPECT_EQ(from_new.error().code, ErrorCode::sign_in_required);
  EXPECT_TRUE(proxy_->drain_events().empty()) << "a refresh was attempted after the session ended";
  EXPECT_EQ(provider_events()["grant.success"]["refresh_token"], 1);
}

// A refresh holds the slot lock while its response is held at the proxy; `nativeauth logout --local` in
// another process must wait for it, then erase the slot. The refresh must not bring the session back.
TEST_F(Fault, SignOutInAnotherProcessWaitsForARefreshAndWins) {
  ASSERT_EQ(proxy_->command("hold-refresh").value("ok", false), true);
  std::optional<Result<AccessToken>> refreshed;
  std::thread refresher([&] { refreshed.emplace(client_->access_token(forced())); });
  struct Join {
    std::thread &t;
    ~Join() {
      if (t.joinable()) {
        (void)proxy_->command("release");
        t.join();
      }
    }
  } join{refresher};

  ASSERT_EQ(proxy_->next_event(30s), "refresh-request");
  ASSERT_EQ(proxy_->next_event(30s), "refresh-held") << "the provider never answered the refresh";

  Child logout = Child::spawn({NATIVEAUTH_CLI, "logout", "--issuer", provider_->issuer(), "--client-id",
                               "nativeauth-test", "--local"},
                              tmp_.file("logout.out"));
  ASSERT_GT(logout.pid, 0);
  // The child is inside the slot lock's acquire() once it has the lock file open; the refresher holds
  // the lock (its response is still held), so the child cannot be past it.
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  bool waiting = false;
  while (!waiting && std::chrono::steady_clock::now() < deadline) {
    ASSERT_FALSE(logout.wait(0ms).has_value()) << "logout finished while a refresh held the slot lock:\n"
                                               << testing::read_file(logout.output_path);
    waiting = logout.has_lock_file_open();
    if (!waiting) std::this_thread::sleep_for(5ms);
  }
  ASSERT_TRUE(waiting) << "the logout process never reached the slot lock";
  // It keeps waiting (15 s lock timeout) while the refresh is held.
  EXPECT_FALSE(logout.wait(300ms).has_value()) << testing::read_file(logout.output_path);
  EXPECT_TRUE(stored_session().has_value()) << "the slot was erased while a refresh held its lock";

  const Json released = proxy_->command("release");
  EXPECT_EQ(released.value("released", 0), 1) << released.dump();
  refresher.join();
  ASSERT_TRUE(refreshed.has_value());
  // The refresh itself completed normally (its tokens were stored before the lock was released).
  EXPECT_TRUE(*refreshed) << refreshed->error().to_string();

  const auto rc = logout.wait(20s);
  ASSERT_TRUE(rc.has_value()) << "logout did not finish";
  EXPECT_EQ(*rc, 0) << testing::read_file(logout.output_path);

  EXPECT_FALSE(stored_session().has_value()) << "the refresh brought the session back";
  auto fresh = client();
  ASSERT_TRUE(fresh);
  auto loaded = fresh->load_session();
  ASSERT_TRUE(loaded) << loaded.error().to_string();
  EXPECT_FALSE(loaded->has_value());
  auto token = fresh->access_token();
  ASSERT_FALSE(token);
  EXPECT_EQ(token.error().code, ErrorCode::sign_in_required) << token.error().to_string();
  // The refreshing Client, asked to refresh again, finds the slot erased and does not write it back.
  auto again = client_->access_token(forced());
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::sign_in_required) << again.error().to_string();
  EXPECT_FALSE(stored_session().has_value());
  EXPECT_EQ(provider_events()["grant.success"]["refresh_token"], 1);
}

// The provider cannot be heard (both attempts lost) while the access token is still valid: the call
// gives the current token and the session stays exactly as stored.
TEST_F(Fault, TransientFailureKeepsTheValidTokenAndTheSession) {
  const auto before = stored_session();
  ASSERT_TRUE(before.has_value());
  ASSERT_TRUE(before->access_token_expiry.has_value());
  ASSERT_LT(*before->access_token_expiry - std::chrono::system_clock::now(), std::chrono::hours(2))
      << "the provider's access token lifetime must be under the asked min_ttl";

  ASSERT_EQ(proxy_->command("drop-refresh 2").value("ok", false), true);
  AccessTokenOptions o;
  o.min_ttl = std::chrono::hours(2);  // the token is valid, but inside this margin: a refresh is wanted
  auto token = client_->access_token(o);
  EXPECT_TRUE(token) << token.error().to_string();
  if (token) {
    EXPECT_TRUE(token->value == before->access_token) << "not the stored access token";
  }

  EXPECT_EQ(proxy_->drain_events(),
            (std::vector<std::string>{"refresh-request", "refresh-dropped", "refresh-request", "refresh-dropped"}))
      << "two attempts, both lost, and no third";
  const auto after = stored_session();
  ASSERT_TRUE(after.has_value()) << "the session was dropped on a transient failure";
  EXPECT_TRUE(after->refresh_token == before->refresh_token);
  EXPECT_TRUE(after->access_token == before->access_token);
  const auto kinds = session_events();
  EXPECT_EQ(std::count(kinds.begin(), kinds.end(), SessionEventKind::ended), 0);

  // What the SDK cannot know: the first attempt did rotate the refresh token, and the retry reused the
  // rotated one, so this provider (no reuse grace) has already revoked the grant. The next refresh that
  // reaches it ends the session cleanly.
  const Json events = provider_events();
  EXPECT_EQ(events["grant.success"]["refresh_token"], 1) << events.dump();
  EXPECT_EQ(events["errors"].value("invalid_grant", 0), 1) << events.dump();
  auto later = client_->access_token(forced());
  ASSERT_FALSE(later);
  EXPECT_EQ(later.error().code, ErrorCode::sign_in_required) << later.error().to_string();
  EXPECT_FALSE(stored_session().has_value());
}

// A new process (empty JWKS cache) refreshes; the provider rotates and answers, but the JWKS fetch that
// should check the new ID token gets no answer. Nothing proves the ID token wrong: the rotated tokens
// must be stored (the old refresh token is already dead at the provider) and the session kept.
TEST_F(Fault, JwksUnreachableAfterARefreshKeepsTheRotatedSession) {
  const auto before = stored_session();
  ASSERT_TRUE(before.has_value());
  auto fresh = client();  // as a new `nativeauth token` process: no JWKS in memory
  ASSERT_TRUE(fresh);
  // Every JWKS fetch is cut (libcurl retries a request whose reused connection died once, by itself).
  ASSERT_EQ(proxy_->command("drop-path /jwks 1000").value("ok", false), true);
  auto token = fresh->access_token(forced());
  ASSERT_EQ(proxy_->command("drop-path /jwks 0").value("ok", false), true);
  ASSERT_TRUE(token) << token.error().to_string() << "\n" << sdk_log();
  const auto events = proxy_->drain_events();
  EXPECT_NE(std::find(events.begin(), events.end(), "path-dropped"), events.end()) << "the JWKS fetch was not cut";
  EXPECT_NE(sdk_log().find("could not be checked now"), std::string::npos) << sdk_log();
  EXPECT_EQ(provider_events()["grant.success"]["refresh_token"], 1);

  const auto after = stored_session();
  ASSERT_TRUE(after.has_value()) << "the session was ended because the JWKS could not be fetched";
  EXPECT_FALSE(after->refresh_token == before->refresh_token) << "the rotated refresh token was not stored";
  EXPECT_TRUE(after->access_token == token->value);
  EXPECT_EQ(after->claims.subject(), before->claims.subject());
  const auto kinds = session_events();
  EXPECT_EQ(std::count(kinds.begin(), kinds.end(), SessionEventKind::ended), 0);

  // With the JWKS reachable again, the stored rotated refresh token works.
  auto again = client();
  ASSERT_TRUE(again);
  auto renewed = again->access_token(forced());
  ASSERT_TRUE(renewed) << renewed.error().to_string();
  EXPECT_EQ(provider_events()["grant.success"]["refresh_token"], 2);
}

// A token endpoint that answers a refresh with a bare HTTP 400 (no OAuth error body, against RFC 6749
// §5.2, as some providers answer a revoked refresh token) has refused it: the session ends, with a message
// that says so, instead of "unreachable" forever. The proxy gives the bare answer: a stand-in for such a
// provider.
TEST_F(Fault, BareHttp400FromTheTokenEndpointEndsTheSession) {
  ASSERT_EQ(proxy_->command("bare-refresh 400").value("ok", false), true);
  auto token = client_->access_token(forced());
  ASSERT_FALSE(token) << "a refused refresh handed out a token";
  EXPECT_EQ(token.error().code, ErrorCode::sign_in_required) << token.error().to_string();
  EXPECT_FALSE(token.error().transient);
  EXPECT_NE(token.error().message.find("HTTP 400"), std::string::npos) << token.error().message;
  EXPECT_EQ(proxy_->drain_events(), (std::vector<std::string>{"refresh-request", "refresh-bare"}));
  EXPECT_FALSE(stored_session().has_value()) << "the refused session is still stored";
  const auto kinds = session_events();
  EXPECT_EQ(std::count(kinds.begin(), kinds.end(), SessionEventKind::ended), 1);
  // No retry loop: the next call answers at once, without a request.
  auto next = client_->access_token();
  ASSERT_FALSE(next);
  EXPECT_EQ(next.error().code, ErrorCode::sign_in_required);
  EXPECT_TRUE(proxy_->drain_events().empty());
}

// Access tokens that live 8 s (under the 60 s refresh margin), an expired session, and eight `nativeauth
// token` processes: exactly one refresh grant. The first process's refresh response is held at the proxy
// while the other seven start and queue on the slot lock, so all seven decided after the first one's
// request left; each must adopt what the first stored. The expiry is written into the slot record: a
// stand-in for "8 s passed".
TEST_F(Fault, EightTokenProcessesOnAShortLivedSessionMakeOneGrant) {
  const std::string short_lived = "nativeauth-short-lived";
  const platform::SlotKey key{provider_->issuer(), short_lived, "default"};
  struct EraseSlot {
    std::shared_ptr<platform::CredentialStore> store;
    platform::SlotKey key;
    ~EraseSlot() { (void)store->erase(key); }
  } erase_at_end{store_, key};
  {
    auto c = client(short_lived);
    ASSERT_TRUE(c);
    auto s = c->sign_in();
    ASSERT_TRUE(s) << s.error().to_string();
  }
  auto loaded = store_->load(key);
  ASSERT_TRUE(loaded && loaded->has_value());
  auto record = core::parse_session_record(**loaded, key);
  ASSERT_TRUE(record) << record.error().to_string();
  record->session.access_token_expiry = std::chrono::system_clock::now() - 1s;
  ASSERT_TRUE(store_->save(key, core::serialize_session(record->session, record->token_endpoint,
                                                        record->unknown_members, record->written_at)));
  // Written behind the SDK's back, so the access-token cache (which the SDK keeps in step) must go too.
  ASSERT_TRUE(kernel_keyring::remove(kernel_keyring::ring_from_environment(),
                                     linux_platform::token_cache_description("keychain", key)));
  ASSERT_TRUE(provider_events("POST", "/__test/events/reset").is_object());
  (void)proxy_->drain_events();

  ASSERT_EQ(proxy_->command("hold-refresh").value("ok", false), true);
  const std::vector<std::string> args = {NATIVEAUTH_CLI,      "token",       "--issuer",
                                         provider_->issuer(), "--client-id", short_lived};
  std::vector<Child> children;
  children.push_back(Child::spawn(args, tmp_.file("token-0.out")));
  ASSERT_EQ(proxy_->next_event(30s), "refresh-request");
  ASSERT_EQ(proxy_->next_event(30s), "refresh-held") << testing::read_file(tmp_.file("token-0.out"));
  for (int i = 1; i < 8; ++i) children.push_back(Child::spawn(args, tmp_.file("token-" + std::to_string(i) + ".out")));
  // Each of the seven is waiting for the slot lock (the first holds it while its answer is held).
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  for (std::size_t i = 1; i < children.size(); ++i) {
    while (!children[i].has_lock_file_open() && std::chrono::steady_clock::now() < deadline) {
      ASSERT_FALSE(children[i].wait(5ms).has_value()) << testing::read_file(children[i].output_path);
    }
    ASSERT_TRUE(children[i].has_lock_file_open()) << "process " << i << " never reached the slot lock";
  }
  EXPECT_EQ(proxy_->command("release").value("released", 0), 1);

  std::set<std::string> tokens;
  for (auto &child : children) {
    const auto rc = child.wait(60s);
    const std::string out = testing::read_file(child.output_path);
    ASSERT_TRUE(rc.has_value()) << "a token process did not finish";
    EXPECT_EQ(*rc, 0) << out;
    tokens.insert(out.substr(0, out.find('\n')));
  }
  EXPECT_EQ(provider_events()["grant.success"]["refresh_token"], 1) << "more than one refresh grant";
  EXPECT_EQ(tokens.size(), 1u) << "the processes printed different tokens";
}

}  // namespace
}  // namespace nativeauth
