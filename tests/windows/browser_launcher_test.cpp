// SPDX-License-Identifier: Apache-2.0
// Tests of the Windows browser launcher with real processes (under wine on Linux): %BROWSER% parsing, the
// URL reaching a %BROWSER% program as exactly one argument, the program search, batch files refused, a Unix
// program started by wine, the default browser reached through ShellExecuteExW, and the error when nothing
// can be launched. The "browser" is this exe started again with --record-args: it writes the arguments it
// got (CommandLineToArgvW of its command line) to %NATIVEAUTH_TEST_RECORD% and sets the named event
// %NATIVEAUTH_TEST_RECORD_EVENT%, which the test waits on. The default browser is replaced, for the length
// of a test, by a per-user https/http association (HKCU\Software\Classes) that points to that recorder or
// to a program that does not exist: a real association, the way a browser registers itself.
#include "windows/browser_launcher.hpp"

#include "windows/win32.hpp"

// clang-format off: need <windows.h> (win32.hpp) first
#include <shellapi.h>
// clang-format on

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace {

using namespace std::chrono_literals;
using nativeauth::ErrorCode;
using nativeauth::windows::browser_commands;
using nativeauth::windows::narrow;
using nativeauth::windows::system_message;
using nativeauth::windows::widen;
using Argvs = std::vector<std::vector<std::string>>;
namespace fs = std::filesystem;

// What a shell (cmd.exe or sh) would act on, and what the brief names: & ? % #. Without a shell they are
// bytes of one argument.
const std::string kNastyUrl =
    "https://idp.example/authorize?client_id=app&state=a%20b%25&redirect_uri=http%3A%2F%2F127.0.0.1%3A8080"
    "&x=%PATH%&y=^&z=|<>'`!$(id);w&#frag";

constexpr DWORD kWaitMs = 10'000;

std::wstring self_path() {
  wchar_t buf[MAX_PATH];
  const DWORD n = GetModuleFileNameW(nullptr, buf, MAX_PATH);
  return std::wstring(buf, n < MAX_PATH ? n : 0);
}

bool under_wine() {
  const HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
  return ntdll != nullptr && GetProcAddress(ntdll, "wine_get_version") != nullptr;
}

// Sets an environment variable for one test (nullptr: unset) and puts the old value back.
class ScopedEnv {
 public:
  ScopedEnv(const wchar_t *name, const std::optional<std::wstring> &value) : name_(name) {
    const DWORD size = GetEnvironmentVariableW(name, nullptr, 0);
    if (size > 0) {
      std::wstring old(size, L'\0');
      old.resize(GetEnvironmentVariableW(name, old.data(), size));
      old_ = old;
    }
    SetEnvironmentVariableW(name, value ? value->c_str() : nullptr);
  }
  ScopedEnv(const ScopedEnv &) = delete;
  ScopedEnv &operator=(const ScopedEnv &) = delete;
  ~ScopedEnv() { SetEnvironmentVariableW(name_.c_str(), old_ ? old_->c_str() : nullptr); }

 private:
  std::wstring name_;
  std::optional<std::wstring> old_;
};

std::atomic<int> g_counter{0};

// A scratch directory and a recorder the "browser" reports to.
class LauncherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Wine reuses small process ids from run to run: the tick count keeps names apart.
    const std::wstring run = std::to_wstring(GetCurrentProcessId()) + L"-" + std::to_wstring(GetTickCount64()) + L"-" +
                             std::to_wstring(++g_counter);
    dir_ = fs::temp_directory_path() / (L"nativeauth-browser-" + run);
    fs::create_directories(dir_);
    record_ = dir_ / L"args.txt";
    event_name_ = L"Local\\nativeauth-browser-test-" + run;
    event_ = CreateEventW(nullptr, TRUE, FALSE, event_name_.c_str());
    ASSERT_NE(event_, nullptr);
    record_env_.emplace(L"NATIVEAUTH_TEST_RECORD", record_.wstring());
    event_env_.emplace(L"NATIVEAUTH_TEST_RECORD_EVENT", event_name_);
  }
  void TearDown() override {
    if (event_ != nullptr) CloseHandle(event_);
    // A copy of this exe that ran as the browser cannot be deleted until that process has exited, which
    // nothing signals (the launcher keeps no handle): poll for the removal, bounded.
    const ULONGLONG until = GetTickCount64() + kWaitMs;
    std::error_code ec;
    while (fs::remove_all(dir_, ec), fs::exists(dir_) && GetTickCount64() < until) Sleep(20);
    EXPECT_FALSE(fs::exists(dir_)) << "left behind: " << dir_.string();
  }

  // The arguments the recorder got, once it has run; nullopt if it did not run within the bound.
  std::optional<std::vector<std::string>> recorded() {
    if (WaitForSingleObject(event_, kWaitMs) != WAIT_OBJECT_0) return std::nullopt;
    return read_lines(record_);
  }

  static std::vector<std::string> read_lines(const fs::path &file) {
    std::ifstream in(file, std::ios::binary);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  }

  // This exe as a %BROWSER% command: "<exe>" --record-args
  static std::wstring recorder_command(const std::wstring &exe = self_path()) {
    return nativeauth::windows::quote_argument(exe) + L" --record-args";
  }

  fs::path dir_;
  fs::path record_;
  std::wstring event_name_;
  HANDLE event_ = nullptr;
  std::optional<ScopedEnv> record_env_;
  std::optional<ScopedEnv> event_env_;
};

