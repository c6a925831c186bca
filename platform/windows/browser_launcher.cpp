// SPDX-License-Identifier: Apache-2.0
// Opens the authorization URL in the user's browser via %BROWSER% or ShellExecuteExW "open" (RFC 8252 §4,
// §8.12), the Windows twin of linux/browser_launcher.cpp. No shell and no cmd.exe ever sees the URL: a
// %BROWSER% program is started by CreateProcessW with a command line quoted for CommandLineToArgvW, and the
// default browser is reached through the shell's URL association, which puts the URL in the registered
// command's "%1" itself.
#include "windows/browser_launcher.hpp"

#include "util/strings.hpp"
#include "windows/win32.hpp"

// clang-format off: need <windows.h> (win32.hpp) first
#include <objbase.h>
#include <shellapi.h>
// clang-format on

#include <algorithm>
#include <cwctype>
#include <exception>
#include <optional>
#include <string_view>
#include <thread>

namespace nativeauth::windows {
namespace {

// %BROWSER% split into commands (';' outside quotes) of words (spaces and tabs outside quotes); a quote
// toggles quoting and is dropped, so `""` is an empty word.
std::vector<std::vector<std::string>> split_commands(std::string_view env) {
  std::vector<std::vector<std::string>> commands(1);
  std::string word;
  bool in_word = false;
  bool quoted = false;
  const auto end_word = [&] {
    if (in_word) commands.back().push_back(std::move(word));
    word.clear();
    in_word = false;
  };
  for (const char c : env) {
    if (c == '"') {
      quoted = !quoted;
      in_word = true;
    } else if (!quoted && (c == ' ' || c == '\t')) {
      end_word();
    } else if (!quoted && c == ';') {
      end_word();
      commands.emplace_back();
    } else {
      word += c;
      in_word = true;
    }
  }
  end_word();
  return commands;
}

// "x.CMD", "x.bat", and "x.bat. " (Windows drops trailing dots and spaces from a file name).
bool is_batch_file(std::wstring path) {
  while (!path.empty() && (path.back() == L'.' || path.back() == L' ')) path.pop_back();
  if (path.size() < 4) return false;
  std::wstring ext = path.substr(path.size() - 4);
  for (wchar_t &c : ext) c = static_cast<wchar_t>(std::towlower(c));
  return ext == L".bat" || ext == L".cmd";
}

bool has_separator(const std::wstring &name) { return name.find_first_of(L"\\/:") != std::wstring::npos; }

bool has_extension(const std::wstring &path) {
  const std::size_t dot = path.rfind(L'.');
  return dot != std::wstring::npos && path.find_first_of(L"\\/", dot) == std::wstring::npos;
}

bool is_file(const std::wstring &path) {
  const DWORD attributes = GetFileAttributesW(path.c_str());
  return attributes != INVALID_FILE_ATTRIBUTES && (attributes & FILE_ATTRIBUTE_DIRECTORY) == 0;
}

std::wstring environment_variable(const wchar_t *name) {
  const DWORD size = GetEnvironmentVariableW(name, nullptr, 0);
  if (size == 0) return {};
  std::wstring value(size, L'\0');
  const DWORD n = GetEnvironmentVariableW(name, value.data(), size);
  value.resize(n < size ? n : 0);
  return value;
}

// The file a %BROWSER% program names, or an error message (without the URL).
Result<std::wstring> resolve_program(const std::string &program) {
  const auto fail = [&program](const std::string &why) {
    return make_error(ErrorCode::browser_unavailable, "'" + program + "' " + why);
  };
  auto wide = widen(program);
  if (!wide || wide->empty() || wide->find(L'"') != std::wstring::npos) return fail("is not a valid program name");
  // A path. Under wine, one starting with '/' is a Unix path (wine resolves it from any current drive).
  if (has_separator(*wide)) {
    const DWORD size = GetFullPathNameW(wide->c_str(), 0, nullptr, nullptr);
    std::wstring full(size, L'\0');
    const DWORD n = size == 0 ? 0 : GetFullPathNameW(wide->c_str(), size, full.data(), nullptr);
    if (n == 0 || n >= size) return fail("is not a valid path: " + system_message(GetLastError()));
    full.resize(n);
    if (!is_file(full) && !has_extension(full) && is_file(full + L".exe")) full += L".exe";
    if (!is_file(full)) return fail("was not found");
    return full;
  }
  // Only %PATH%: CreateProcessW's own search would look in the app's and the current directory first.
  const std::wstring path = environment_variable(L"PATH");
  const wchar_t *extension = has_extension(*wide) ? nullptr : L".exe";
  std::size_t begin = 0;
  while (begin < path.size()) {
    const std::size_t end = std::min(path.find(L';', begin), path.size());
    std::wstring dir = path.substr(begin, end - begin);
    begin = end + 1;
    dir.erase(std::remove(dir.begin(), dir.end(), L'"'), dir.end());
    if (dir.empty()) continue;
    wchar_t found[MAX_PATH];
    const DWORD n = SearchPathW(dir.c_str(), wide->c_str(), extension, MAX_PATH, found, nullptr);
    if (n > 0 && n < MAX_PATH && is_file(found)) return std::wstring(found);
  }
  return fail("was not found on %PATH% (name the program by its full path)");
}

// Starts one %BROWSER% command, detached; never waits for it.
Result<void> start_command(const std::vector<std::string> &argv) {
  // The name as given first: Windows drops a trailing ". " from a file name, which a file check may not.
  const auto given = widen(argv[0]);
  auto program = given && is_batch_file(*given) ? Result<std::wstring>(*given) : resolve_program(argv[0]);
  if (!program) return std::move(program).error();
  if (is_batch_file(*program)) {
    return make_error(ErrorCode::browser_unavailable,
                      "'" + argv[0] +
                          "' is a batch file, which Windows runs through cmd.exe, where the URL's '&' "
                          "and '%' would be commands: name the browser's .exe instead");
  }
  std::wstring line = quote_argument(*program);
  for (std::size_t i = 1; i < argv.size(); ++i) {
    auto arg = widen(argv[i]);
    if (!arg) return make_error(ErrorCode::browser_unavailable, "'" + argv[0] + "': an argument is not valid UTF-8");
    line += L" " + quote_argument(*arg);
  }
  STARTUPINFOW startup{};
  startup.cb = sizeof startup;
  PROCESS_INFORMATION process{};
  // No console (so no stdin/stdout/stderr of ours), its own process group (our Ctrl-C is not its), no handle.
  const DWORD flags = DETACHED_PROCESS | CREATE_NEW_PROCESS_GROUP | CREATE_UNICODE_ENVIRONMENT;
  if (!CreateProcessW(program->c_str(), line.data(), nullptr, nullptr, FALSE, flags, nullptr, nullptr, &startup,
                      &process)) {
    return make_error(ErrorCode::browser_unavailable,
                      "could not start '" + argv[0] + "': " + system_message(GetLastError()));
  }
  CloseHandle(process.hThread);
  CloseHandle(process.hProcess);
  return {};
}

// ShellExecuteExW "open" on the URL: the user's default browser, by the http/https association. On a
// thread of its own because the shell needs COM initialised single-threaded on the calling thread, and the
// app's thread must not be changed; SEE_MASK_NOASYNC because that thread ends right after.
Result<void> open_with_shell(const std::wstring &url) {
  BOOL launched = FALSE;
  DWORD error = 0;
  std::thread shell([&] {
    const HRESULT com = CoInitializeEx(nullptr, COINIT_APARTMENTTHREADED | COINIT_DISABLE_OLE1DDE);
    SHELLEXECUTEINFOW info{};
    info.cbSize = sizeof info;
    // No "choose an app" or error dialog: a failure is reported to the SDK, which shows the URL instead.
    info.fMask = SEE_MASK_FLAG_NO_UI | SEE_MASK_NOASYNC;
    info.lpVerb = L"open";
    info.lpFile = url.c_str();
    info.nShow = SW_SHOWNORMAL;
    launched = ShellExecuteExW(&info);
    error = launched ? 0 : GetLastError();
    if (SUCCEEDED(com)) CoUninitialize();
  });
  shell.join();
  if (launched) return {};
  return make_error(ErrorCode::browser_unavailable, "the default browser (ShellExecuteExW \"open\"): " +
                                                        system_message(error != 0 ? error : ERROR_NO_ASSOCIATION));
}

class WindowsBrowserLauncher final : public platform::BrowserLauncher {
 public:
  Result<void> open(const std::string &url) override {
    try {
      return open_impl(url);
    } catch (const std::exception &) {
      return make_error(ErrorCode::internal, "browser launcher: out of memory or no thread for the shell");
    }
  }

