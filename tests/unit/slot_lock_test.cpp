// SPDX-License-Identifier: Apache-2.0
// make_slot_lock_factory(): exclusion between threads and processes, bounded waits, release when the
// holder dies, the lock directory's rules and where it lives. Synchronisation is by pipes and condition
// variables with bounded waits, never by sleeping.
#include "posix/slot_lock.hpp"

#include "provider_process.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

namespace nativeauth {
namespace {

namespace fs = std::filesystem;
using platform::SlotKey;
using platform::SlotLock;
using platform::SlotLockFactory;
using posix::lock_file_name;
using posix::make_slot_lock_factory;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

const SlotKey kKey{"https://id.example.com", "my-app", "default"};
const SlotKey kOtherProfile{"https://id.example.com", "my-app", "work"};

// Generous bounds for waits that should end at once: they only keep a broken build from hanging.
constexpr milliseconds kBound{30000};
constexpr int kProcesses = 8;
constexpr int kIterations = 200;

bool contains(const std::string &haystack, const std::string &needle) {
  return haystack.find(needle) != std::string::npos;
}

mode_t mode_of(const std::string &path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 07777;
}

bool exists(const std::string &path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

long elapsed_ms(steady_clock::time_point since) {
  return static_cast<long>(std::chrono::duration_cast<milliseconds>(steady_clock::now() - since).count());
}

using testing::EnvGuard;

class UmaskGuard {
 public:
  explicit UmaskGuard(mode_t mask) : old_(::umask(mask)) {}
  ~UmaskGuard() { ::umask(old_); }
  UmaskGuard(const UmaskGuard &) = delete;
  UmaskGuard &operator=(const UmaskGuard &) = delete;

 private:
  mode_t old_;
};

class Pipe {
 public:
  Pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) == 0) {
      read_ = fds[0];
      write_ = fds[1];
    }
  }
  ~Pipe() {
    close_read();
    close_write();
  }
  Pipe(const Pipe &) = delete;
  Pipe &operator=(const Pipe &) = delete;
  bool ok() const { return read_ >= 0 && write_ >= 0; }
  int read_fd() const { return read_; }
  int write_fd() const { return write_; }
  void close_read() { close_fd(read_); }
  void close_write() { close_fd(write_); }

 private:
  static void close_fd(int &fd) {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
  int read_ = -1;
  int write_ = -1;
};

enum class ReadResult { byte, eof, timeout, error };

// Reads one byte, waiting at most `timeout`.
ReadResult read_byte(int fd, milliseconds timeout, char *out = nullptr) {
  const auto deadline = steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - steady_clock::now());
    if (left.count() < 0) return ReadResult::timeout;
    pollfd p{fd, POLLIN, 0};
    const int n = ::poll(&p, 1, static_cast<int>(left.count()));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ReadResult::error;
    if (n == 0) return ReadResult::timeout;
    char c = 0;
    const ssize_t got = ::read(fd, &c, 1);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return ReadResult::error;
    if (got == 0) return ReadResult::eof;
    if (out) *out = c;
    return ReadResult::byte;
  }
}

bool write_byte(int fd, char c) {
  for (;;) {
    const ssize_t n = ::write(fd, &c, 1);
    if (n == 1) return true;
    if (n < 0 && errno == EINTR) continue;
    return false;
  }
}

// Forked children: each runs a function and _exit()s with its result, never returning into the test
// framework. Whatever the test does, every child is killed and reaped when this goes out of scope.
class Children {
 public:
  Children() = default;
  Children(const Children &) = delete;
  Children &operator=(const Children &) = delete;
  ~Children() {
    for (const pid_t pid : pids_) {
      ::kill(pid, SIGKILL);
      int status = 0;
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
    }
  }

  // The parent process has no other threads when tests fork (GoogleTest starts none).
  pid_t spawn(const std::function<int()> &body) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      int rc = 90;
      try {
        rc = body();
      } catch (...) {
        rc = 91;
      }
      ::_exit(rc);
    }
    if (pid > 0) pids_.push_back(pid);
    return pid;
  }

  // Reaps `pid`, which must have exited or be about to (the caller saw its pipe close or killed it).
  // Returns the wait status.
  int reap(pid_t pid) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    for (auto it = pids_.begin(); it != pids_.end(); ++it) {
      if (*it == pid) {
        pids_.erase(it);
        break;
      }
    }
    return status;
  }

  std::vector<pid_t> pids() const { return pids_; }

 private:
  std::vector<pid_t> pids_;
};

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exit " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "signal " + std::to_string(WTERMSIG(status));
  return "status " + std::to_string(status);
}

