// SPDX-License-Identifier: Apache-2.0
// register_url_scheme() on Windows: the per-user URL protocol key HKCU\Software\Classes\<scheme>
// ("Registering an Application to a URL Scheme", Windows docs; RFC 8252 §7.1 for the scheme itself).
//
// What is written, all under HKCU\Software\Classes\<scheme> (the scheme in lower case):
//     (default)                 REG_SZ  "URL:<display name>"
//     URL Protocol              REG_SZ  ""           marks the key as a URL scheme for the shell
//     NativeauthScheme          REG_SZ  "<scheme>"   marks the key as ours (see unregister below)
//     shell\open\command
//         (default)             REG_SZ  "<program>" <arg> ... "%1"
// REG_SZ, never REG_EXPAND_SZ: nothing in the command is an environment variable.
//
// The command line follows the rules every C runtime and CommandLineToArgvW parse by: the program is
// always quoted and taken up to the next quote (so it may hold no quote, which no Windows path does);
// an argument is left bare unless it is empty or has a space, tab, line break or quote, and then it is
// quoted with every quote escaped as \" and the backslashes just before a quote or the closing quote
// doubled. The shell puts the URL in place of %1. It expands other %-codes too (%*, %L, %2 ...) and
// has no documented escape for a literal '%', so a handler argument with '%' is refused.
//
// register replaces the whole key (RegDeleteTreeW, then writes): leftovers of an earlier registration,
// ours or another app's (a DefaultIcon, a shell\open\ddeexec that would turn the launch into DDE), must
// not change how the URL is delivered. This is what the header promises ("replacing an earlier
// registration") and what the Linux half does by making its entry the default.
// unregister deletes the key only when it carries our NativeauthScheme value. A key without it belongs to
// another application (or to a user's own .reg file): it is left as it is and unregister still reports
// success, because the scheme is then "not registered by this SDK", which is the Ok case of the header.
#include <nativeauth/url_scheme.hpp>

#include "util/uri_scheme.hpp"
#include "windows/win32.hpp"

#include <cctype>
#include <exception>
#include <new>
#include <string>
#include <vector>

namespace nativeauth {
namespace {

constexpr wchar_t kClasses[] = L"Software\\Classes";
constexpr wchar_t kMarker[] = L"NativeauthScheme";

Error failed(const std::string &what, LSTATUS status) {
  return make_error(ErrorCode::storage_unavailable,
                    "Windows registry: " + what + " failed: " + windows::system_message(static_cast<DWORD>(status)));
}

// RFC 3986 §3.1 scheme syntax, plus RFC 8252 §7.1: a reverse domain name, so it has a dot. The same
// check as on Linux; registry key names ignore case, and so do URI schemes, so it is kept lower-case.
Result<std::string> checked_scheme(const std::string &scheme) {
  if (auto lower = util::reverse_domain_scheme(scheme)) return std::move(*lower);
  return make_error(ErrorCode::invalid_argument,
                    "'" + scheme + "' is not a reverse-domain URI scheme such as com.example.app (RFC 8252 §7.1)");
}

// "C:\dir\app.exe", "C:/dir/app.exe" or "\\server\share\app.exe"; not "C:app.exe", "\app.exe" or "app.exe".
bool is_absolute_path(const std::wstring &p) {
  const auto slash = [](wchar_t c) { return c == L'\\' || c == L'/'; };
  if (p.size() >= 3 && ((p[0] >= L'A' && p[0] <= L'Z') || (p[0] >= L'a' && p[0] <= L'z')) && p[1] == L':' &&
      slash(p[2]))
    return true;
  return p.size() >= 3 && slash(p[0]) && slash(p[1]) && !slash(p[2]);
}

Result<std::wstring> command_line(const std::vector<std::string> &command) {
  const auto bad = [](const std::string &why) { return make_error(ErrorCode::invalid_argument, why); };
  if (command.empty()) return bad("the handler command must start with an absolute program path");
  std::wstring line;
  for (std::size_t i = 0; i < command.size(); ++i) {
    const std::string &arg = command[i];
    if (arg.find_first_of(std::string("\r\n\0", 3)) != std::string::npos)
      return bad("a handler argument contains a line break or a NUL");
    if (arg.find('%') != std::string::npos)
      return bad("a handler argument contains '%', which the Windows shell would expand in the command line");
    auto wide = windows::widen(arg);
    if (!wide) return bad("a handler argument is not valid UTF-8");
    if (i == 0) {
      if (!is_absolute_path(*wide) || wide->find(L'"') != std::wstring::npos)
        return bad("the handler command must start with an absolute program path (C:\\... or \\\\server\\...)");
      line += L"\"" + *wide + L"\"";
    } else {
      line += L" " + windows::quote_argument(*wide);
    }
  }
  return line + L" \"%1\"";
}

// Closes an HKEY.
class Key {
 public:
  Key() = default;
  Key(const Key &) = delete;
  Key &operator=(const Key &) = delete;
  ~Key() {
    if (h_ != nullptr) RegCloseKey(h_);
  }
  HKEY *out() { return &h_; }
  HKEY get() const { return h_; }

