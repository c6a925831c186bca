// SPDX-License-Identifier: Apache-2.0
// make_slot_lock_factory(): one refresh or sign-out at a time per slot, across threads and processes,
// with flock(2) on one lock file per slot.
//
// Directory: the one given, else $XDG_STATE_HOME/nativeauth/locks, else $HOME/.local/state/nativeauth/locks.
// Every process of the user must pick the same file whatever its session, so $XDG_RUNTIME_DIR (present
// in a desktop terminal, absent in cron or a bare ssh session) is not used. Every acquire() opens the directory with O_NOFOLLOW
// and refuses it unless it is a real directory owned by the effective uid with no group/other bits;
// it is created 0700 (with any missing parents, also 0700) when absent, and its mode is never changed.
//
// Lock files: "<16 hex>.lock", the 64-bit FNV-1a hash of issuer '\0' client_id '\0' profile, opened
// O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC with mode 0600. They stay empty. Two slots whose hashes
// collide share a file: they are then serialized together, which costs only waiting, never
// correctness, so a hash meant for names (not for adversaries) is enough.
//
// Lock files are never deleted. flock(2) locks an inode through an open file description, not a path:
// if a file were removed while someone holds or waits on it, the next process would create a new
// inode under the same name and lock it at once, and two holders would run side by side. That holds
// even for "remove after my own release": a waiter that opened the old inode then wins it while a
// newcomer wins the new one. Leftovers are one empty file per slot ever used.
//
// Exclusion between threads of one process: each acquire() opens the file itself, so each holder has
// its own open file description, and flock(2) makes descriptions exclude each other even within a
// process (unlike fcntl(F_SETLK) record locks, which a process shares across its threads and drops
// when it closes any descriptor of the file). When a holder dies the kernel closes its descriptors
// and the lock goes with them: a crashed refresh never leaves a slot locked.
//
// Waiting: flock(LOCK_EX | LOCK_NB) polled with exponential backoff (1 ms doubling to 50 ms), because
// a blocking flock() cannot be given a timeout without signals, and a library must not own signals.
// The cost is fairness: waiters are not served in order. Refreshes are rare and short, so a waiter
// that loses a race simply tries again within 50 ms.

#include "posix/slot_lock.hpp"

#include "posix/fd.hpp"
#include "posix/private_fs.hpp"
#include "util/quote.hpp"
#include "util/slot_hash.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <pwd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

namespace nativeauth::posix {

namespace {

using platform::SlotKey;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

constexpr char kLockSuffix[] = ".lock";
constexpr milliseconds kFirstBackoff{1};
constexpr milliseconds kMaxBackoff{50};

// ---------------------------------------------------------------------------------------------
// Messages

// A slot component inside a one-line message: quoted, control characters shown as \xNN.
using util::quoted;

Error unavailable(std::string message) {
  return make_error(ErrorCode::storage_unavailable, "slot lock: " + std::move(message));
}

Error os_error(const std::string &what, const std::string &path, int err) {
  return unavailable("cannot " + what + " " + path + ": " + errno_text(err));
}

// The lock directory must be ours alone: anyone who can write it can delete or replace a lock file
// and so break exclusion (see the top of this file), and anyone who can read it learns which slots
// are in use. Refuses with the path, the mode found and the fix; never changes a mode itself.
Result<void> check_lock_dir(const std::string &path, const struct stat &st) {
  const std::string mode = mode_text(st.st_mode);
  if (!S_ISDIR(st.st_mode)) {
    return unavailable("lock directory " + path + " is " + kind_text(st.st_mode) + " (mode " + mode +
                       "); slot locks never follow links or use other files: remove it (`rm " + shell_word(path) +
                       "`) and nativeauth creates a private directory in its place");
  }
  if (st.st_uid != ::geteuid()) {
    return unavailable("lock directory " + path + " (mode " + mode + ") is owned by uid " + std::to_string(st.st_uid) +
                       ", not by this process's user (uid " + std::to_string(::geteuid()) +
                       "): remove it, or run as the user who owns it");
  }
  if ((st.st_mode & 077) != 0) {
    return unavailable("lock directory " + path + " has mode " + mode +
                       ": group or others can access it and could break the lock between nativeauth processes; "
                       "run `chmod 700 " +
                       shell_word(path) + "`");
  }
  return {};
}

// ---------------------------------------------------------------------------------------------
// Directories

// mkdir -p with 0700 for every directory it creates; existing parents are left as they are.
Result<void> make_directories(const std::string &dir) {
  if (auto failed = make_private_directories(dir)) return os_error("create directory", failed->first, failed->second);
  return {};
}

// ---------------------------------------------------------------------------------------------
// The lock

class FlockSlotLock final : public platform::SlotLock {
 public:
  explicit FlockSlotLock(UniqueFd fd) : fd_(std::move(fd)) {}
  // Unlock before closing: if the application fork()ed while holding the lock, the child shares this
  // open file description, and close() alone would leave the slot locked until the child exits too.
  ~FlockSlotLock() override { ::flock(fd_.get(), LOCK_UN); }
  FlockSlotLock(const FlockSlotLock &) = delete;
  FlockSlotLock &operator=(const FlockSlotLock &) = delete;

 private:
  UniqueFd fd_;
};

class FlockSlotLockFactory final : public platform::SlotLockFactory {
 public:
  explicit FlockSlotLockFactory(Result<std::string> directory) : dir_(std::move(directory)) {}