// A wait that ran out is slot_busy, not `timeout`: that code means "the sign-in timed out", and the CLI
// (and any app) would answer it by starting a new sign-in instead of trying again.
void expect_timeout(const Result<std::unique_ptr<SlotLock>> &r) {
  ASSERT_FALSE(r) << "acquired a slot another holder has";
  EXPECT_EQ(r.error().code, ErrorCode::slot_busy) << r.error().message;
  EXPECT_TRUE(r.error().transient);
}

class SlotLockTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "nativeauth-slot-lock-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr) << std::strerror(errno);
    root_ = tmpl;
    dir_ = root_ + "/locks";
  }
  void TearDown() override {
    std::error_code ec;
    // Undo the modes tests set, then remove everything (remove_all never follows links).
    for (auto it = fs::recursive_directory_iterator(root_, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec)) {
      if (it->is_directory() && !it->is_symlink()) ::chmod(it->path().c_str(), 0700);
    }
    fs::remove_all(root_, ec);
  }

  std::shared_ptr<SlotLockFactory> factory() const { return make_slot_lock_factory(dir_); }

  std::string root_;
  std::string dir_;
};

// ---------------------------------------------------------------------------------------------
// Names

TEST(SlotLockName, IsFnv1a64OfTheSlotInHex) {
  // Computed independently (Python) from issuer '\0' client_id '\0' profile; a change here breaks
  // exclusion between processes of two nativeauth versions, so it must never change.
  EXPECT_EQ(lock_file_name(kKey), "23607a739365ada9.lock");
  EXPECT_EQ(lock_file_name(kOtherProfile), "59ba85a4a785b7a1.lock");
  EXPECT_EQ(lock_file_name({"https://id.example.com", "app-\xc3\xa9", "default"}), "7d8068459913a517.lock");
}

TEST(SlotLockName, SeparatesTheComponents) {
  EXPECT_NE(lock_file_name({"ab", "c", "d"}), lock_file_name({"a", "bc", "d"}));
  EXPECT_NE(lock_file_name({"a", "bc", "d"}), lock_file_name({"a", "b", "cd"}));
  EXPECT_EQ(lock_file_name({"a", "b", "c"}), lock_file_name({"a", "b", "c"}));
}

// ---------------------------------------------------------------------------------------------
// Threads

TEST_F(SlotLockTest, AcquiresReleasesAndAcquiresAgain) {
  auto locks = factory();
  {
    auto held = locks->acquire(kKey, milliseconds(0));
    ASSERT_TRUE(held) << held.error().to_string();
    EXPECT_TRUE(exists(dir_ + "/" + lock_file_name(kKey)));
  }
  auto again = locks->acquire(kKey, milliseconds(0));
  ASSERT_TRUE(again) << again.error().to_string();
  // Released locks leave their file behind: deleting it could let two holders in.
  EXPECT_TRUE(exists(dir_ + "/" + lock_file_name(kKey)));
}

TEST_F(SlotLockTest, TwoThreadsExcludeEachOther) {
  auto locks = factory();
  enum class Stage { start, held, release, released, failed };
  std::mutex mu;
  std::condition_variable cv;
  Stage stage = Stage::start;
  auto set_stage = [&](Stage s) {
    std::lock_guard<std::mutex> lock(mu);
    stage = s;
    cv.notify_all();
  };
  auto wait_stage = [&](Stage s) {
    std::unique_lock<std::mutex> lock(mu);
    return cv.wait_for(lock, kBound, [&] { return stage == s || stage == Stage::failed; }) && stage == s;
  };

  std::thread holder([&] {
    auto held = locks->acquire(kKey, milliseconds(0));
    if (!held) {
      set_stage(Stage::failed);
      return;
    }
    set_stage(Stage::held);
    wait_stage(Stage::release);
    held->reset();
    set_stage(Stage::released);
  });

  ASSERT_TRUE(wait_stage(Stage::held)) << "the first thread could not take the lock";
  auto second = locks->acquire(kKey, milliseconds(100));
  expect_timeout(second);
  // The twin: another factory over the same directory is no different from another process.
  expect_timeout(make_slot_lock_factory(dir_)->acquire(kKey, milliseconds(0)));

  set_stage(Stage::release);
  const bool released = wait_stage(Stage::released);
  holder.join();
  ASSERT_TRUE(released);
  auto after = locks->acquire(kKey, milliseconds(0));
  EXPECT_TRUE(after) << after.error().to_string();
}