 private:
  HKEY h_ = nullptr;
};

LSTATUS set_string(HKEY key, const wchar_t *name, const std::wstring &value) {
  const auto bytes = static_cast<DWORD>((value.size() + 1) * sizeof(wchar_t));
  return RegSetValueExW(key, name, 0, REG_SZ, reinterpret_cast<const BYTE *>(value.c_str()), bytes);
}

}  // namespace

Result<void> register_url_scheme(const UrlSchemeHandler &handler) {
  try {
    auto scheme = checked_scheme(handler.scheme);
    if (!scheme) return std::move(scheme).error();
    auto command = command_line(handler.command);
    if (!command) return std::move(command).error();
    std::string name = handler.display_name.empty() ? *scheme : handler.display_name;
    for (auto &c : name)
      if (c == '\n' || c == '\r' || c == '\0') c = ' ';
    auto display = windows::widen(name);
    if (!display) return make_error(ErrorCode::invalid_argument, "the display name is not valid UTF-8");
    const std::wstring wscheme = *windows::widen(*scheme);  // ASCII, checked above

    Key classes;
    LSTATUS rc = RegCreateKeyExW(HKEY_CURRENT_USER, kClasses, 0, nullptr, 0, KEY_ALL_ACCESS, nullptr, classes.out(),
                                 nullptr);
    if (rc != ERROR_SUCCESS) return failed("opening HKCU\\Software\\Classes", rc);
    rc = RegDeleteTreeW(classes.get(), wscheme.c_str());
    if (rc != ERROR_SUCCESS && rc != ERROR_FILE_NOT_FOUND)
      return failed("removing the earlier registration of " + *scheme, rc);

    const std::string where = "HKCU\\Software\\Classes\\" + *scheme;
    Key root;
    rc = RegCreateKeyExW(classes.get(), wscheme.c_str(), 0, nullptr, 0, KEY_ALL_ACCESS, nullptr, root.out(), nullptr);
    if (rc != ERROR_SUCCESS) return failed("creating " + where, rc);
    // The marker goes first: a registration cut short half-way is still ours to remove.
    if ((rc = set_string(root.get(), kMarker, wscheme)) != ERROR_SUCCESS ||
        (rc = set_string(root.get(), nullptr, L"URL:" + *display)) != ERROR_SUCCESS ||
        (rc = set_string(root.get(), L"URL Protocol", L"")) != ERROR_SUCCESS)
      return failed("writing " + where, rc);
    Key open;
    rc = RegCreateKeyExW(root.get(), L"shell\\open\\command", 0, nullptr, 0, KEY_SET_VALUE, nullptr, open.out(),
                         nullptr);
    if (rc == ERROR_SUCCESS) rc = set_string(open.get(), nullptr, *command);
    if (rc != ERROR_SUCCESS) return failed("writing " + where + "\\shell\\open\\command", rc);
    return {};
  } catch (const std::bad_alloc &) {
    return make_error(ErrorCode::internal, "out of memory while registering the scheme");
  } catch (const std::exception &e) {
    return make_error(ErrorCode::internal, std::string("could not register the scheme: ") + e.what());
  }
}

Result<void> unregister_url_scheme(const std::string &scheme_in) {
  try {
    auto scheme = checked_scheme(scheme_in);
    if (!scheme) return std::move(scheme).error();
    const std::wstring wscheme = *windows::widen(*scheme);
    Key classes;
    LSTATUS rc = RegOpenKeyExW(HKEY_CURRENT_USER, kClasses, 0, KEY_ALL_ACCESS, classes.out());
    if (rc == ERROR_FILE_NOT_FOUND) return {};
    if (rc != ERROR_SUCCESS) return failed("opening HKCU\\Software\\Classes", rc);
    rc = RegGetValueW(classes.get(), wscheme.c_str(), kMarker, RRF_RT_ANY, nullptr, nullptr, nullptr);
    if (rc == ERROR_FILE_NOT_FOUND) return {};  // not registered, or registered by someone else: left alone
    if (rc != ERROR_SUCCESS) return failed("reading HKCU\\Software\\Classes\\" + *scheme, rc);
    rc = RegDeleteTreeW(classes.get(), wscheme.c_str());  // the key itself and everything below it
    if (rc != ERROR_SUCCESS && rc != ERROR_FILE_NOT_FOUND)
      return failed("removing HKCU\\Software\\Classes\\" + *scheme, rc);
    return {};
  } catch (const std::bad_alloc &) {
    return make_error(ErrorCode::internal, "out of memory while unregistering the scheme");
  } catch (const std::exception &e) {
    return make_error(ErrorCode::internal, std::string("could not unregister the scheme: ") + e.what());
  }
}

}  // namespace nativeauth
