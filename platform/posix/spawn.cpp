// SPDX-License-Identifier: Apache-2.0
// spawn_detached(): double fork + exec without a shell, exec failures reported through a CLOEXEC pipe.

#include "posix/spawn.hpp"

#include "posix/fd.hpp"

#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;  // POSIX leaves this declaration to the program.

namespace nativeauth::posix {
namespace {

// The child's standard descriptors are about to be overwritten with /dev/null: descriptors it
// still needs must not sit on 0-2, which happens when the app started with stdio closed.
bool move_above_stdio(UniqueFd &fd) {
  if (fd.get() > STDERR_FILENO) return true;
  const int moved = ::fcntl(fd.get(), F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
  if (moved < 0) return false;
  fd.reset(moved);
  return true;
}

// What to try exec'ing, in order: execvp's search, done before fork because building strings
// allocates and allocation is not async-signal-safe.
std::vector<std::string> exec_candidates(const std::string &file) {
  if (file.find('/') != std::string::npos) return {file};
  const char *env_path = std::getenv("PATH");
  // glibc's execvp default when PATH is unset (confstr(_CS_PATH)).
  const std::string path = env_path != nullptr ? env_path : "/bin:/usr/bin";
  std::vector<std::string> out;
  std::size_t begin = 0;
  for (;;) {
    const std::size_t end = path.find(':', begin);
    const std::string dir = path.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
    // An empty element means the current directory, as for execvp.
    out.push_back(dir.empty() ? file : dir + "/" + file);
    if (end == std::string::npos) break;
    begin = end + 1;
  }
  return out;
}

// Where the intermediate child or the grandchild failed; written to the report pipe with errno.
enum class Step : int { setsid = 1, stdio = 2, fork = 3, exec = 4 };
struct ChildReport {
  int step;
  int err;
};

// Everything the children use, prepared before fork.
struct ChildPlan {
  char *const *argv;
  std::vector<const char *> candidates;  // null-terminated
  int devnull;
  int report;
  int max_fd;  // bound of the close() loop when close_range is unavailable
};

[[noreturn]] void child_fail(int report_fd, Step step, int err) noexcept {
  const ChildReport report{static_cast<int>(step), err};
  // One write of 8 bytes into a pipe is atomic (below PIPE_BUF); nothing useful can be done if it fails.
  [[maybe_unused]] const ssize_t n = ::write(report_fd, &report, sizeof report);
  ::_exit(127);
}

void close_other_fds(int keep, int max_fd) noexcept {
#if defined(SYS_close_range)
  bool ok = true;
  if (keep > 3) ok = ::syscall(SYS_close_range, 3U, static_cast<unsigned>(keep - 1), 0U) == 0;
  if (ok && ::syscall(SYS_close_range, static_cast<unsigned>(keep + 1), ~0U, 0U) == 0) return;
#endif
  // Kernels before 5.9 (ENOSYS) or seccomp filters that refuse close_range: close one by one.
  for (int fd = 3; fd < max_fd; ++fd) {
    if (fd != keep) ::close(fd);
  }
}

// Runs in the child of fork(): only async-signal-safe calls from here on, as other threads of
// the parent may have held locks (malloc's among them) at the moment of fork.
[[noreturn]] void run_child(const ChildPlan &plan) noexcept {
  // exec keeps ignored dispositions; an app that ignores SIGPIPE or SIGCHLD must not pass that on
  // to the browser. Signals are all still blocked (see the parent), so no parent handler runs here.
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  ::sigaction(SIGPIPE, &dfl, nullptr);
  ::sigaction(SIGCHLD, &dfl, nullptr);

  // A new session: the browser is not killed by the terminal's hangup or the app's job control.
  if (::setsid() < 0) child_fail(plan.report, Step::setsid, errno);

  for (int target = STDIN_FILENO; target <= STDERR_FILENO; ++target) {
    while (::dup2(plan.devnull, target) < 0) {
      if (errno != EINTR) child_fail(plan.report, Step::stdio, errno);
    }
  }
  close_other_fds(plan.report, plan.max_fd);

  // Second fork: the grandchild is not a session leader (it can never acquire a controlling
  // terminal) and is reparented to init/the subreaper once this child exits, so nobody has to
  // reap it.
  const pid_t pid = ::fork();
  if (pid < 0) child_fail(plan.report, Step::fork, errno);
  if (pid > 0) ::_exit(0);

  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);

  // execvp's search rules (continue past EACCES/ENOENT/ENOTDIR..., report EACCES if that was
  // seen) with execve, which unlike execvp is async-signal-safe; and no /bin/sh retry on ENOEXEC.
  bool saw_eacces = false;
  int last = ENOENT;
  for (const char *const *candidate = plan.candidates.data(); *candidate != nullptr; ++candidate) {
    ::execve(*candidate, plan.argv, environ);
    last = errno;
    switch (last) {
      case EACCES: saw_eacces = true; continue;
      case ENOENT:
      case ENOTDIR:
      case ESTALE:
      case ENODEV:
      case ETIMEDOUT: continue;
      default: child_fail(plan.report, Step::exec, last);
    }
  }
  child_fail(plan.report, Step::exec, saw_eacces ? EACCES : last);
}

Error start_failed(const std::string &program, const std::string &reason) {
  return make_error(ErrorCode::browser_unavailable, "could not start '" + program + "': " + reason);
}

// What the children said of their launch: nothing (they exec'd) or the step that failed.
Result<void> read_child_report(int report_fd, const std::string &program) {
  // EOF: every write end is closed, i.e. the grandchild exec'd (CLOEXEC) or both children are
  // gone. A report: a step failed. The wait is bounded because another thread's fork between our
  // pipe2() and its exec can briefly hold a copy of the write end; if a copy outlives the bound
  // (a fork without exec) the launch most likely worked, and we do not block the sign-in on it.
  constexpr int report_wait_ms = 10'000;
  ChildReport report{};
  std::size_t got = 0;
  while (got < sizeof report) {
    pollfd pfd{report_fd, POLLIN, 0};
    const int ready = ::poll(&pfd, 1, report_wait_ms);
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return {};
    const ssize_t n = ::read(report_fd, reinterpret_cast<char *>(&report) + got, sizeof report - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  if (got == 0) return {};
  if (got != sizeof report) return start_failed(program, "the child process failed before exec");

  switch (static_cast<Step>(report.step)) {
    case Step::exec: return start_failed(program, errno_text(report.err));
    case Step::setsid: return start_failed(program, "setsid failed: " + errno_text(report.err));
    case Step::stdio: return start_failed(program, "redirecting stdio failed: " + errno_text(report.err));
    case Step::fork: return start_failed(program, "fork failed: " + errno_text(report.err));
  }
  return start_failed(program, "the child process failed before exec");
}

Result<void> spawn_impl(const std::vector<std::string> &argv) {
  if (argv.empty() || argv.front().empty()) {
    return make_error(ErrorCode::invalid_argument, "spawn: no program given");
  }
  for (const std::string &arg : argv) {
    if (arg.find('\0') != std::string::npos) {
      return make_error(ErrorCode::invalid_argument,
                        "spawn: an argument of '" + argv.front() + "' contains a NUL byte");
    }
  }
  const std::string &program = argv.front();

  std::vector<const char *> args;
  args.reserve(argv.size() + 1);
  for (const std::string &arg : argv) args.push_back(arg.c_str());
  args.push_back(nullptr);

  const std::vector<std::string> candidates = exec_candidates(program);
  ChildPlan plan{};
  plan.argv = const_cast<char *const *>(args.data());  // exec does not modify its arguments
  plan.candidates.reserve(candidates.size() + 1);
  for (const std::string &c : candidates) plan.candidates.push_back(c.c_str());
  plan.candidates.push_back(nullptr);
  const long open_max = ::sysconf(_SC_OPEN_MAX);  // not async-signal-safe: asked before fork
  plan.max_fd = open_max <= 0 ? 65536 : static_cast<int>(open_max < (1L << 20) ? open_max : (1L << 20));

  UniqueFd devnull(::open("/dev/null", O_RDWR | O_CLOEXEC));
  if (!devnull.valid() || !move_above_stdio(devnull)) {
    return start_failed(program, "cannot open /dev/null: " + errno_text(errno));
  }
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    return start_failed(program, "cannot create a pipe: " + errno_text(errno));
  }
  UniqueFd report_read(pipe_fds[0]);
  UniqueFd report_write(pipe_fds[1]);
  if (!move_above_stdio(report_read) || !move_above_stdio(report_write)) {
    return start_failed(program, "cannot create a pipe: " + errno_text(errno));
  }
  plan.devnull = devnull.get();
  plan.report = report_write.get();

  // Block every signal across fork so that none of the app's handlers runs in the child before
  // the dispositions are reset; the parent's mask is restored right after.
  sigset_t all;
  sigset_t saved;
  sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &saved);
  const pid_t pid = ::fork();
  if (pid == 0) run_child(plan);
  const int fork_errno = errno;
  ::pthread_sigmask(SIG_SETMASK, &saved, nullptr);
  if (pid < 0) return start_failed(program, "fork failed: " + errno_text(fork_errno));

  report_write.reset();  // else our own copy would keep the pipe from reaching EOF
  devnull.reset();

  // The intermediate child exits right after its fork. ECHILD: the app ignores SIGCHLD or reaps
  // every child itself; either way there is nothing left to wait for.
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }

  return read_child_report(report_read.get(), program);
}

}  // namespace

Result<void> spawn_detached(const std::vector<std::string> &argv) {
  try {
    return spawn_impl(argv);
  } catch (const std::exception &) {  // bad_alloc while preparing the child: nothing was started
    return make_error(ErrorCode::internal, "spawn: out of memory");
  }
}

}  // namespace nativeauth::posix