// The user's default browser for http and https, replaced for one test by a per-user association whose
// command is `command` (the shell puts the URL in "%1"). Refuses to touch a user's own association.
// Wine 8 does not merge HKCU\Software\Classes into HKEY_CLASSES_ROOT, so its shell never sees a per-user
// association: under wine only, the machine's command (HKCR, the throw-away prefix's) is replaced instead
// and put back afterwards.
class ScopedDefaultBrowser {
 public:
  explicit ScopedDefaultBrowser(const std::wstring &command) {
    for (const wchar_t *scheme : {L"http", L"https"}) {
      // A UserChoice naming a browser's ProgId ("ChromeHTML") wins over the scheme's own key; wine's names the
      // scheme's own key ("http"), which this replaces.
      const std::wstring choice = user_choice(scheme);
      if (key_exists(L"Software\\Classes\\" + std::wstring(scheme)) || (!choice.empty() && choice != scheme)) {
        skip_reason_ = "this user has an own " + narrow(scheme) +
                       " association (HKCU\\Software\\Classes or UserChoice), which the test will not replace";
        return;
      }
    }
    for (const wchar_t *scheme : {L"http", L"https"}) {
      const std::wstring key = L"Software\\Classes\\" + std::wstring(scheme) + L"\\shell\\open\\command";
      if (!set(HKEY_CURRENT_USER, key, command)) return;
      created_.push_back(scheme);
      const std::wstring machine_key = std::wstring(scheme) + L"\\shell\\open\\command";
      if (read(HKEY_CLASSES_ROOT, machine_key) == command) continue;
      if (!under_wine()) {
        skip_reason_ = "HKEY_CLASSES_ROOT does not show the per-user association";
        return;
      }
      replaced_.emplace_back(machine_key, read(HKEY_CLASSES_ROOT, machine_key));
      if (!set(HKEY_CLASSES_ROOT, machine_key, command)) return;
    }
  }
  ScopedDefaultBrowser(const ScopedDefaultBrowser &) = delete;
  ScopedDefaultBrowser &operator=(const ScopedDefaultBrowser &) = delete;
  ~ScopedDefaultBrowser() {
    for (const auto &[key, old] : replaced_) set(HKEY_CLASSES_ROOT, key, old);
    for (const std::wstring &scheme : created_) {
      RegDeleteTreeW(HKEY_CURRENT_USER, (L"Software\\Classes\\" + scheme).c_str());
    }
  }
  const std::string &skip_reason() const { return skip_reason_; }
  const std::string &error() const { return error_; }

 private:
  bool set(HKEY root, const std::wstring &key, const std::wstring &value) {
    const LSTATUS rc = RegSetKeyValueW(root, key.c_str(), nullptr, REG_SZ, value.c_str(),
                                       static_cast<DWORD>((value.size() + 1) * sizeof(wchar_t)));
    if (rc == ERROR_SUCCESS) return true;
    error_ = "cannot write " + narrow(key) + ": " + system_message(static_cast<DWORD>(rc));
    return false;
  }

