// SPDX-License-Identifier: Apache-2.0
// Showing text that came from outside (a provider, a redirect, a token, a keychain) in a message a person
// reads, so that nothing in it can act on a terminal or a log viewer: C0 and C1 controls (ESC starts the
// OSC and CSI sequences that retitle a terminal, clear it or fake links), DEL, and the Unicode bidi
// controls that reorder what is shown (CVE-2021-42574, "Trojan Source"). One implementation, used by
// every message the SDK builds around untrusted text and by the CLI before it prints. Header-only.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace nativeauth::util {

namespace detail {

inline void append_hex_escape(std::string &out, unsigned char c) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += "\\x";
  out += kHex[c >> 4];
  out += kHex[c & 0xF];
}

/// The length of the well-formed UTF-8 sequence at s[i] (RFC 3629 §4), or 0 when it is not one.
inline std::size_t utf8_sequence(std::string_view s, std::size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  std::size_t len = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;  // no surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if (b < (k == 1 ? lo : 0x80) || b > (k == 1 ? hi : 0xBF)) return 0;
  }
  return len;
}

inline char32_t utf8_code_point(std::string_view s, std::size_t i, std::size_t len) {
  const auto b = [&](std::size_t k) { return static_cast<char32_t>(static_cast<unsigned char>(s[i + k])); };
  if (len == 2) return ((b(0) & 0x1F) << 6) | (b(1) & 0x3F);
  if (len == 3) return ((b(0) & 0x0F) << 12) | ((b(1) & 0x3F) << 6) | (b(2) & 0x3F);
  return ((b(0) & 0x07) << 18) | ((b(1) & 0x3F) << 12) | ((b(2) & 0x3F) << 6) | (b(3) & 0x3F);
}

/// C1 controls (U+0080-U+009F), bidi embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069),
/// the bidi marks (U+200E, U+200F, U+061C), and the line and paragraph separators (U+2028, U+2029).
constexpr bool is_unsafe_code_point(char32_t cp) noexcept {
  return (cp >= 0x80 && cp <= 0x9F) || (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) ||
         cp == 0x200E || cp == 0x200F || cp == 0x061C || cp == 0x2028 || cp == 0x2029;
}

inline void append_code_point_escape(std::string &out, char32_t cp) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += "\\u";
  for (int shift = 12; shift >= 0; shift -= 4) out += kHex[(cp >> shift) & 0xF];
}

}  // namespace detail

/// `s` with every byte or character that could act on a terminal or reorder text shown as an escape: C0
/// controls and DEL as \xNN (newline and tab included), the C1, bidi and separator characters as \uNNNN, and
/// bytes that are not well-formed UTF-8 as \xNN. With `escape_quotes`, '"' and '\' are escaped too, so the
/// result can stand between quotes unambiguously. At most `max_bytes` of `s` are shown, then "...".
inline std::string escape_untrusted(std::string_view s, bool escape_quotes = false,
                                    std::size_t max_bytes = std::string_view::npos) {
  std::string out;
  const bool cut = s.size() > max_bytes;
  if (cut) s = s.substr(0, max_bytes);
  out.reserve(s.size() + 8);
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c < 0x20 || c == 0x7F || (escape_quotes && (c == '"' || c == '\\'))) {
        detail::append_hex_escape(out, c);
      } else {
        out += static_cast<char>(c);
      }
      ++i;
      continue;
    }
    const std::size_t len = detail::utf8_sequence(s, i);
    if (len == 0) {
      // Not UTF-8 (or a sequence the cut split): shown byte by byte, never passed through.
      detail::append_hex_escape(out, c);
      ++i;
      continue;
    }
    const char32_t cp = detail::utf8_code_point(s, i, len);
    if (detail::is_unsafe_code_point(cp)) {
      detail::append_code_point_escape(out, cp);
    } else {
      out.append(s.substr(i, len));
    }
    i += len;
  }
  if (cut) out += "...";
  return out;
}

/// `s` in double quotes for a one-line message, made harmless by escape_untrusted() (quotes and
/// backslashes escaped too). Text from outside the SDK is always shown through this.
inline std::string quoted(std::string_view s, std::size_t max_bytes = std::string_view::npos) {
  return "\"" + escape_untrusted(s, true, max_bytes) + "\"";
}

}  // namespace nativeauth::util
