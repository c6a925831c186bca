// SPDX-License-Identifier: Apache-2.0
// The CLI's OS seam (console.hpp) on Windows: the console control handler for Ctrl-C, the console with echo
// input off for a hidden prompt, and a reader thread feeding the paste-back reader (a console or pipe handle
// cannot be waited on together with an event the way poll() waits on a pipe and stdin).
#include "console.hpp"

#include "util/secrets.hpp"

#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <cwchar>
#include <deque>
#include <mutex>
#include <thread>

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#ifndef NOMINMAX
#define NOMINMAX
#endif
#include <windows.h>

#include <fcntl.h>
#include <io.h>
#include <shellapi.h>

namespace cli::console {
namespace {

HANDLE std_handle(int fd) {
  switch (fd) {
    case 0: return GetStdHandle(STD_INPUT_HANDLE);
    case 1: return GetStdHandle(STD_OUTPUT_HANDLE);
    case 2: return GetStdHandle(STD_ERROR_HANDLE);
    default: return INVALID_HANDLE_VALUE;
  }
}

std::string to_utf8(const wchar_t *text, int length) {
  if (length <= 0) return {};
  const int bytes = WideCharToMultiByte(CP_UTF8, 0, text, length, nullptr, 0, nullptr, nullptr);
  if (bytes <= 0) return {};
  std::string out(static_cast<std::size_t>(bytes), '\0');
  WideCharToMultiByte(CP_UTF8, 0, text, length, out.data(), bytes, nullptr, nullptr);
  return out;
}

// The one InterruptHandler's callback (the console has one handler list per process).
std::mutex g_interrupt_mutex;
std::function<void()> *g_on_interrupt = nullptr;

BOOL WINAPI on_console_event(DWORD event) {
  if (event != CTRL_C_EVENT && event != CTRL_BREAK_EVENT && event != CTRL_CLOSE_EVENT) return FALSE;
  std::lock_guard<std::mutex> lock(g_interrupt_mutex);
  if (g_on_interrupt == nullptr) return FALSE;
  (*g_on_interrupt)();  // the system runs this handler on a thread of its own, not in a signal context
  return TRUE;
}

}  // namespace

void prepare_standard_streams() {
  (void)_setmode(_fileno(stdout), _O_BINARY);
  (void)_setmode(_fileno(stderr), _O_BINARY);
  if (is_terminal(1) || is_terminal(2)) SetConsoleOutputCP(CP_UTF8);
}

Arguments::Arguments(int argc, char **argv) {
  int count = 0;
  wchar_t **wide = CommandLineToArgvW(GetCommandLineW(), &count);
  if (wide == nullptr) {
    values_.assign(argv, argv + argc);
  } else {
    for (int i = 0; i < count; ++i) values_.push_back(to_utf8(wide[i], static_cast<int>(std::wcslen(wide[i]))));
    LocalFree(wide);
  }
  for (auto &value : values_) pointers_.push_back(value.data());
  pointers_.push_back(nullptr);
}

bool is_terminal(int fd) {
  DWORD mode = 0;
  const HANDLE h = std_handle(fd);
  return h != nullptr && h != INVALID_HANDLE_VALUE && GetConsoleMode(h, &mode) != 0;
}

std::optional<std::string> own_program_path() {
  std::wstring path(MAX_PATH, L'\0');
  for (int attempt = 0; attempt < 6; ++attempt) {
    const DWORD n = GetModuleFileNameW(nullptr, path.data(), static_cast<DWORD>(path.size()));
    if (n == 0) return std::nullopt;
    if (n < path.size()) return to_utf8(path.data(), static_cast<int>(n));
    path.resize(path.size() * 2);
  }
  return std::nullopt;
}

std::string config_directory() {
  // The environment's copy of the user's roaming application data folder (FOLDERID_RoamingAppData), read
  // as UTF-16 so that a non-ASCII user name survives.
  wchar_t buffer[32768];
  const DWORD n = GetEnvironmentVariableW(L"APPDATA", buffer, static_cast<DWORD>(std::size(buffer)));
  if (n == 0 || n >= std::size(buffer)) return ".";
  return to_utf8(buffer, static_cast<int>(n));
}

std::string utc_text(std::chrono::system_clock::time_point t) {
  const std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  if (gmtime_s(&tm, &tt) != 0) return "";
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// ---- Ctrl-C through the console control handler
struct InterruptHandler::State {
  std::function<void()> on_interrupt;
};

InterruptHandler::InterruptHandler(std::function<void()> on_interrupt) : state_(std::make_unique<State>()) {
  state_->on_interrupt = std::move(on_interrupt);
  {
    std::lock_guard<std::mutex> lock(g_interrupt_mutex);
    g_on_interrupt = &state_->on_interrupt;
  }
  SetConsoleCtrlHandler(on_console_event, TRUE);
}

InterruptHandler::~InterruptHandler() {
  SetConsoleCtrlHandler(on_console_event, FALSE);
  std::lock_guard<std::mutex> lock(g_interrupt_mutex);
  g_on_interrupt = nullptr;
}

// ---- hidden input from the console
std::optional<nativeauth::SecretString> ask_hidden(const char *prompt) {
  const HANDLE in = CreateFileW(L"CONIN$", GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE, nullptr,
                                OPEN_EXISTING, 0, nullptr);
  if (in == INVALID_HANDLE_VALUE) return std::nullopt;
  const HANDLE out = CreateFileW(L"CONOUT$", GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE, nullptr,
                                 OPEN_EXISTING, 0, nullptr);
  DWORD saved = 0;
  const bool is_console = GetConsoleMode(in, &saved) != 0;
  if (is_console) SetConsoleMode(in, (saved & ~static_cast<DWORD>(ENABLE_ECHO_INPUT)) | ENABLE_LINE_INPUT);
  DWORD written = 0;
  if (out != INVALID_HANDLE_VALUE) {
    WriteFile(out, prompt, static_cast<DWORD>(std::char_traits<char>::length(prompt)), &written, nullptr);
  }
  wchar_t buffer[1024];
  DWORD got = 0;
  const bool read_ok = ReadConsoleW(in, buffer, static_cast<DWORD>(std::size(buffer)), &got, nullptr) != 0;
  if (is_console) SetConsoleMode(in, saved);
  if (out != INVALID_HANDLE_VALUE) {
    WriteFile(out, "\r\n", 2, &written, nullptr);
    CloseHandle(out);
  }
  CloseHandle(in);
  int length = read_ok ? static_cast<int>(got) : 0;
  while (length > 0 && (buffer[length - 1] == L'\n' || buffer[length - 1] == L'\r')) --length;
  std::string line = to_utf8(buffer, length);
  nativeauth::util::wipe(buffer, sizeof buffer);
  nativeauth::util::WipeOnExit wiped(line);
  if (line.empty()) return std::nullopt;
  return nativeauth::SecretString(std::string(line));
}

bool read_stdin_line(std::string &out) {
  const HANDLE in = GetStdHandle(STD_INPUT_HANDLE);
  char c = 0;
  bool any = false;
  for (;;) {
    DWORD got = 0;
    if (!ReadFile(in, &c, 1, &got, nullptr) || got == 0) return any;
    any = true;
    if (c == '\n') return true;
    nativeauth::util::reserve_wiping(out, out.size() + 1);
    out += c;
  }
}

// ---- paste-back input: a reader thread moves stdin's bytes into a wiped buffer and wakes wait()
namespace {

/// What the reader thread and wait()/read() share; the reader keeps it alive after the PasteInput is gone.
struct Shared {
  std::mutex mutex;
  std::condition_variable changed;
  std::deque<char> notes;
  std::string pending;  ///< bytes read from stdin, not yet taken by read(); wiped
  bool ended = false;   ///< stdin reached its end (or failed)
  bool closed = false;  ///< the PasteInput is gone: the reader wipes what it reads and stops

  void read_stdin() {
    const HANDLE in = GetStdHandle(STD_INPUT_HANDLE);
    char buffer[4096];
    for (;;) {
      DWORD got = 0;
      const bool ok = ReadFile(in, buffer, sizeof buffer, &got, nullptr) != 0;
      std::lock_guard<std::mutex> lock(mutex);
      if (!ok || got == 0 || closed) {
        ended = true;
        changed.notify_all();
        break;
      }
      nativeauth::util::reserve_wiping(pending, pending.size() + got);
      pending.append(buffer, got);
      changed.notify_all();
    }
    nativeauth::util::wipe(buffer, sizeof buffer);
  }
};

}  // namespace

struct PasteInput::State {
  std::shared_ptr<Shared> shared = std::make_shared<Shared>();
  std::thread reader;
};

PasteInput::PasteInput() : state_(std::make_unique<State>()) {}

PasteInput::~PasteInput() {
  {
    std::lock_guard<std::mutex> lock(state_->shared->mutex);
    state_->shared->closed = true;
    nativeauth::util::wipe(state_->shared->pending);
  }
  // A reader still blocked on stdin cannot be woken portably (a console or pipe read): it is left to the end
  // of the process, which follows a sign-in at once, and drops whatever it still reads.
  if (state_->reader.joinable()) state_->reader.detach();
}

bool PasteInput::ok() const { return true; }

std::string PasteInput::error() const { return {}; }

void PasteInput::notify(char what) {
  Shared &shared = *state_->shared;
  std::lock_guard<std::mutex> lock(shared.mutex);
  shared.notes.push_back(what);
  shared.changed.notify_all();
}

PasteInput::Woken PasteInput::wait(bool want_input) {
  Shared &shared = *state_->shared;
  std::unique_lock<std::mutex> lock(shared.mutex);
  if (want_input && !state_->reader.joinable()) {
    state_->reader = std::thread([keep = state_->shared] { keep->read_stdin(); });
  }
  const auto has_input = [&] { return want_input && (!shared.pending.empty() || shared.ended); };
  shared.changed.wait(lock, [&] { return !shared.notes.empty() || has_input(); });
  Woken woken;
  if (!shared.notes.empty()) {
    woken.note = shared.notes.front();
    shared.notes.pop_front();
  }
  woken.input = has_input();
  return woken;
}

long PasteInput::read(char *buffer, std::size_t size) {
  Shared &shared = *state_->shared;
  std::lock_guard<std::mutex> lock(shared.mutex);
  if (shared.pending.empty()) return shared.ended ? 0 : -1;
  const std::size_t n = std::min(size, shared.pending.size());
  shared.pending.copy(buffer, n);
  nativeauth::util::wipe(shared.pending.data(), n);
  shared.pending.erase(0, n);
  return static_cast<long>(n);
}

}  // namespace cli::console