TEST_F(SlotLockTest, WaiterGetsTheLockWhenTheHolderReleases) {
  auto locks = factory();
  auto held = locks->acquire(kKey, milliseconds(0));
  ASSERT_TRUE(held) << held.error().to_string();

  std::mutex mu;
  std::condition_variable cv;
  bool waiting = false;
  std::atomic<bool> released{false};
  std::atomic<bool> saw_held{false};
  std::atomic<bool> acquired_after_release{false};
  std::thread waiter([&] {
    saw_held = !locks->acquire(kKey, milliseconds(0));
    {
      std::lock_guard<std::mutex> lock(mu);
      waiting = true;
    }
    cv.notify_all();
    auto mine = locks->acquire(kKey, kBound);
    acquired_after_release = mine && released.load();
  });
  {
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, kBound, [&] { return waiting; }));
  }
  released = true;
  held->reset();
  waiter.join();
  EXPECT_TRUE(saw_held);
  EXPECT_TRUE(acquired_after_release);
}

TEST_F(SlotLockTest, ThreadsCountWithoutLosingUpdates) {
  auto locks = factory();
  // Load and store separately: without exclusion, increments interleave and get lost.
  std::atomic<int> counter{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kProcesses; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kIterations; ++i) {
        auto lock = locks->acquire(kKey, kBound);
        if (!lock) {
          ++failures;
          return;
        }
        const int seen = counter.load();
        std::this_thread::yield();
        counter.store(seen + 1);
      }
    });
  }
  for (auto &t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(counter.load(), kProcesses * kIterations);
}

TEST_F(SlotLockTest, DifferentSlotsDoNotBlockEachOther) {
  auto locks = factory();
  auto held = locks->acquire(kKey, milliseconds(0));
  ASSERT_TRUE(held) << held.error().to_string();
  for (const SlotKey &other : {kOtherProfile, SlotKey{"https://id.example.com", "other-app", "default"},
                               SlotKey{"https://other.example.com", "my-app", "default"}}) {
    auto r = locks->acquire(other, milliseconds(0));
    EXPECT_TRUE(r) << other.client_id << "/" << other.profile << ": " << r.error().to_string();
  }
  expect_timeout(locks->acquire(kKey, milliseconds(0)));
}

// ---------------------------------------------------------------------------------------------
// Timeouts

TEST_F(SlotLockTest, TimeoutIsHonoured) {
  auto locks = factory();
  auto held = locks->acquire(kKey, milliseconds(0));
  ASSERT_TRUE(held) << held.error().to_string();

  for (const long timeout : {0L, 1L, 300L, 1000L}) {
    const auto start = steady_clock::now();
    auto r = locks->acquire(kKey, milliseconds(timeout));
    const long took = elapsed_ms(start);
    expect_timeout(r);
    EXPECT_GE(took, timeout) << "gave up early";
    EXPECT_LT(took, timeout + 1000) << "waited far past the timeout";
    if (!r) {
      const std::string &m = r.error().message;
      EXPECT_TRUE(contains(m, std::to_string(timeout) + " ms")) << m;
      EXPECT_TRUE(contains(m, "\"my-app\"")) << m;
      EXPECT_TRUE(contains(m, "\"default\"")) << m;
      EXPECT_TRUE(contains(m, "another nativeauth process is refreshing or signing out this session")) << m;
    }
  }
  // A negative timeout is no timeout, not a wait forever.
  const auto start = steady_clock::now();
  expect_timeout(locks->acquire(kKey, milliseconds(-5)));
  EXPECT_LT(elapsed_ms(start), 1000);
}

TEST_F(SlotLockTest, FreeSlotIsAcquiredWithAnyTimeout) {
  auto locks = factory();
  const auto start = steady_clock::now();
  auto r = locks->acquire(kKey, milliseconds::max());
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_LT(elapsed_ms(start), 1000);
}

// ---------------------------------------------------------------------------------------------
// Processes

struct CounterRun {
  long final_value = -1;
  std::vector<std::string> failures;
};