  Result<std::unique_ptr<platform::SlotLock>> acquire(const SlotKey &key, milliseconds timeout) override {
    if (!dir_) return dir_.error();
    timeout = std::max(timeout, milliseconds::zero());
    const auto deadline = deadline_after(timeout);
    auto dir = open_dir();
    if (!dir) return std::move(dir).error();
    const std::string name = lock_file_name(key);
    const std::string path = *dir_ + "/" + name;
    auto fd = open_lock_file(dir->get(), name, path);
    if (!fd) return std::move(fd).error();
    dir->reset();

    auto backoff = kFirstBackoff;
    for (;;) {
      if (::flock(fd->get(), LOCK_EX | LOCK_NB) == 0) {
        return std::unique_ptr<platform::SlotLock>(new FlockSlotLock(std::move(*fd)));
      }
      const int err = errno;
      if (err == EINTR) continue;
      // ENOLCK: e.g. a network file system without lock support.
      if (err != EWOULDBLOCK && err != EAGAIN) return os_error("lock", path, err);
      const auto now = steady_clock::now();
      if (now >= deadline) return timed_out(key, timeout, path);
      // sleep_for resumes after EINTR with the time that is left.
      std::this_thread::sleep_for(std::min<steady_clock::duration>(backoff, deadline - now));
      backoff = std::min(backoff * 2, kMaxBackoff);
    }
  }

 private:
  // now + timeout, saturating: milliseconds::max() means "wait as long as it takes".
  static steady_clock::time_point deadline_after(milliseconds timeout) {
    const auto now = steady_clock::now();
    const auto room = std::chrono::duration_cast<milliseconds>(steady_clock::time_point::max() - now);
    return timeout >= room ? steady_clock::time_point::max() : now + timeout;
  }

  static Error timed_out(const SlotKey &key, milliseconds timeout, const std::string &path) {
    Error e = make_error(ErrorCode::slot_busy,
                         "slot lock: gave up after " + std::to_string(timeout.count()) +
                             " ms waiting for the session of client " + quoted(key.client_id) + ", profile " +
                             quoted(key.profile) + " at " + quoted(key.issuer) +
                             ": another nativeauth process is refreshing or signing out this session; try again "
                             "(lock file " +
                             path + ")");
    e.transient = true;
    return e;
  }

  // The checked directory, created when absent.
  Result<UniqueFd> open_dir() const {
    const std::string &dir = *dir_;
    constexpr int kFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
    UniqueFd fd(::open(dir.c_str(), kFlags));
    if (!fd.valid() && errno == ENOENT) {
      auto made = make_directories(dir);
      if (!made) return std::move(made).error();
      fd.reset(::open(dir.c_str(), kFlags));
    }
    if (!fd.valid()) {
      const int err = errno;
      // O_NOFOLLOW on a link fails with ELOOP (EMLINK on FreeBSD): describe what is there instead.
      struct stat lst {};
      if ((err == ELOOP || err == EMLINK || err == ENOTDIR) && ::lstat(dir.c_str(), &lst) == 0) {
        auto refused = check_lock_dir(dir, lst);
        if (!refused) return std::move(refused).error();
      }
      return os_error("open lock directory", dir, err);
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return os_error("inspect lock directory", dir, errno);
    auto checked = check_lock_dir(dir, st);
    if (!checked) return std::move(checked).error();
    return fd;
  }

  static Result<UniqueFd> open_lock_file(int dir_fd, const std::string &name, const std::string &path) {
    constexpr int kFlags = O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY;
    UniqueFd fd;
    do {
      fd.reset(::openat(dir_fd, name.c_str(), kFlags, 0600));
    } while (!fd.valid() && errno == EINTR);
    if (!fd.valid()) {
      const int err = errno;
      if (err == ELOOP || err == EMLINK) {
        return unavailable("lock file " + path + " is a symbolic link; slot locks never follow links: remove it (`rm " +
                           shell_word(path) + "`)");
      }
      return os_error("open lock file", path, err);
    }
    // In a private directory only root can plant something else here; refuse it rather than lock it.
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return os_error("inspect lock file", path, errno);
    if (!S_ISREG(st.st_mode) || st.st_uid != ::geteuid()) {
      return unavailable("lock file " + path + " is " + kind_text(st.st_mode) + " owned by uid " +
                         std::to_string(st.st_uid) + " (mode " + mode_text(st.st_mode) +
                         "), not a regular file of this process's user (uid " + std::to_string(::geteuid()) +
                         "): remove it (`rm " + shell_word(path) + "`)");
    }
    return fd;
  }

  const Result<std::string> dir_;
};

}  // namespace

std::string lock_file_name(const SlotKey &key) {
  return util::slot_hash_hex(key.issuer, key.client_id, key.profile) + kLockSuffix;
}

Result<std::string> default_lock_directory() {
  // Never $XDG_RUNTIME_DIR: a desktop session has one, a cron job or an ssh session without
  // pam_systemd may not, and two processes locking in different directories would not exclude each
  // other; logind also removes it at logout, under a process that may still hold a lock.
  auto state = state_directory();
  if (!state) {
    return make_error(ErrorCode::storage_unavailable,
                      "slot lock: no directory for lock files: XDG_STATE_HOME is unset or not absolute, HOME is not "
                      "an absolute path, and the user has no home directory; set XDG_STATE_HOME to an absolute path");
  }
  return *state + "/locks";
}

std::shared_ptr<platform::SlotLockFactory> make_slot_lock_factory(std::string directory) {
  Result<std::string> dir = directory.empty() ? default_lock_directory() : Result<std::string>(std::move(directory));
  if (dir && dir->front() != '/') {
    dir = make_error(ErrorCode::invalid_argument,
                     "slot lock: the lock directory must be an absolute path, not \"" + *dir + "\"");
  }
  if (dir) {
    while (dir->size() > 1 && dir->back() == '/') dir->pop_back();
  }
  return std::make_shared<FlockSlotLockFactory>(std::move(dir));
}

}  // namespace nativeauth::posix