  static std::wstring read(HKEY root, const std::wstring &key, const wchar_t *name = nullptr) {
    wchar_t value[1024];
    DWORD size = sizeof value;
    if (RegGetValueW(root, key.c_str(), name, RRF_RT_REG_SZ, nullptr, value, &size) != ERROR_SUCCESS) return {};
    return value;
  }

  static std::wstring user_choice(const std::wstring &scheme) {
    return read(HKEY_CURRENT_USER,
                L"Software\\Microsoft\\Windows\\Shell\\Associations\\UrlAssociations\\" + scheme + L"\\UserChoice",
                L"ProgId");
  }

  static bool key_exists(const std::wstring &path) {
    HKEY key = nullptr;
    if (RegOpenKeyExW(HKEY_CURRENT_USER, path.c_str(), 0, KEY_READ, &key) != ERROR_SUCCESS) return false;
    RegCloseKey(key);
    return true;
  }

  std::vector<std::wstring> created_;
  std::vector<std::pair<std::wstring, std::wstring>> replaced_;
  std::string skip_reason_;
  std::string error_;
};

#define REPLACE_DEFAULT_BROWSER(var, command)                        \
  ScopedDefaultBrowser var(command);                                 \
  if (!var.skip_reason().empty()) GTEST_SKIP() << var.skip_reason(); \
  ASSERT_EQ(var.error(), "")

// A default browser that cannot be started: the association names a program that does not exist.
std::wstring missing_program_command() { return L"\"C:\\nativeauth-test-missing\\browser.exe\" \"%1\""; }

// ---------------------------------------------------------------------------------------------
// browser_commands(): pure parsing of %BROWSER%

TEST(BrowserCommands, UnsetOrEmptyBrowserGivesNoCommand) {
  const std::string url = "https://idp.example/a";
  EXPECT_EQ(browser_commands(url, nullptr), Argvs{});
  EXPECT_EQ(browser_commands(url, ""), Argvs{});
  EXPECT_EQ(browser_commands(url, " \t "), Argvs{});
  EXPECT_EQ(browser_commands(url, ";;;"), Argvs{});
}

TEST(BrowserCommands, SingleCommandGetsTheUrlAsLastArgument) {
  const std::string url = "https://idp.example/a";
  EXPECT_EQ(browser_commands(url, "firefox"), (Argvs{{"firefox", url}}));
  EXPECT_EQ(browser_commands(url, "  firefox\t-new-window   -P  work "),
            (Argvs{{"firefox", "-new-window", "-P", "work", url}}));
}

TEST(BrowserCommands, QuotesGroupAPathWithSpacesAndSemicolonsSeparateCommands) {
  const std::string url = "https://idp.example/a";
  EXPECT_EQ(browser_commands(url, R"("C:\Program Files\Mozilla Firefox\firefox.exe" -new-window)"),
            (Argvs{{R"(C:\Program Files\Mozilla Firefox\firefox.exe)", "-new-window", url}}));
  EXPECT_EQ(browser_commands(url, R"(C:\a\one.exe;"C:\b;c\two.exe" "x y";C:\a\one.exe)"),
            (Argvs{{R"(C:\a\one.exe)", url}, {R"(C:\b;c\two.exe)", "x y", url}}));
  EXPECT_EQ(browser_commands(url, R"(prog "" x)"), (Argvs{{"prog", "", "x", url}}));
}

TEST(BrowserCommands, PercentSIsTheUrlAndPercentPercentIsAPercent) {
  const std::string url = "https://idp.example/a?b=%41";
  EXPECT_EQ(browser_commands(url, "prog --url=%s 100%% %d"), (Argvs{{"prog", "--url=" + url, "100%", "%d"}}));
  EXPECT_EQ(browser_commands(url, "prog %s %s"), (Argvs{{"prog", url, url}}));
}

TEST(BrowserCommands, AProgramNamedByTheUrlIsSkipped) {
  const std::string url = "https://idp.example/a";
  EXPECT_EQ(browser_commands(url, "%s;prog"), (Argvs{{"prog", url}}));
  EXPECT_EQ(browser_commands(url, "x%sy --flag"), Argvs{});
}

// ---------------------------------------------------------------------------------------------
// The launcher with real processes

