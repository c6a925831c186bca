// SPDX-License-Identifier: Apache-2.0
// WWW-Authenticate (RFC 9110 §11.6.1): a small recursive-descent reader over the field value.
#include "core/www_authenticate.hpp"

#include "util/strings.hpp"

#include <cstddef>

namespace nativeauth::core {
namespace {

constexpr std::size_t kMaxValue = 8 * 1024;
constexpr std::size_t kMaxChallenges = 16;
constexpr std::size_t kMaxParams = 32;

// RFC 9110 §5.6.2: tchar.
bool is_tchar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~': return true;
    default: return false;
  }
}

// RFC 9110 §11.2: token68 characters (the trailing '=' are read separately).
bool is_token68_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~' || c == '+' || c == '/';
}

class Reader {
 public:
  explicit Reader(std::string_view s) : s_(s) {}

  bool at_end() const { return i_ >= s_.size(); }
  char peek() const { return at_end() ? '\0' : s_[i_]; }
  void skip_ows() {
    while (!at_end() && (s_[i_] == ' ' || s_[i_] == '\t')) ++i_;
  }
  /// Skips OWS and list commas (RFC 9110 §5.6.1: empty list elements are allowed).
  void skip_separators() {
    while (!at_end() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == ',')) ++i_;
  }
  std::string token() {
    const std::size_t start = i_;
    while (!at_end() && is_tchar(s_[i_])) ++i_;
    return std::string(s_.substr(start, i_ - start));
  }
  /// Whether `token BWS "="` (but not a token68's padding "==") starts here: an auth-param follows.
  bool param_ahead() const {
    std::size_t j = i_;
    while (j < s_.size() && is_tchar(s_[j])) ++j;
    if (j == i_) return false;
    while (j < s_.size() && (s_[j] == ' ' || s_[j] == '\t')) ++j;
    if (j >= s_.size() || s_[j] != '=') return false;
    ++j;
    while (j < s_.size() && (s_[j] == ' ' || s_[j] == '\t')) ++j;
    return j < s_.size() && s_[j] != '=' && s_[j] != ',';
  }
  /// RFC 9110 §5.6.4: a quoted-string, its quoted-pairs unescaped; nullopt when unterminated.
  std::optional<std::string> quoted_string() {
    ++i_;  // the opening quote
    std::string out;
    while (!at_end()) {
      const char c = s_[i_++];
      if (c == '"') return out;
      if (c == '\\') {
        if (at_end()) return std::nullopt;
        out += s_[i_++];
      } else {
        out += c;
      }
    }
    return std::nullopt;
  }
  /// auth-param = token BWS "=" BWS ( token / quoted-string ); name lower-cased.
  std::optional<std::pair<std::string, std::string>> param() {
    std::string name = util::lower_ascii(token());
    skip_ows();
    ++i_;  // '=' (param_ahead() saw it)
    skip_ows();
    if (peek() == '"') {
      auto value = quoted_string();
      if (!value) return std::nullopt;
      return std::make_pair(std::move(name), std::move(*value));
    }
    std::string value = token();
    if (value.empty()) return std::nullopt;
    return std::make_pair(std::move(name), std::move(value));
  }
  /// token68, with its trailing '='; empty when none starts here.
  std::string token68() {
    const std::size_t start = i_;
    while (!at_end() && is_token68_char(s_[i_])) ++i_;
    if (i_ == start) return {};
    while (!at_end() && s_[i_] == '=') ++i_;
    return std::string(s_.substr(start, i_ - start));
  }

 private:
  std::string_view s_;
  std::size_t i_ = 0;
};

/// The parameters (or token68) after a challenge's scheme; false when they are malformed.
bool read_challenge_body(Reader &r, Challenge &c) {
  if (!r.param_ahead()) {
    // A token68, or nothing (the next list element, or the end).
    if (r.at_end() || r.peek() == ',') return true;
    c.token68 = r.token68();
    r.skip_ows();
    return !c.token68.empty() && (r.at_end() || r.peek() == ',');
  }
  while (r.param_ahead()) {
    if (c.params.size() == kMaxParams) return false;
    auto p = r.param();
    if (!p) return false;
    c.params.push_back(std::move(*p));
    r.skip_ows();
    if (r.at_end()) return true;
    if (r.peek() != ',') return false;
    r.skip_separators();
  }
  return true;  // what follows is the next challenge's scheme
}

}  // namespace

std::optional<std::string> Challenge::param(std::string_view name) const {
  for (const auto &[key, value] : params) {
    if (key == name) return value;
  }
  return std::nullopt;
}

std::vector<Challenge> parse_www_authenticate(std::string_view value) {
  std::vector<Challenge> out;
  if (value.size() > kMaxValue) return out;
  Reader r(value);
  r.skip_separators();
  while (!r.at_end() && out.size() < kMaxChallenges) {
    Challenge c;
    c.scheme = util::lower_ascii(r.token());
    if (c.scheme.empty()) break;
    // RFC 9110: the scheme and what follows are separated by 1*SP.
    if (!r.at_end() && r.peek() != ',' && r.peek() != ' ') break;
    r.skip_ows();
    if (!read_challenge_body(r, c)) break;
    out.push_back(std::move(c));
    r.skip_separators();
  }
  return out;
}

}  // namespace nativeauth::core