// kProcesses children each do kIterations of [acquire →] read the counter → write it + 1 [→ release],
// all released at once by closing a pipe.
CounterRun run_counter(const std::string &lock_dir, const std::string &counter_path, bool locked) {
  CounterRun run;
  {
    const int fd = ::open(counter_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || ::write(fd, "0000000000", 10) != 10) {
      run.failures.push_back("cannot create the counter file");
      if (fd >= 0) ::close(fd);
      return run;
    }
    ::close(fd);
  }
  Pipe go;
  Pipe done;
  if (!go.ok() || !done.ok()) {
    run.failures.push_back("pipe failed");
    return run;
  }
  Children children;
  for (int c = 0; c < kProcesses; ++c) {
    const pid_t pid = children.spawn([&]() -> int {
      go.close_write();
      done.close_read();
      // Wait for the start signal: EOF once the parent closes its end.
      if (read_byte(go.read_fd(), kBound) != ReadResult::eof) return 10;
      auto locks = make_slot_lock_factory(lock_dir);
      const int fd = ::open(counter_path.c_str(), O_RDWR | O_CLOEXEC);
      if (fd < 0) return 11;
      for (int i = 0; i < kIterations; ++i) {
        std::unique_ptr<SlotLock> lock;
        if (locked) {
          auto r = locks->acquire(kKey, kBound);
          if (!r) return 12;
          lock = std::move(*r);
        }
        char buf[16] = {};
        if (::pread(fd, buf, 10, 0) != 10) return 13;
        const long value = std::strtol(buf, nullptr, 10);
        // Give another process the chance to read the same value: without the lock, it will.
        ::sched_yield();
        char out[24];
        std::snprintf(out, sizeof out, "%010ld", value + 1);
        if (::pwrite(fd, out, 10, 0) != 10) return 14;
      }
      ::close(fd);
      return 0;
    });
    if (pid < 0) run.failures.push_back(std::string("fork failed: ") + std::strerror(errno));
  }
  go.close_write();  // start
  done.close_write();
  // Every child holds `done` open until it exits: EOF means all have.
  const ReadResult r = read_byte(done.read_fd(), milliseconds(120000));
  if (r != ReadResult::eof) run.failures.push_back("the children did not finish within 120 s");
  for (const pid_t pid : children.pids()) {
    if (r != ReadResult::eof) ::kill(pid, SIGKILL);
    const int status = children.reap(pid);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      run.failures.push_back("child " + std::to_string(pid) + ": " + describe_status(status));
    }
  }
  char buf[16] = {};
  const int fd = ::open(counter_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0 && ::pread(fd, buf, 10, 0) == 10) run.final_value = std::strtol(buf, nullptr, 10);
  if (fd >= 0) ::close(fd);
  return run;
}

TEST_F(SlotLockTest, ProcessesCountWithoutLosingUpdates) {
  const auto start = steady_clock::now();
  const CounterRun run = run_counter(dir_, root_ + "/counter", true);
  for (const auto &f : run.failures) ADD_FAILURE() << f;
  EXPECT_EQ(run.final_value, kProcesses * kIterations);
  RecordProperty("locked_ms", std::to_string(elapsed_ms(start)));
}

// The negative twin: the same children without the lock lose updates, so the test above can fail.
TEST_F(SlotLockTest, ProcessesWithoutTheLockLoseUpdates) {
  const CounterRun run = run_counter(dir_, root_ + "/counter", false);
  for (const auto &f : run.failures) ADD_FAILURE() << f;
  RecordProperty("unlocked_final_value", std::to_string(run.final_value));
  EXPECT_GT(run.final_value, 0);
  EXPECT_LT(run.final_value, kProcesses * kIterations);
}

TEST_F(SlotLockTest, KilledHolderReleasesTheLock) {
  auto locks = factory();
  Pipe ready;
  ASSERT_TRUE(ready.ok());
  Children children;
  const pid_t pid = children.spawn([&]() -> int {
    ready.close_read();
    auto held = make_slot_lock_factory(dir_)->acquire(kKey, kBound);
    if (!held) return 10;
    if (!write_byte(ready.write_fd(), 'L')) return 11;
    for (;;) ::pause();  // holds the lock until killed
  });
  ASSERT_GT(pid, 0) << std::strerror(errno);
  ready.close_write();
  char c = 0;
  ASSERT_EQ(read_byte(ready.read_fd(), kBound, &c), ReadResult::byte) << "the child never took the lock";
  ASSERT_EQ(c, 'L');
  expect_timeout(locks->acquire(kKey, milliseconds(0)));

  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  const int status = children.reap(pid);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << describe_status(status);
  // The kernel closed the child's descriptors before reporting its death: no waiting needed.
  auto after = locks->acquire(kKey, milliseconds(0));
  EXPECT_TRUE(after) << after.error().to_string();
}

