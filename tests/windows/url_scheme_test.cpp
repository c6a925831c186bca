// SPDX-License-Identifier: Apache-2.0
// Tests register_url_scheme() on Windows against the real registry (under wine on Linux): the key it
// writes, read back with RegGetValueW; replacing and removing it; leaving another app's key alone; the
// refusals; and the command line's quoting, split back with CommandLineToArgvW.
#include <nativeauth/error.hpp>
#include <nativeauth/url_scheme.hpp>

#include "check.hpp"

// clang-format off: needs <windows.h> first
#include <shellapi.h>
// clang-format on

#include <optional>
#include <string>
#include <vector>

using nativeauth::ErrorCode;
using nativeauth::UrlSchemeHandler;

namespace {

std::string g_run;  // per run, so a run on a real Windows account never meets an earlier one's keys
const std::wstring kClasses = L"Software\\Classes\\";

std::string scheme(const std::string &name) { return "com.example.natest" + g_run + "." + name; }

std::wstring widen(const std::string &s) {
  if (s.empty()) return {};
  const int n = MultiByteToWideChar(CP_UTF8, 0, s.data(), static_cast<int>(s.size()), nullptr, 0);
  std::wstring w(static_cast<std::size_t>(n), L'\0');
  MultiByteToWideChar(CP_UTF8, 0, s.data(), static_cast<int>(s.size()), w.data(), n);
  return w;
}

// A REG_SZ value below HKCU\Software\Classes\<scheme>; nullopt when the key or the value is missing.
std::optional<std::wstring> value(const std::string &sch, const wchar_t *subkey, const wchar_t *name) {
  std::wstring path = kClasses + widen(sch);
  if (subkey != nullptr) path += std::wstring(L"\\") + subkey;
  DWORD bytes = 0;
  if (RegGetValueW(HKEY_CURRENT_USER, path.c_str(), name, RRF_RT_REG_SZ, nullptr, nullptr, &bytes) != ERROR_SUCCESS)
    return std::nullopt;
  std::wstring out(bytes / sizeof(wchar_t), L'\0');
  if (RegGetValueW(HKEY_CURRENT_USER, path.c_str(), name, RRF_RT_REG_SZ, nullptr, out.data(), &bytes) != ERROR_SUCCESS)
    return std::nullopt;
  out.resize(wcslen(out.c_str()));
  return out;
}

bool key_exists(const std::string &sch, const wchar_t *subkey = nullptr) {
  std::wstring path = kClasses + widen(sch);
  if (subkey != nullptr) path += std::wstring(L"\\") + subkey;
  HKEY k = nullptr;
  if (RegOpenKeyExW(HKEY_CURRENT_USER, path.c_str(), 0, KEY_READ, &k) != ERROR_SUCCESS) return false;
  RegCloseKey(k);
  return true;
}

bool set_value(const std::wstring &path, const wchar_t *name, const std::wstring &v) {
  HKEY k = nullptr;
  if (RegCreateKeyExW(HKEY_CURRENT_USER, path.c_str(), 0, nullptr, 0, KEY_ALL_ACCESS, nullptr, &k, nullptr) !=
      ERROR_SUCCESS)
    return false;
  const LSTATUS rc = RegSetValueExW(k, name, 0, REG_SZ, reinterpret_cast<const BYTE *>(v.c_str()),
                                    static_cast<DWORD>((v.size() + 1) * sizeof(wchar_t)));
  RegCloseKey(k);
  return rc == ERROR_SUCCESS;
}

UrlSchemeHandler handler(const std::string &sch, std::vector<std::string> command, const std::string &display = "") {
  UrlSchemeHandler h;
  h.scheme = sch;
  h.command = std::move(command);
  h.display_name = display;
  return h;
}

bool registers(const UrlSchemeHandler &h) {
  auto r = nativeauth::register_url_scheme(h);
  if (!r) std::printf("    register failed: %s\n", r.error().to_string().c_str());
  return r.has_value();
}

ErrorCode register_error(const UrlSchemeHandler &h) {
  auto r = nativeauth::register_url_scheme(h);
  return r ? ErrorCode::ok : r.error().code;
}

// What a program started with this command line would get as its argv.
std::vector<std::wstring> split(const std::wstring &line) {
  int argc = 0;
  wchar_t **argv = CommandLineToArgvW(line.c_str(), &argc);
  std::vector<std::wstring> out;
  if (argv == nullptr) return out;
  for (int i = 0; i < argc; ++i) out.emplace_back(argv[i]);
  LocalFree(argv);
  return out;
}

// The shell's substitution of %1 (the only %-code the registered command holds).
std::wstring substitute(std::wstring line, const std::wstring &url) {
  const auto at = line.find(L"%1");
  if (at != std::wstring::npos) line.replace(at, 2, url);
  return line;
}

const std::string kApp = "C:\\Program Files\\Example App\\app.exe";

void register_writes_the_documented_key() {
  const std::string s = scheme("basic");
  CHECK(registers(handler(s, {kApp, "--handle-redirect"}, "Example App")));
  CHECK(value(s, nullptr, nullptr) == std::wstring(L"URL:Example App"));
  CHECK(value(s, nullptr, L"URL Protocol") == std::wstring());  // present and empty
  CHECK(value(s, nullptr, L"NativeauthScheme") == widen(s));
  const auto command = value(s, L"shell\\open\\command", nullptr);
  CHECK(command == std::wstring(L"\"C:\\Program Files\\Example App\\app.exe\" --handle-redirect \"%1\""));
  CHECK(nativeauth::unregister_url_scheme(s).has_value());
}

void display_name_defaults_to_the_scheme_and_case_is_folded() {
  const std::string s = scheme("case");
  std::string upper = s;
  for (auto &c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  CHECK(registers(handler(upper, {kApp})));
  CHECK(value(s, nullptr, nullptr) == L"URL:" + widen(s));
  CHECK(value(s, nullptr, L"NativeauthScheme") == widen(s));  // the name written is lower-case
  CHECK(value(s, L"shell\\open\\command", nullptr) ==
        std::wstring(L"\"C:\\Program Files\\Example App\\app.exe\" \"%1\""));
  CHECK(nativeauth::unregister_url_scheme(upper).has_value());
  CHECK(!key_exists(s));
}

void reregister_replaces_everything() {
  const std::string s = scheme("replace");
  CHECK(registers(handler(s, {kApp, "--old"}, "Old")));
  // Leftovers another registration could have made: they must not survive a new registration.
  CHECK(set_value(kClasses + widen(s) + L"\\DefaultIcon", nullptr, L"C:\\old.ico"));
  CHECK(set_value(kClasses + widen(s) + L"\\shell\\open\\ddeexec", nullptr, L"[open(\"%1\")]"));
  CHECK(registers(handler(s, {"D:\\new\\app.exe", "--new"}, "New")));
  CHECK(value(s, nullptr, nullptr) == std::wstring(L"URL:New"));
  CHECK(value(s, L"shell\\open\\command", nullptr) == std::wstring(L"\"D:\\new\\app.exe\" --new \"%1\""));
  CHECK(!key_exists(s, L"DefaultIcon"));
  CHECK(!key_exists(s, L"shell\\open\\ddeexec"));
  CHECK(nativeauth::unregister_url_scheme(s).has_value());
}

void register_takes_over_a_foreign_key() {
  // The header promises "replacing an earlier registration of the scheme", whoever made it.
  const std::string s = scheme("takeover");
  CHECK(set_value(kClasses + widen(s) + L"\\shell\\open\\command", nullptr, L"\"C:\\other.exe\" \"%1\""));
  CHECK(registers(handler(s, {kApp})));
  CHECK(value(s, L"shell\\open\\command", nullptr) ==
        std::wstring(L"\"C:\\Program Files\\Example App\\app.exe\" \"%1\""));
  CHECK(value(s, nullptr, L"NativeauthScheme").has_value());
  CHECK(nativeauth::unregister_url_scheme(s).has_value());
  CHECK(!key_exists(s));
}

void unregister_removes_the_key() {
  const std::string s = scheme("remove");
  CHECK(registers(handler(s, {kApp})));
  CHECK(key_exists(s, L"shell\\open\\command"));
  CHECK(nativeauth::unregister_url_scheme(s).has_value());
  CHECK(!key_exists(s));
  CHECK(nativeauth::unregister_url_scheme(s).has_value());  // nothing registered: still Ok
  CHECK(nativeauth::unregister_url_scheme(scheme("never")).has_value());
}

void unregister_leaves_a_foreign_key_alone() {
  const std::string s = scheme("foreign");
  const std::wstring base = kClasses + widen(s);
  CHECK(set_value(base, nullptr, L"URL:Another App"));
  CHECK(set_value(base, L"URL Protocol", L""));
  CHECK(set_value(base + L"\\shell\\open\\command", nullptr, L"\"C:\\other.exe\" \"%1\""));
  CHECK(nativeauth::unregister_url_scheme(s).has_value());  // Ok: this SDK registered nothing
  CHECK(value(s, nullptr, nullptr) == std::wstring(L"URL:Another App"));
  CHECK(value(s, L"shell\\open\\command", nullptr) == std::wstring(L"\"C:\\other.exe\" \"%1\""));
  CHECK(RegDeleteTreeW(HKEY_CURRENT_USER, base.c_str()) == ERROR_SUCCESS);
}

void invalid_schemes_and_commands_are_refused() {
  for (const std::string bad : {"", "noscheme", "1com.example", "com.exa mple", "com.exa_mple", "com/example.app",
                                "com.example.app:", "-com.example", "com.ex\xc3\xa4mple"}) {
    CHECK(register_error(handler(bad, {kApp})) == ErrorCode::invalid_argument);
    auto un = nativeauth::unregister_url_scheme(bad);
    CHECK(!un && un.error().code == ErrorCode::invalid_argument);
  }
  const std::string s = scheme("refused");
  const std::vector<std::vector<std::string>> bad_commands{
      {},
      {""},
      {"app.exe"},
      {"C:app.exe"},
      {"\\app.exe"},
      {"dir\\app.exe"},
      {"C:\\dir\\a\"b.exe"},
      {kApp, "--x=%1"},
      {kApp, "%USERPROFILE%"},
      {kApp, "two\nlines"},
      {kApp, "carriage\rreturn"},
      {kApp, std::string("nul\0byte", 8)},
      {kApp, "bad\xff utf-8"},
  };
  for (const auto &command : bad_commands) CHECK(register_error(handler(s, command)) == ErrorCode::invalid_argument);
  CHECK(!key_exists(s));  // a refusal writes nothing
  // Absolute forms that are accepted: drive with either slash, and UNC.
  for (const std::string good : {"C:/dir/app.exe", "c:\\app.exe", "\\\\server\\share\\app.exe"}) {
    CHECK(registers(handler(s, {good})));
    CHECK(value(s, L"shell\\open\\command", nullptr) == L"\"" + widen(good) + L"\" \"%1\"");
  }
  CHECK(nativeauth::unregister_url_scheme(s).has_value());
}

void command_line_round_trips_through_CommandLineToArgvW() {
  const std::string s = scheme("quoting");
  const std::vector<std::string> tricky{
      "plain",
      "with space",
      "",
      "tab\there",
      "vertical\vtab",
      "quote\"inside",
      "\"",
      "\"\"",
      "\\\"",
      "trailing\\",
      "trailing space\\",
      "trailing two\\\\",
      "\\\\server\\share\\",
      "C:\\dir with space\\",
      "a\\\\\"b",
      "a\\b\\c",
      "a\\\\b c",
      " leading",
      "trailing ",
      "ends with quote\"",
      "--opt=\"value with space\"",
      "\xc3\xbcmlaut \xe2\x9c\x93",
      "\xf0\x9f\x94\x91 astral",
      "semi;colon&amp|pipe<>^",
  };
  const std::wstring url = L"com.example.app:/callback?code=abc&state=x%20y";
  std::vector<std::vector<std::string>> commands;
  commands.push_back({kApp});
  for (const auto &arg : tricky) commands.push_back({kApp, arg});
  commands.push_back([&] {
    std::vector<std::string> all{"\\\\server\\share with space\\app.exe"};
    all.insert(all.end(), tricky.begin(), tricky.end());
    return all;
  }());
  for (const auto &command : commands) {
    CHECK(registers(handler(s, command)));
    const auto line = value(s, L"shell\\open\\command", nullptr);
    CHECK(line.has_value());
    if (!line) continue;
    std::vector<std::wstring> expected;
    for (const auto &arg : command) expected.push_back(widen(arg));
    expected.push_back(url);
    const auto got = split(substitute(*line, url));
    if (got != expected) std::printf("    round trip changed the arguments of: %ls\n", line->c_str());
    CHECK(got == expected);
  }
  CHECK(nativeauth::unregister_url_scheme(s).has_value());
}

void nothing_is_left_behind() {
  // Every key this run made is gone (each test removed its own).
  HKEY classes = nullptr;
  CHECK(RegOpenKeyExW(HKEY_CURRENT_USER, L"Software\\Classes", 0, KEY_READ, &classes) == ERROR_SUCCESS);
  const std::wstring prefix = widen("com.example.natest" + g_run + ".");
  int ours = 0;
  wchar_t name[256];
  for (DWORD i = 0;; ++i) {
    DWORD len = 256;
    if (RegEnumKeyExW(classes, i, name, &len, nullptr, nullptr, nullptr, nullptr) != ERROR_SUCCESS) break;
    if (std::wstring(name).rfind(prefix, 0) == 0) ++ours;
  }
  RegCloseKey(classes);
  CHECK(ours == 0);
}

}  // namespace

int main() {
  g_run = std::to_string(GetCurrentProcessId());
  return wintest::run_all({
      {"register_writes_the_documented_key", register_writes_the_documented_key},
      {"display_name_defaults_to_the_scheme_and_case_is_folded",
       display_name_defaults_to_the_scheme_and_case_is_folded},
      {"reregister_replaces_everything", reregister_replaces_everything},
      {"register_takes_over_a_foreign_key", register_takes_over_a_foreign_key},
      {"unregister_removes_the_key", unregister_removes_the_key},
      {"unregister_leaves_a_foreign_key_alone", unregister_leaves_a_foreign_key_alone},
      {"invalid_schemes_and_commands_are_refused", invalid_schemes_and_commands_are_refused},
      {"command_line_round_trips_through_CommandLineToArgvW", command_line_round_trips_through_CommandLineToArgvW},
      {"nothing_is_left_behind", nothing_is_left_behind},
  });
}
