// SPDX-License-Identifier: Apache-2.0
// What the CLI needs from the operating system, in one seam: console_posix.cpp (Linux and other POSIX
// systems) or console_windows.cpp, chosen by samples/cli/CMakeLists.txt. The commands stay the same on both.
#pragma once

#include <nativeauth/secret.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace cli::console {

/// Sets up the standard streams before anything is printed: on Windows, UTF-8 to a console and no CR added
/// before LF (scripts read `token` output byte for byte, as they do from gh or kubectl); nothing on POSIX.
void prepare_standard_streams();

/// The program's arguments in UTF-8: argv as given on POSIX; on Windows, the UTF-16 command line split the
/// way CommandLineToArgvW splits it (argv there is in the ANSI code page, which loses characters).
class Arguments {
 public:
  Arguments(int argc, char **argv);
  int argc() const { return static_cast<int>(pointers_.size()) - 1; }
  char **argv() { return pointers_.data(); }

 private:
  std::vector<std::string> values_;
  std::vector<char *> pointers_;
};

/// Whether file descriptor `fd` (0 stdin, 1 stdout, 2 stderr) is a terminal (a console on Windows).
bool is_terminal(int fd);

/// The absolute path of the running program, for a scheme registration; nullopt when the OS will not say.
std::optional<std::string> own_program_path();

/// Where the user's configuration lives: $XDG_CONFIG_HOME, else ~/.config (POSIX); %APPDATA% (Windows). UTF-8.
std::string config_directory();

/// `t` as "YYYY-MM-DDTHH:MM:SSZ".
std::string utc_text(std::chrono::system_clock::time_point t);

/// While it lives, Ctrl-C (SIGINT, and SIGTERM on POSIX; the console's Ctrl-C, Ctrl-Break and close events on
/// Windows) calls `on_interrupt` on a thread of its own instead of ending the process. No work is done in a
/// signal handler. The previous behaviour is back once it is destroyed.
class InterruptHandler {
 public:
  explicit InterruptHandler(std::function<void()> on_interrupt);
  ~InterruptHandler();
  InterruptHandler(const InterruptHandler &) = delete;
  InterruptHandler &operator=(const InterruptHandler &) = delete;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

/// Asks `prompt` on the terminal with echo off and reads one line; nullopt when there is no terminal or
/// nothing was typed. The terminal's settings are put back on every way out, Ctrl-C included.
std::optional<nativeauth::SecretString> ask_hidden(const char *prompt);

/// One line of stdin into `out` (without the line end; wiped as it grows); false at end of input before any byte.
bool read_stdin_line(std::string &out);

/// Input for `login --paste`: stdin, read while the sign-in runs, and wake-ups from the sign-in's thread.
class PasteInput {
 public:
  PasteInput();
  ~PasteInput();
  PasteInput(const PasteInput &) = delete;
  PasteInput &operator=(const PasteInput &) = delete;

  /// False when it could not be set up; error() says why.
  bool ok() const;
  std::string error() const;

  /// From any thread: wakes wait() with `what` (a byte of the caller's choosing).
  void notify(char what);

  struct Woken {
    std::optional<char> note;  ///< a notify() byte, if one arrived
    bool input = false;        ///< stdin has something (or ended): call read()
  };
  /// Waits until a notify() or, when `want_input`, until stdin has bytes or has ended. An error ends the
  /// wait with note '\0'.
  Woken wait(bool want_input);

  /// Reads what stdin has (at most `size` bytes): > 0 bytes read, 0 end of input, < 0 try again.
  long read(char *buffer, std::size_t size);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace cli::console
