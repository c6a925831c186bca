// SPDX-License-Identifier: Apache-2.0
// What the file store and the slot locks share: the per-user state directory, 0700 directory creation,
// and the words their refusals use (mode, kind, a path a shell takes as one word).
#pragma once

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <pwd.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

namespace nativeauth::posix {

/// "0700".
inline std::string mode_text(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

/// For the fix a message suggests: a path a shell can take as one word.
inline std::string shell_word(const std::string &s) {
  const bool plain = !s.empty() && std::all_of(s.begin(), s.end(), [](char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '/' || c == '.' ||
           c == '_' || c == '-' || c == '+' || c == '%' || c == ',' || c == ':' || c == '@';
  });
  if (plain) return s;
  std::string out = "'";
  for (const char ch : s) out += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
  return out + "'";
}

inline std::string kind_text(mode_t mode) {
  if (S_ISLNK(mode)) return "a symbolic link";
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISREG(mode)) return "a regular file";
  return "a special file";
}

/// $HOME when absolute, else the password database's home; empty when neither.
inline std::string home_directory() {
  if (const char *env = std::getenv("HOME"); env && env[0] == '/') return env;
  const long size = ::sysconf(_SC_GETPW_R_SIZE_MAX);
  std::vector<char> buf(size > 0 ? static_cast<std::size_t>(size) : 16384);
  struct passwd pw {};
  struct passwd *found = nullptr;
  if (::getpwuid_r(::geteuid(), &pw, buf.data(), buf.size(), &found) == 0 && found && found->pw_dir &&
      found->pw_dir[0] == '/') {
    return found->pw_dir;
  }
  return {};
}

/// nativeauth's per-user state directory: $XDG_STATE_HOME/nativeauth (only if absolute: the XDG Base
/// Directory spec calls a relative value invalid), else ~/.local/state/nativeauth; nullopt without a home.
inline std::optional<std::string> state_directory() {
  if (const char *state = std::getenv("XDG_STATE_HOME"); state && state[0] == '/') {
    return std::string(state) + "/nativeauth";
  }
  const std::string home = home_directory();
  if (home.empty()) return std::nullopt;
  return home + "/.local/state/nativeauth";
}

/// mkdir -p with 0700 for every directory it creates; existing ones are left as they are.
/// On failure, the directory that could not be created and errno.
inline std::optional<std::pair<std::string, int>> make_private_directories(const std::string &dir) {
  for (std::size_t slash = dir.find('/', 1);; slash = dir.find('/', slash + 1)) {
    const std::string prefix = dir.substr(0, slash);
    if (!prefix.empty() && ::mkdir(prefix.c_str(), 0700) != 0 && errno != EEXIST) {
      return std::make_pair(prefix, errno);
    }
    if (slash == std::string::npos) return std::nullopt;
  }
}

}  // namespace nativeauth::posix