 private:
  static Result<void> open_impl(const std::string &url) {
    // RFC 8252 §4, §8.12: the authorization request goes to the system browser. Handing the shell a file
    // path, a file:, data: or custom-scheme URL would instead run whatever handler is registered for it.
    if (!nativeauth::util::starts_with_ascii_ci(url, "https://") &&
        !nativeauth::util::starts_with_ascii_ci(url, "http://")) {
      return make_error(ErrorCode::invalid_argument, "browser launcher: only http and https URLs are opened");
    }
    // RFC 3986 §2 has no place for spaces, control bytes or '"'. A '"' would also close the "%1" of the
    // browser's registered command line and smuggle in arguments of its own.
    const bool bad_byte = std::any_of(url.begin(), url.end(), [](char c) {
      const auto u = static_cast<unsigned char>(c);
      return u <= 0x20 || u == 0x7f || c == '"';
    });
    const auto wide_url = widen(url);
    if (bad_byte || !wide_url) {
      return make_error(ErrorCode::invalid_argument,
                        "browser launcher: the URL contains spaces, quotes, control characters or invalid UTF-8 "
                        "(percent-encode them)");
    }

    const std::wstring env = environment_variable(L"BROWSER");
    const std::string browser = narrow(env);
    std::string failures;
    for (const auto &argv : browser_commands(url, env.empty() ? nullptr : browser.c_str())) {
      Result<void> started = start_command(argv);
      if (started) return {};
      // Messages name only argv[0], which browser_commands never builds from the URL.
      failures += started.error().message + "; ";
    }
    Result<void> shell = open_with_shell(*wide_url);
    if (shell) return {};
    return make_error(ErrorCode::browser_unavailable,
                      "no browser could be started: " + failures + std::move(shell).error().message);
  }
};

}  // namespace

std::vector<std::vector<std::string>> browser_commands(const std::string &url, const char *browser_env) {
  std::vector<std::vector<std::string>> commands;
  if (browser_env == nullptr) return commands;
  for (auto &words : split_commands(browser_env)) {
    if (words.empty() || words.front().empty() || words.front().find("%s") != std::string::npos) continue;
    std::vector<std::string> argv{words.front()};
    bool used_url = false;
    for (std::size_t i = 1; i < words.size(); ++i)
      argv.push_back(nativeauth::util::expand_browser_word(words[i], url, used_url));
    if (!used_url) argv.push_back(url);
    if (std::find(commands.begin(), commands.end(), argv) == commands.end()) commands.push_back(std::move(argv));
  }
  return commands;
}

std::shared_ptr<platform::BrowserLauncher> make_browser_launcher() {
  return std::make_shared<WindowsBrowserLauncher>();
}

}  // namespace nativeauth::windows
