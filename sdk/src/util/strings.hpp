// SPDX-License-Identifier: Apache-2.0
// String helpers every layer shares (core, platform, C ABI, CLI): splitting on white space, joining,
// ASCII case folding. Header-only, standard library only, so the CLI and the C ABI can use it without
// linking the SDK's internals. Not here: URL and query encoding (core/url.hpp), HTML (loopback/http.hpp).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace nativeauth::util {

/// ASCII white space as the "C" locale's isspace() sees it: space, \t, \n, \v, \f, \r.
constexpr bool is_space(char c) noexcept { return c == ' ' || (c >= '\t' && c <= '\r'); }

/// The words of `s`, split on runs of white space (a scope string, RFC 6749 §3.3); no empty words.
inline std::vector<std::string> split_spaces(std::string_view s) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && is_space(s[i])) ++i;
    const std::size_t start = i;
    while (i < s.size() && !is_space(s[i])) ++i;
    if (i > start) out.emplace_back(s.substr(start, i - start));
  }
  return out;
}

/// `parts` with `separator` between them.
inline std::string join(const std::vector<std::string> &parts, std::string_view separator) {
  std::string out;
  for (const auto &part : parts) {
    if (!out.empty()) out += separator;
    out += part;
  }
  return out;
}

/// `s` with A-Z folded to a-z; every other byte unchanged (no locale).
inline std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (auto &c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

/// Whether `s` starts with `lower_prefix` (lower-case ASCII), ignoring ASCII case in `s`.
inline bool starts_with_ascii_ci(std::string_view s, std::string_view lower_prefix) {
  return s.size() >= lower_prefix.size() && lower_ascii(s.substr(0, lower_prefix.size())) == lower_prefix;
}

/// One word of a $BROWSER / %BROWSER% command with the convention's escapes applied: `%s` is `url` (and sets
/// `used_url`), `%%` a literal '%'; anything else is copied as it is. Shared by the browser launchers.
inline std::string expand_browser_word(const std::string &word, const std::string &url, bool &used_url) {
  std::string out;
  out.reserve(word.size());
  for (std::size_t i = 0; i < word.size(); ++i) {
    if (word[i] == '%' && i + 1 < word.size() && (word[i + 1] == 's' || word[i + 1] == '%')) {
      if (word[i + 1] == 's') {
        out += url;
        used_url = true;
      } else {
        out += '%';
      }
      ++i;
    } else {
      out += word[i];
    }
  }
  return out;
}

}  // namespace nativeauth::util
