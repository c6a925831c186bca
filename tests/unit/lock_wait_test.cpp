// SPDX-License-Identifier: Apache-2.0
// The wait for a slot lock that another process holds: how long it is (ClientOptions::lock_timeout, or
// derived from the request and keychain timeouts), and what running out means: ErrorCode::slot_busy, which
// the CLI turns into exit code 6 ("busy, try again"), not 3 ("sign in again"). The holder is a real forked
// process holding the real slot lock (posix flock) through the same API the SDK uses. No fakes.
#include "core/lock_wait.hpp"
#include "exit_codes.hpp"
#include "posix/slot_lock.hpp"
#include "provider_process.hpp"  // TempDir, ScopedEnv

#include <nativeauth/nativeauth.hpp>

#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <string>

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

namespace nativeauth {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::steady_clock;

constexpr char kIssuer[] = "http://127.0.0.1:9";  // never contacted: every call here stops at the lock
constexpr char kClientId[] = "lock-wait-test";
constexpr milliseconds kBound{30000};  // only keeps a broken build from hanging

long long ms(steady_clock::duration d) { return std::chrono::duration_cast<milliseconds>(d).count(); }

// fork() is safe only without other threads: the Clients of earlier tests started none (no sign-in ran).
bool single_threaded() {
  std::error_code ec;
  int threads = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/self/task", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++threads;
  }
  return !ec && threads == 1;
}

// A child process that holds the slot lock of (kIssuer, kClientId, default) until the test ends: it takes
// the lock with the platform's own factory in the same directory the Client uses ($XDG_STATE_HOME), says
// so on a pipe, and lets go when the test closes the other pipe (or dies).
class Holder {
 public:
  Holder() {
    int ready[2], release[2];
    if (!single_threaded() || ::pipe2(ready, O_CLOEXEC) != 0 || ::pipe2(release, O_CLOEXEC) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::close(ready[0]);
      ::close(release[1]);
      auto held = posix::make_slot_lock_factory()->acquire({kIssuer, kClientId, "default"}, kBound);
      if (!held) ::_exit(10);
      const char c = 'L';
      if (::write(ready[1], &c, 1) != 1) ::_exit(11);
      char byte;
      while (::read(release[0], &byte, 1) < 0 && errno == EINTR) {
      }
      ::_exit(0);
    }
    ::close(ready[1]);
    ::close(release[0]);
    release_ = release[1];
    pollfd p{ready[0], POLLIN, 0};
    char c = 0;
    holding_ = ::poll(&p, 1, static_cast<int>(kBound.count())) == 1 && ::read(ready[0], &c, 1) == 1 && c == 'L';
    ::close(ready[0]);
  }
  ~Holder() {
    if (release_ >= 0) ::close(release_);
    if (pid_ > 0) {
      int status = 0;
      while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
      }
    }
  }
  Holder(const Holder &) = delete;
  Holder &operator=(const Holder &) = delete;
  bool holding() const { return holding_; }

 private:
  pid_t pid_ = -1;
  int release_ = -1;
  bool holding_ = false;
};

class LockWait : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(state_.path().empty());
    env_.set("XDG_STATE_HOME", state_.path());  // the lock directory of the Client and of the holder
  }

  static ClientOptions options() {
    ClientOptions o;
    o.issuer = kIssuer;
    o.client_id = kClientId;
    o.storage = StorageKind::memory;
    return o;
  }

  testing::TempDir state_;
  testing::ScopedEnv env_;
};

TEST(LockWaitDefault, CoversTheWorstCaseRefresh) {
  ClientOptions o;
  // 4 requests of 30 s (discovery, the grant and its retry, the JWKS) + 2 keychain calls of 10 s.
  EXPECT_EQ(core::lock_wait(o).count(), 140'000);
  o.request_timeout = seconds(5);
  EXPECT_EQ(core::lock_wait(o).count(), 40'000);
  o.keychain.timeout = seconds(1);
  EXPECT_EQ(core::lock_wait(o).count(), 22'000);
  o.lock_timeout = milliseconds(250);
  EXPECT_EQ(core::lock_wait(o).count(), 250) << "an explicit wait wins";
  o.lock_timeout.reset();
  o.request_timeout = milliseconds::max() / 2;
  EXPECT_EQ(core::lock_wait(o).count(), milliseconds::max().count()) << "saturates rather than overflows";
}

TEST_F(LockWait, HolderPastAnExplicitWaitIsSlotBusyAndExitCode6) {
  Holder holder;
  ASSERT_TRUE(holder.holding()) << "the child never took the lock (or the test process was not single-threaded)";
  ClientOptions o = options();
  o.lock_timeout = milliseconds(300);
  auto client = Client::create(std::move(o));
  ASSERT_TRUE(client) << client.error().to_string();

  const auto start = steady_clock::now();
  auto token = client->access_token();
  const auto took = steady_clock::now() - start;
  ASSERT_FALSE(token) << "got a token while another process held the slot";
  const Error &e = token.error();
  EXPECT_STREQ(to_string(e.code), "slot_busy") << e.to_string();
  EXPECT_TRUE(e.transient);
  EXPECT_NE(e.message.find("gave up after 300 ms"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("another nativeauth process"), std::string::npos) << e.message;
  EXPECT_GE(ms(took), 300) << "gave up before the wait was over";
  EXPECT_LT(ms(took), kBound.count());
  EXPECT_EQ(cli::exit_code_for(e), cli::kBusy);
  EXPECT_EQ(cli::exit_code_for(e), 6) << "a contract: docs/cli.md";
}

// The derived wait, observed: with 100 ms requests and keychain calls, 4 × 100 + 2 × 100 ms.
TEST_F(LockWait, UnsetWaitIsDerivedFromTheRequestAndKeychainTimeouts) {
  Holder holder;
  ASSERT_TRUE(holder.holding()) << "the child never took the lock (or the test process was not single-threaded)";
  ClientOptions o = options();
  o.request_timeout = milliseconds(100);
  o.keychain.timeout = milliseconds(100);
  auto client = Client::create(std::move(o));
  ASSERT_TRUE(client) << client.error().to_string();

  const auto start = steady_clock::now();
  auto token = client->access_token();
  const auto took = steady_clock::now() - start;
  ASSERT_FALSE(token);
  EXPECT_STREQ(to_string(token.error().code), "slot_busy") << token.error().to_string();
  EXPECT_NE(token.error().message.find("gave up after 600 ms"), std::string::npos) << token.error().message;
  EXPECT_GE(ms(took), 600);
  EXPECT_LT(ms(took), 600 + 10'000) << "waited far past the derived wait";
}

// The twin that shows the holder matters: once it lets go, the same call gets past the lock (and stops
// at the empty slot: nobody signed in).
TEST_F(LockWait, WithoutAHolderTheCallGetsPastTheLock) {
  ClientOptions o = options();
  o.lock_timeout = milliseconds(300);
  auto client = Client::create(std::move(o));
  ASSERT_TRUE(client) << client.error().to_string();
  auto token = client->access_token();
  ASSERT_FALSE(token);
  EXPECT_STREQ(to_string(token.error().code), "sign_in_required") << token.error().to_string();
  EXPECT_EQ(cli::exit_code_for(token.error()), cli::kSignInNeeded);
}

}  // namespace
}  // namespace nativeauth
