// SPDX-License-Identifier: Apache-2.0
// The CLI's OS seam (console.hpp) on Linux and other POSIX systems: signals taken by a sigwait thread,
// /dev/tty with echo off, a self-pipe and poll() for the paste-back reader.
#include "console.hpp"

#include "util/secrets.hpp"

#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <thread>

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <termios.h>
#include <unistd.h>

namespace cli::console {

void prepare_standard_streams() {}

Arguments::Arguments(int argc, char **argv) : values_(argv, argv + argc) {
  for (auto &value : values_) pointers_.push_back(value.data());
  pointers_.push_back(nullptr);
}

bool is_terminal(int fd) { return ::isatty(fd) == 1; }

std::optional<std::string> own_program_path() {
  char self[PATH_MAX] = {};
  const ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) return std::nullopt;
  return std::string(self, static_cast<std::size_t>(n));
}

std::string config_directory() {
  const char *xdg = std::getenv("XDG_CONFIG_HOME");
  if (xdg && *xdg) return xdg;
  const char *home = std::getenv("HOME");
  return std::string(home ? home : ".") + "/.config";
}

std::string utc_text(std::chrono::system_clock::time_point t) {
  const std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// ---- Ctrl-C: SIGINT and SIGTERM are blocked and taken by a thread with sigwait; SIGUSR1 ends it.
struct InterruptHandler::State {
  sigset_t set{};
  sigset_t old{};
  std::thread thread;
};

InterruptHandler::InterruptHandler(std::function<void()> on_interrupt) : state_(std::make_unique<State>()) {
  sigemptyset(&state_->set);
  sigaddset(&state_->set, SIGINT);
  sigaddset(&state_->set, SIGTERM);
  sigaddset(&state_->set, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &state_->set, &state_->old);
  state_->thread = std::thread([state = state_.get(), on_interrupt = std::move(on_interrupt)] {
    int sig = 0;
    while (sigwait(&state->set, &sig) == 0) {
      if (sig == SIGUSR1) return;
      on_interrupt();
    }
  });
}

InterruptHandler::~InterruptHandler() {
  pthread_kill(state_->thread.native_handle(), SIGUSR1);
  state_->thread.join();
  pthread_sigmask(SIG_SETMASK, &state_->old, nullptr);
}

// ---- hidden input from /dev/tty
namespace {

// The terminal whose echo is off, and how it was, for the signal handler to put back.
int g_tty = -1;
struct termios g_saved {};

extern "C" void restore_and_reraise(int sig) {
  if (g_tty >= 0) (void)::tcsetattr(g_tty, TCSAFLUSH, &g_saved);
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

/// One line from `fd` into `out` (without the newline); false at end of input before any newline or byte.
bool read_line(int fd, std::string &out) {
  char c = 0;
  bool any = false;
  for (;;) {
    const ssize_t n = ::read(fd, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return any;
    any = true;
    if (c == '\n') return true;
    nativeauth::util::reserve_wiping(out, out.size() + 1);
    out += c;
  }
}

}  // namespace

std::optional<nativeauth::SecretString> ask_hidden(const char *prompt) {
  const int tty = ::open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
  if (tty < 0) return std::nullopt;
  struct termios saved {};
  const bool is_tty = ::tcgetattr(tty, &saved) == 0;
  if (is_tty) {
    g_tty = tty;
    g_saved = saved;
    std::signal(SIGINT, restore_and_reraise);
    std::signal(SIGTERM, restore_and_reraise);
    std::signal(SIGHUP, restore_and_reraise);
    struct termios quiet = saved;
    quiet.c_lflag &= static_cast<tcflag_t>(~(ECHO | ECHONL));
    (void)::tcsetattr(tty, TCSAFLUSH, &quiet);
  }
  (void)!::write(tty, prompt, std::char_traits<char>::length(prompt));
  std::string line;
  nativeauth::util::WipeOnExit wiped(line);
  const bool got = read_line(tty, line);
  if (is_tty) {
    (void)::tcsetattr(tty, TCSAFLUSH, &saved);
    g_tty = -1;
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
    std::signal(SIGHUP, SIG_DFL);
  }
  (void)!::write(tty, "\n", 1);
  ::close(tty);
  if (!got) return std::nullopt;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return nativeauth::SecretString(std::string(line));
}

bool read_stdin_line(std::string &out) { return read_line(STDIN_FILENO, out); }

// ---- paste-back input: a self-pipe for wake-ups, poll() over it and stdin
struct PasteInput::State {
  int fds[2] = {-1, -1};
  int error = 0;
};

PasteInput::PasteInput() : state_(std::make_unique<State>()) {
  if (pipe2(state_->fds, O_CLOEXEC) != 0) {
    state_->error = errno;
    state_->fds[0] = state_->fds[1] = -1;
  }
}

PasteInput::~PasteInput() {
  for (int fd : state_->fds) {
    if (fd >= 0) close(fd);
  }
}

bool PasteInput::ok() const { return state_->fds[0] >= 0; }

std::string PasteInput::error() const {
  return std::string("could not create a pipe: ") + std::strerror(state_->error);
}

void PasteInput::notify(char what) {
  while (write(state_->fds[1], &what, 1) < 0 && errno == EINTR) {
  }
}

PasteInput::Woken PasteInput::wait(bool want_input) {
  pollfd fds[2] = {{state_->fds[0], POLLIN, 0}, {STDIN_FILENO, POLLIN, 0}};
  const nfds_t count = want_input ? 2 : 1;
  Woken woken;
  if (poll(fds, count, -1) < 0) {
    if (errno != EINTR) woken.note = '\0';
    return woken;
  }
  if (fds[0].revents != 0) {
    char what = 0;
    if (::read(state_->fds[0], &what, 1) == 1) woken.note = what;
  }
  woken.input = count == 2 && fds[1].revents != 0;
  return woken;
}

long PasteInput::read(char *buffer, std::size_t size) {
  const ssize_t got = ::read(STDIN_FILENO, buffer, size);
  if (got < 0) return errno == EINTR || errno == EAGAIN ? -1 : 0;
  return static_cast<long>(got);
}

}  // namespace cli::console