TEST_F(SlotLockTest, ReleaseIsNotHeldUpByAForkedChild) {
  auto locks = factory();
  auto held = locks->acquire(kKey, milliseconds(0));
  ASSERT_TRUE(held) << held.error().to_string();
  Pipe hold;
  ASSERT_TRUE(hold.ok());
  Children children;
  // The child inherits the lock's descriptor (shared open file description) and keeps it open.
  const pid_t pid = children.spawn([&]() -> int {
    hold.close_write();
    return read_byte(hold.read_fd(), kBound) == ReadResult::eof ? 0 : 10;
  });
  ASSERT_GT(pid, 0) << std::strerror(errno);
  hold.close_read();
  held->reset();
  auto after = locks->acquire(kKey, milliseconds(0));
  EXPECT_TRUE(after) << "the forked child's copy of the descriptor kept the slot locked";
  hold.close_write();
  const int status = children.reap(pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << describe_status(status);
}

// ---------------------------------------------------------------------------------------------
// The lock directory

TEST_F(SlotLockTest, CreatesPrivateDirectoriesAndFiles) {
  UmaskGuard no_mask(0);  // the modes must come from nativeauth, not from the umask
  dir_ = root_ + "/a/b/locks";
  auto held = factory()->acquire(kKey, milliseconds(0));
  ASSERT_TRUE(held) << held.error().to_string();
  EXPECT_EQ(mode_of(root_ + "/a"), 0700u);
  EXPECT_EQ(mode_of(root_ + "/a/b"), 0700u);
  EXPECT_EQ(mode_of(dir_), 0700u);
  EXPECT_EQ(mode_of(dir_ + "/" + lock_file_name(kKey)), 0600u);
  struct stat st {};
  ASSERT_EQ(::lstat((dir_ + "/" + lock_file_name(kKey)).c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_size, 0);
}

TEST_F(SlotLockTest, AcceptsAnExistingPrivateDirectory) {
  ASSERT_EQ(::mkdir(dir_.c_str(), 0700), 0);
  auto held = make_slot_lock_factory(dir_ + "/")->acquire(kKey, milliseconds(0));
  EXPECT_TRUE(held) << held.error().to_string();
}

TEST_F(SlotLockTest, RefusesADirectoryOthersCanAccess) {
  for (const mode_t mode : {0755, 0750, 0710, 0701}) {
    ASSERT_EQ(::mkdir(dir_.c_str(), 0700), 0);
    ASSERT_EQ(::chmod(dir_.c_str(), mode), 0);
    auto r = factory()->acquire(kKey, milliseconds(0));
    ASSERT_FALSE(r) << std::oct << mode;
    EXPECT_EQ(r.error().code, ErrorCode::storage_unavailable);
    EXPECT_FALSE(r.error().transient);
    char text[8];
    std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode));
    const std::string &m = r.error().message;
    EXPECT_TRUE(contains(m, dir_)) << m;
    EXPECT_TRUE(contains(m, text)) << m;
    EXPECT_TRUE(contains(m, "chmod 700 " + dir_)) << m;
    EXPECT_FALSE(exists(dir_ + "/" + lock_file_name(kKey))) << "a lock file was made in a refused directory";
    EXPECT_EQ(mode_of(dir_), mode) << "the mode was changed";
    ASSERT_EQ(::rmdir(dir_.c_str()), 0);
  }
}

TEST_F(SlotLockTest, RefusesASymlinkedDirectory) {
  const std::string real = root_ + "/real";
  ASSERT_EQ(::mkdir(real.c_str(), 0700), 0);
  ASSERT_EQ(::symlink(real.c_str(), dir_.c_str()), 0);
  auto r = factory()->acquire(kKey, milliseconds(0));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::storage_unavailable);
  EXPECT_TRUE(contains(r.error().message, dir_)) << r.error().message;
  EXPECT_TRUE(contains(r.error().message, "symbolic link")) << r.error().message;
  EXPECT_FALSE(exists(real + "/" + lock_file_name(kKey)));
}

