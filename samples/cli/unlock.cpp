// SPDX-License-Identifier: Apache-2.0
// `nativeauth unlock [--for DURATION]` and `nativeauth lock`. The passphrase is read from /dev/tty with echo
// off (the terminal's settings are put back on every way out, Ctrl-C included), or as one line from stdin
// when stdin is not a terminal (scripts, tests). It lives in wiped buffers and a SecretString, and is never
// printed; the SDK derives the key (scrypt) and hands it to the kernel keyring.
#include "unlock.hpp"

#include "common.hpp"
#include "exit_codes.hpp"
#include "util/secrets.hpp"

#include <nativeauth/storage.hpp>

#include <cctype>
#include <csignal>
#include <iostream>

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

namespace cli {
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

/// Asks on the terminal with echo off; nullopt when there is no terminal or nothing was typed.
std::optional<nativeauth::SecretString> ask_on_tty(const char *prompt) {
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
  return nativeauth::SecretString(std::string(line));
}

/// The passphrase: from the terminal (twice when `confirm`), or one line of stdin.
std::optional<nativeauth::SecretString> read_passphrase(bool confirm, bool *mismatch) {
  if (::isatty(0) != 1) {
    std::string line;
    nativeauth::util::WipeOnExit wiped(line);
    if (!read_line(0, line)) return std::nullopt;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return nativeauth::SecretString(std::string(line));
  }
  auto first = ask_on_tty(confirm ? "New passphrase for the encrypted store: " : "Passphrase: ");
  if (!first || !confirm) return first;
  auto second = ask_on_tty("The same passphrase again: ");
  if (!second || *second != *first) {
    *mismatch = true;
    return std::nullopt;
  }
  return first;
}

}  // namespace

std::optional<std::chrono::seconds> parse_duration(const std::string &text) {
  if (text.empty() || text.size() > 12) return std::nullopt;
  std::size_t digits = 0;
  long long value = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) {
    value = value * 10 + (text[digits] - '0');
    ++digits;
  }
  if (digits == 0 || text.size() - digits > 1) return std::nullopt;
  const char unit = digits < text.size() ? text[digits] : 's';
  const long long scale = unit == 's' ? 1 : unit == 'm' ? 60 : unit == 'h' ? 3600 : unit == 'd' ? 86400 : 0;
  if (scale == 0) return std::nullopt;
  const long long seconds = value * scale;
  if (seconds < 1 || seconds > 366LL * 86400) return std::nullopt;
  return std::chrono::seconds(seconds);
}

int run_unlock(const UnlockArgs &args) {
  const auto duration = parse_duration(args.duration);
  if (!duration) {
    std::cerr << "nativeauth: --for must be a duration like 90s, 15m, 8h or 1d (at most 366d), not '" << args.duration
              << "'\n";
    return kUsage;
  }
  auto status = nativeauth::encrypted_store_status();
  if (!status) {
    print_error("unlock", status.error());
    return exit_code_for(status.error());
  }
  const bool creating = !status->exists;
  if (creating) std::cerr << "nativeauth: creating the encrypted store in " << status->directory << '\n';
  bool mismatch = false;
  auto passphrase = read_passphrase(creating, &mismatch);
  if (!passphrase || passphrase->empty()) {
    std::cerr << "nativeauth: " << (mismatch ? "the two passphrases differ" : "no passphrase given") << '\n';
    return kUsage;
  }
  auto unlocked = nativeauth::unlock_encrypted_store(*passphrase, *duration);
  passphrase->clear();
  if (!unlocked) {
    print_error("unlock", unlocked.error());
    return exit_code_for(unlocked.error());
  }
  std::cout << "encrypted store " << unlocked->directory << " unlocked until " << utc(*unlocked->unlocked_until) << " ("
            << describe_duration(*duration) << ")\n";
  return kOk;
}

int run_lock() {
  auto locked = nativeauth::lock_encrypted_store();
  if (!locked) {
    print_error("lock", locked.error());
    return exit_code_for(locked.error());
  }
  std::cout << "encrypted store locked\n";
  return kOk;
}

}  // namespace cli