TEST_F(LauncherTest, AnythingButHttpAndHttpsIsRefusedBeforeAnythingStarts) {
  ScopedEnv browser(L"BROWSER", recorder_command());
  auto launcher = nativeauth::windows::make_browser_launcher();
  for (const std::string &url : std::vector<std::string>{
           "file:///C:/Windows/System32/calc.exe", "C:\\Windows\\System32\\calc.exe", "javascript:alert(1)",
           "ms-settings:privacy", "ftp://idp.example/", "httpx://idp.example/", "", "https://idp.example/a b",
           "https://idp.example/a\tb", "https://idp.example/\"--flag", std::string("https://idp.example/\0x", 21),
           "https://idp.example/\xff"}) {
    auto r = launcher->open(url);
    ASSERT_FALSE(r.has_value()) << url;
    EXPECT_EQ(r.error().code, ErrorCode::invalid_argument) << url;
  }
  EXPECT_EQ(WaitForSingleObject(event_, 0), static_cast<DWORD>(WAIT_TIMEOUT)) << "something was started";
  // The scheme is case-insensitive (RFC 3986 §3.1): the same recorder then runs.
  ASSERT_TRUE(launcher->open("HTTPS://idp.example/upper").has_value());
  EXPECT_EQ(recorded(), (std::vector<std::string>{"--record-args", "HTTPS://idp.example/upper"}));
}

TEST_F(LauncherTest, TheBrowserProgramGetsTheUrlAsExactlyOneArgument) {
  ScopedEnv browser(L"BROWSER", recorder_command());
  auto r = nativeauth::windows::make_browser_launcher()->open(kNastyUrl);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(recorded(), (std::vector<std::string>{"--record-args", kNastyUrl}));
}

TEST_F(LauncherTest, PercentSPlacesTheUrlAndPercentPercentPassesAPercent) {
  ScopedEnv browser(L"BROWSER", recorder_command() + L" --url=%s 100%%");
  auto r = nativeauth::windows::make_browser_launcher()->open(kNastyUrl);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(recorded(), (std::vector<std::string>{"--record-args", "--url=" + kNastyUrl, "100%"}));
}

TEST_F(LauncherTest, AProgramPathWithSpacesIsStarted) {
  const fs::path exe = dir_ / L"Program Files" / L"My Browser" / L"browser.exe";
  fs::create_directories(exe.parent_path());
  fs::copy_file(self_path(), exe);
  ScopedEnv browser(L"BROWSER", recorder_command(exe.wstring()));
  auto r = nativeauth::windows::make_browser_launcher()->open(kNastyUrl);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(recorded(), (std::vector<std::string>{"--record-args", kNastyUrl}));
}

TEST_F(LauncherTest, ABareNameIsFoundOnPathWithExeAdded) {
  fs::create_directories(dir_ / L"bin");
  fs::copy_file(self_path(), dir_ / L"bin" / L"testbrowser.exe");
  const DWORD size = GetEnvironmentVariableW(L"PATH", nullptr, 0);
  std::wstring path(size, L'\0');
  path.resize(GetEnvironmentVariableW(L"PATH", path.data(), size));
  ScopedEnv path_env(L"PATH", L"C:\\nativeauth-test-missing;" + (dir_ / L"bin").wstring() + L";" + path);
  ScopedEnv browser(L"BROWSER", std::wstring(L"testbrowser --record-args"));
  auto r = nativeauth::windows::make_browser_launcher()->open(kNastyUrl);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(recorded(), (std::vector<std::string>{"--record-args", kNastyUrl}));
}

// CreateProcessW would look in the current directory; the launcher does not, and since nothing else can
// be started either, the app gets browser_unavailable (and so the URL to show).
TEST_F(LauncherTest, ABareNameIsNotLookedUpInTheCurrentDirectory) {
  REPLACE_DEFAULT_BROWSER(shell, missing_program_command());
  fs::copy_file(self_path(), dir_ / L"cwdbrowser.exe");
  wchar_t old_cwd[MAX_PATH];
  ASSERT_GT(GetCurrentDirectoryW(MAX_PATH, old_cwd), 0U);
  ASSERT_TRUE(SetCurrentDirectoryW(dir_.c_str()));
  ScopedEnv browser(L"BROWSER", std::wstring(L"cwdbrowser --record-args"));
  auto r = nativeauth::windows::make_browser_launcher()->open(kNastyUrl);
  SetCurrentDirectoryW(old_cwd);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::browser_unavailable);
  EXPECT_NE(r.error().message.find("'cwdbrowser' was not found on %PATH%"), std::string::npos) << r.error().message;
}