TEST_F(SlotLockTest, RefusesADirectoryOwnedBySomeoneElse) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to give a directory to another user";
  ASSERT_EQ(::mkdir(dir_.c_str(), 0700), 0);
  ASSERT_EQ(::chown(dir_.c_str(), 65534, 65534), 0);
  auto r = factory()->acquire(kKey, milliseconds(0));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::storage_unavailable);
  EXPECT_TRUE(contains(r.error().message, "owned by uid 65534")) << r.error().message;
}

TEST_F(SlotLockTest, RefusesASymlinkedLockFile) {
  ASSERT_EQ(::mkdir(dir_.c_str(), 0700), 0);
  const std::string target = root_ + "/elsewhere";
  const std::string link = dir_ + "/" + lock_file_name(kKey);
  ASSERT_EQ(::symlink(target.c_str(), link.c_str()), 0);
  auto r = factory()->acquire(kKey, milliseconds(0));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::storage_unavailable);
  EXPECT_TRUE(contains(r.error().message, link)) << r.error().message;
  EXPECT_FALSE(exists(target)) << "the link was followed";
}

TEST_F(SlotLockTest, RefusesARelativeDirectory) {
  auto r = make_slot_lock_factory("relative/locks")->acquire(kKey, milliseconds(0));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::invalid_argument);
}

// ---------------------------------------------------------------------------------------------
// Where the locks live by default

class SlotLockDirectoryTest : public SlotLockTest {
 protected:
  void SetUp() override {
    SlotLockTest::SetUp();
    runtime_ = root_ + "/run";
    state_ = root_ + "/state";
    home_ = root_ + "/home";
    ASSERT_EQ(::mkdir(runtime_.c_str(), 0700), 0);
    ASSERT_EQ(::mkdir(home_.c_str(), 0700), 0);
  }

  // The directory a default factory really used: acquire, then look for the lock file.
  std::string used_directory() {
    auto held = make_slot_lock_factory()->acquire(kKey, milliseconds(0));
    if (!held) return "error: " + held.error().to_string();
    for (const std::string &dir :
         {runtime_ + "/nativeauth/locks", state_ + "/nativeauth/locks", home_ + "/.local/state/nativeauth/locks"}) {
      if (exists(dir + "/" + lock_file_name(kKey))) return dir;
    }
    return "nowhere";
  }

  std::string runtime_, state_, home_;
};

TEST_F(SlotLockDirectoryTest, AlwaysTheStateDirectoryEvenWithAPrivateRuntimeDirectory) {
  // A desktop terminal has XDG_RUNTIME_DIR, a cron job or a bare ssh session may not: if the lock
  // followed it, those processes would lock different files and rotate one slot at once.
  EnvGuard runtime("XDG_RUNTIME_DIR", runtime_.c_str());
  EnvGuard state("XDG_STATE_HOME", state_.c_str());
  EnvGuard home("HOME", home_.c_str());
  auto dir = posix::default_lock_directory();
  ASSERT_TRUE(dir) << dir.error().to_string();
  EXPECT_EQ(*dir, state_ + "/nativeauth/locks");
  EXPECT_EQ(used_directory(), state_ + "/nativeauth/locks");
  EXPECT_FALSE(exists(runtime_ + "/nativeauth"));
  EnvGuard no_runtime("XDG_RUNTIME_DIR", nullptr);
  EXPECT_EQ(used_directory(), state_ + "/nativeauth/locks") << "the same file with or without a runtime directory";
}

TEST_F(SlotLockDirectoryTest, FallsBackToTheHomeDirectory) {
  UmaskGuard no_mask(0);
  EnvGuard runtime("XDG_RUNTIME_DIR", nullptr);
  EnvGuard home("HOME", home_.c_str());
  {
    EnvGuard state("XDG_STATE_HOME", nullptr);
    EXPECT_EQ(used_directory(), home_ + "/.local/state/nativeauth/locks");
  }
  {
    EnvGuard state("XDG_STATE_HOME", "relative/state");  // invalid per the XDG spec: ignored
    EXPECT_EQ(used_directory(), home_ + "/.local/state/nativeauth/locks");
  }
  EXPECT_EQ(mode_of(home_ + "/.local"), 0700u);
  EXPECT_EQ(mode_of(home_ + "/.local/state/nativeauth/locks"), 0700u);
}

}  // namespace
}  // namespace nativeauth
