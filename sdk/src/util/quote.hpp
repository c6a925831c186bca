// SPDX-License-Identifier: Apache-2.0
// Quoting text that came from outside (a provider, a redirect, a keychain) inside a one-line message a
// person reads: one function, so every message shows such text the same way and no control byte reaches
// a log or a terminal through it. Header-only; shared by every layer.
#pragma once

#include <string>
#include <string_view>

namespace nativeauth::util {

/// `s` in double quotes, with control characters, '"' and '\' shown as \xNN.
inline std::string quoted(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f || ch == '"' || ch == '\\') {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    } else {
      out += ch;
    }
  }
  return out + "\"";
}

}  // namespace nativeauth::util
