// SPDX-License-Identifier: Apache-2.0
// What the Windows parts share: UTF-8 <-> UTF-16, Win32 error text, command-line quoting, the user's SID, an
// owner-only security descriptor, and the FNV-1a slot names every platform computes alike.
#pragma once

#include <nativeauth/error.hpp>
#include <nativeauth/platform/credential_store.hpp>
#include <nativeauth/result.hpp>

#include "util/slot_hash.hpp"

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#ifndef NOMINMAX
#define NOMINMAX
#endif
#include <windows.h>
// clang-format off: these need <windows.h> first
#include <sddl.h>
// clang-format on

#include <climits>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nativeauth::windows {

/// UTF-8 to UTF-16; nullopt for invalid UTF-8 (never a silent U+FFFD in a name or a command line).
inline std::optional<std::wstring> widen(std::string_view s) {
  if (s.empty()) return std::wstring();
  if (s.size() > static_cast<std::size_t>(INT_MAX)) return std::nullopt;
  const int len = static_cast<int>(s.size());
  const int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s.data(), len, nullptr, 0);
  if (n <= 0) return std::nullopt;
  std::wstring w(static_cast<std::size_t>(n), L'\0');
  MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s.data(), len, w.data(), n);
  return w;
}

inline std::string narrow(std::wstring_view w) {
  if (w.empty() || w.size() > static_cast<std::size_t>(INT_MAX)) return {};
  const int len = static_cast<int>(w.size());
  const int n = WideCharToMultiByte(CP_UTF8, 0, w.data(), len, nullptr, 0, nullptr, nullptr);
  if (n <= 0) return {};
  std::string s(static_cast<std::size_t>(n), '\0');
  WideCharToMultiByte(CP_UTF8, 0, w.data(), len, s.data(), n, nullptr, nullptr);
  return s;
}

/// "Access is denied (error 5)": FormatMessageW's text without its trailing period and line break.
inline std::string system_message(DWORD code) {
  wchar_t *buf = nullptr;
  const DWORD flags = FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS;
  const DWORD n = FormatMessageW(flags, nullptr, code, 0, reinterpret_cast<LPWSTR>(&buf), 0, nullptr);
  std::unique_ptr<wchar_t, HLOCAL (*)(HLOCAL)> owned(buf, &LocalFree);
  std::string text = (n > 0 && buf != nullptr) ? narrow(std::wstring_view(buf, n)) : std::string();
  while (!text.empty() && (text.back() == '\r' || text.back() == '\n' || text.back() == ' ' || text.back() == '.'))
    text.pop_back();
  if (text.empty()) text = "unknown error";
  return text + " (error " + std::to_string(code) + ")";
}

/// One argument after the program, quoted so that CommandLineToArgvW and the C runtimes split it back to
/// exactly `arg`: left bare unless it is empty or has a space, tab, line break or quote; then quoted, every
/// quote escaped as \" and the backslashes just before a quote or the closing quote doubled.
inline std::wstring quote_argument(const std::wstring &arg) {
  if (!arg.empty() && arg.find_first_of(L" \t\n\v\"") == std::wstring::npos) return arg;
  std::wstring out = L"\"";
  std::size_t backslashes = 0;
  for (const wchar_t c : arg) {
    if (c == L'\\') {
      ++backslashes;
      continue;
    }
    // Backslashes are literal unless a quote follows them: then each one is doubled, and \" is the quote.
    out.append(c == L'"' ? 2 * backslashes + 1 : backslashes, L'\\');
    backslashes = 0;
    out += c;
  }
  out.append(2 * backslashes, L'\\');  // before the closing quote
  out += L'"';
  return out;
}

/// Closes a kernel handle (nullptr and INVALID_HANDLE_VALUE are both "none").
class UniqueHandle {
 public:
  UniqueHandle() = default;
  explicit UniqueHandle(HANDLE h) noexcept : h_(h == INVALID_HANDLE_VALUE ? nullptr : h) {}
  UniqueHandle(UniqueHandle &&o) noexcept : h_(o.h_) { o.h_ = nullptr; }
  UniqueHandle &operator=(UniqueHandle &&o) noexcept {
    if (this != &o) {
      reset();
      h_ = o.h_;
      o.h_ = nullptr;
    }
    return *this;
  }
  UniqueHandle(const UniqueHandle &) = delete;
  UniqueHandle &operator=(const UniqueHandle &) = delete;
  ~UniqueHandle() { reset(); }
  void reset() noexcept {
    if (h_ != nullptr) CloseHandle(h_);
    h_ = nullptr;
  }
  HANDLE get() const noexcept { return h_; }
  bool valid() const noexcept { return h_ != nullptr; }

 private:
  HANDLE h_ = nullptr;
};

/// The user SID of a process's token as a string ("S-1-5-21-…"); nullopt with GetLastError() set when
/// the process or its token cannot be opened. `process` nullptr: this process.
inline std::optional<std::wstring> process_user_sid(HANDLE process = nullptr) {
  HANDLE token_raw = nullptr;
  if (!OpenProcessToken(process != nullptr ? process : GetCurrentProcess(), TOKEN_QUERY, &token_raw))
    return std::nullopt;
  UniqueHandle token(token_raw);
  DWORD size = 0;
  GetTokenInformation(token.get(), TokenUser, nullptr, 0, &size);
  if (size == 0) return std::nullopt;
  std::vector<unsigned char> buf(size);
  if (!GetTokenInformation(token.get(), TokenUser, buf.data(), size, &size)) return std::nullopt;
  wchar_t *text = nullptr;
  if (!ConvertSidToStringSidW(reinterpret_cast<TOKEN_USER *>(buf.data())->User.Sid, &text)) return std::nullopt;
  std::unique_ptr<wchar_t, HLOCAL (*)(HLOCAL)> owned(text, &LocalFree);
  return std::wstring(text);
}

/// A security descriptor that grants everything to `sid` and nothing to anyone else (a protected DACL,
/// so nothing is inherited), owned by `sid`. For a named pipe or mutex only this user may open.
class OwnerOnlySecurity {
 public:
  explicit OwnerOnlySecurity(const std::wstring &sid) {
    const std::wstring sddl = L"O:" + sid + L"D:P(A;;GA;;;" + sid + L")";
    PSECURITY_DESCRIPTOR sd = nullptr;
    if (ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl.c_str(), SDDL_REVISION_1, &sd, nullptr)) {
      sd_ = sd;
      attributes_.nLength = sizeof attributes_;
      attributes_.lpSecurityDescriptor = sd_;
      attributes_.bInheritHandle = FALSE;
    } else {
      error_ = GetLastError();
    }
  }
  OwnerOnlySecurity(const OwnerOnlySecurity &) = delete;
  OwnerOnlySecurity &operator=(const OwnerOnlySecurity &) = delete;
  ~OwnerOnlySecurity() {
    if (sd_ != nullptr) LocalFree(sd_);
  }
  /// nullptr when the descriptor could not be built (error() says why).
  SECURITY_ATTRIBUTES *attributes() { return sd_ != nullptr ? &attributes_ : nullptr; }
  DWORD error() const { return error_; }

 private:
  PSECURITY_DESCRIPTOR sd_ = nullptr;
  SECURITY_ATTRIBUTES attributes_{};
  DWORD error_ = 0;
};

/// 16 lower-case hex digits naming the slot, the same on every platform (util/slot_hash.hpp).
inline std::string slot_hash(const platform::SlotKey &key) {
  return util::slot_hash_hex(key.issuer, key.client_id, key.profile);
}

}  // namespace nativeauth::windows
