// SPDX-License-Identifier: Apache-2.0
// The custom URI schemes a native app may claim for its redirect: RFC 3986 §3.1 syntax, and a reverse
// domain name the app controls (RFC 8252 §7.1), so it has a dot. Header-only; shared by the core (redirect
// URIs) and the platforms (scheme registration). Not here: registering anything.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace nativeauth::util {

/// RFC 3986 §3.1: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ).
constexpr bool is_scheme_char(char ch) noexcept {
  const auto c = static_cast<unsigned char>(ch);
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.';
}

/// `scheme` lower-cased (schemes compare case-insensitively) when it is a reverse-domain scheme such as
/// com.example.app; nullopt otherwise.
inline std::optional<std::string> reverse_domain_scheme(std::string_view scheme) {
  if (scheme.empty() || scheme.find('.') == std::string_view::npos) return std::nullopt;
  const auto first = static_cast<unsigned char>(scheme[0]);
  if (!((first >= 'a' && first <= 'z') || (first >= 'A' && first <= 'Z'))) return std::nullopt;
  std::string out;
  out.reserve(scheme.size());
  for (const char ch : scheme) {
    if (!is_scheme_char(ch)) return std::nullopt;
    out += (ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch - 'A' + 'a') : ch;
  }
  return out;
}

}  // namespace nativeauth::util