TEST_F(LauncherTest, ABatchFileIsRefused) {
  REPLACE_DEFAULT_BROWSER(shell, missing_program_command());
  for (const wchar_t *name : {L"browser.cmd", L"browser.BAT", L"browser.bat. "}) {
    // Were it run, cmd.exe would see the URL's '&' and start the recorder through this line.
    const fs::path script = dir_ /
                            fs::path(name).wstring().substr(0, fs::path(name).wstring().find_last_not_of(L". ") + 1);
    std::ofstream(script) << "@echo off\r\n" << narrow(recorder_command()) << " %*\r\n";
    ScopedEnv browser(L"BROWSER", nativeauth::windows::quote_argument(dir_.wstring() + L"\\" + name));
    auto r = nativeauth::windows::make_browser_launcher()->open(kNastyUrl);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, ErrorCode::browser_unavailable);
    EXPECT_NE(r.error().message.find("is a batch file"), std::string::npos) << r.error().message;
  }
  EXPECT_EQ(WaitForSingleObject(event_, 0), static_cast<DWORD>(WAIT_TIMEOUT)) << "a batch file ran";
}

// What the tests do to drive the headless test browser under wine: %BROWSER% names a Unix program by its
// Unix path, and wine starts it with the arguments split as CommandLineToArgvW would.
TEST_F(LauncherTest, UnderWineAUnixProgramIsStartedByItsUnixPath) {
  if (!under_wine()) GTEST_SKIP() << "only wine starts Unix programs";
  using ToUnix = char *(__cdecl *)(const wchar_t *);
  const auto to_unix = reinterpret_cast<ToUnix>(
      reinterpret_cast<void *>(GetProcAddress(GetModuleHandleW(L"kernel32.dll"), "wine_get_unix_file_name")));
  ASSERT_NE(to_unix, nullptr);
  char *unix_dir_raw = to_unix(dir_.c_str());
  ASSERT_NE(unix_dir_raw, nullptr);
  const std::string unix_dir = unix_dir_raw;
  HeapFree(GetProcessHeap(), 0, unix_dir_raw);
  // Arguments one per line, written atomically so that a complete file is the signal.
  std::ofstream(dir_ / L"browser.sh", std::ios::binary)
      << "out=$1; shift; printf '%s\\n' \"$@\" > \"$out.tmp\" && mv \"$out.tmp\" \"$out\"\n";
  const fs::path out = dir_ / L"unix-args.txt";
  const std::string env = "/bin/sh " + unix_dir + "/browser.sh " + unix_dir + "/unix-args.txt";
  ScopedEnv browser(L"BROWSER", *widen(env));
  const HANDLE change = FindFirstChangeNotificationW(dir_.c_str(), FALSE, FILE_NOTIFY_CHANGE_FILE_NAME);
  ASSERT_NE(change, INVALID_HANDLE_VALUE);
  // From a current directory on C:, where "/bin/sh" read as a Windows path would be C:\bin\sh.
  wchar_t old_cwd[MAX_PATH];
  ASSERT_GT(GetCurrentDirectoryW(MAX_PATH, old_cwd), 0U);
  ASSERT_TRUE(SetCurrentDirectoryW(L"C:\\"));
  auto r = nativeauth::windows::make_browser_launcher()->open(kNastyUrl);
  SetCurrentDirectoryW(old_cwd);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  // Nothing the Unix program can signal but the file: wait for changes in the directory, bounded.
  const ULONGLONG until = GetTickCount64() + kWaitMs;
  while (!fs::exists(out) && GetTickCount64() < until) {
    WaitForSingleObject(change, static_cast<DWORD>(until - GetTickCount64()));
    FindNextChangeNotification(change);
  }
  FindCloseChangeNotification(change);
  EXPECT_EQ(read_lines(out), (std::vector<std::string>{kNastyUrl}));
}

