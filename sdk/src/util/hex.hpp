// SPDX-License-Identifier: Apache-2.0
// Hexadecimal digits: reading one (percent-decoding, escaped names), writing a 64-bit value or bytes.
// Header-only; shared by core, platform, C ABI and CLI. Not here: base64url (core/base64url.hpp).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace nativeauth::util {

/// The value of one hex digit (0-9, a-f, A-F), or -1 for any other byte.
constexpr int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// `value` as exactly 16 lower-case hex digits.
inline std::string hex16(std::uint64_t value) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, value >>= 4) out[static_cast<std::size_t>(i)] = kDigits[value & 15];
  return out;
}

/// `bytes` as two lower-case hex digits each.
inline std::string hex_bytes(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  return out;
}

}  // namespace nativeauth::util