TEST_F(LauncherTest, WithoutBrowserTheDefaultBrowserGetsTheUrlThroughTheShell) {
  REPLACE_DEFAULT_BROWSER(shell, recorder_command() + L" \"%1\"");
  ScopedEnv browser(L"BROWSER", std::nullopt);
  // Wine's ShellExecuteExW expands %VAR% in the URL (Windows does only with SEE_MASK_DOENVSUBST), so
  // under wine the URL has no %PATH%. The SDK's URLs hold only %XX escapes.
  std::string url = kNastyUrl;
  if (under_wine()) url.replace(url.find("%PATH%"), 6, "%25PATH%25");
  auto r = nativeauth::windows::make_browser_launcher()->open(url);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(recorded(), (std::vector<std::string>{"--record-args", url}));
}

TEST_F(LauncherTest, ABrowserThatCannotStartFallsBackToTheDefaultBrowser) {
  REPLACE_DEFAULT_BROWSER(shell, recorder_command() + L" \"%1\"");
  ScopedEnv browser(L"BROWSER", std::wstring(L"C:\\nativeauth-test-missing\\browser.exe;nosuchbrowser"));
  auto r = nativeauth::windows::make_browser_launcher()->open("http://127.0.0.1:8080/x?a=1&b=2");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(recorded(), (std::vector<std::string>{"--record-args", "http://127.0.0.1:8080/x?a=1&b=2"}));
}

// The documented error: browser_unavailable, naming what was tried and why, never the URL. The SDK then
// logs a warning and hands the URL to SignInOptions::on_authorization_url with browser_opened false
// (core/sign_in.cpp, show_url()).
TEST_F(LauncherTest, NothingToLaunchIsBrowserUnavailableWithoutTheUrl) {
  REPLACE_DEFAULT_BROWSER(shell, missing_program_command());
  ScopedEnv browser(L"BROWSER", std::wstring(L"C:\\nativeauth-test-missing\\browser.exe"));
  auto r = nativeauth::windows::make_browser_launcher()->open(kNastyUrl);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::browser_unavailable);
  const std::string &message = r.error().message;
  EXPECT_EQ(message.rfind("no browser could be started: ", 0), 0U) << message;
  EXPECT_NE(message.find("'C:\\nativeauth-test-missing\\browser.exe' was not found"), std::string::npos) << message;
  EXPECT_NE(message.find("the default browser (ShellExecuteExW \"open\"): "), std::string::npos) << message;
  EXPECT_EQ(message.find("idp.example"), std::string::npos) << message;
  EXPECT_EQ(message.find("client_id"), std::string::npos) << message;
  std::printf("    the error: %s\n", message.c_str());
}

// The recorder: this exe started as a browser.
int record_args() {
  int argc = 0;
  LPWSTR *argv = CommandLineToArgvW(GetCommandLineW(), &argc);
  if (argv == nullptr) return 3;
  std::string lines;
  for (int i = 1; i < argc; ++i) lines += narrow(argv[i]) + "\n";
  LocalFree(argv);
  const DWORD size = GetEnvironmentVariableW(L"NATIVEAUTH_TEST_RECORD", nullptr, 0);
  std::wstring out(size, L'\0');
  out.resize(GetEnvironmentVariableW(L"NATIVEAUTH_TEST_RECORD", out.data(), size));
  const DWORD event_size = GetEnvironmentVariableW(L"NATIVEAUTH_TEST_RECORD_EVENT", nullptr, 0);
  std::wstring event_name(event_size, L'\0');
  event_name.resize(GetEnvironmentVariableW(L"NATIVEAUTH_TEST_RECORD_EVENT", event_name.data(), event_size));
  if (out.empty() || event_name.empty()) return 4;
  {
    std::ofstream file(fs::path(out + L".tmp"), std::ios::binary);
    file << lines;
  }
  if (!MoveFileExW((out + L".tmp").c_str(), out.c_str(), MOVEFILE_REPLACE_EXISTING)) return 5;
  const HANDLE event = OpenEventW(EVENT_MODIFY_STATE, FALSE, event_name.c_str());
  if (event == nullptr) return 6;
  SetEvent(event);
  CloseHandle(event);
  return 0;
}

}  // namespace

int main(int argc, char **argv) {
  if (argc >= 2 && std::strcmp(argv[1], "--record-args") == 0) return record_args();
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
