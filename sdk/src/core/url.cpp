// SPDX-License-Identifier: Apache-2.0
// URL helpers: encoding per RFC 3986 / RFC 6749 Appendix B, loopback detection, redaction for logs.
#include "core/url.hpp"

#include "util/hex.hpp"
#include "util/strings.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace nativeauth::core {
namespace {

bool is_unreserved(unsigned char c) { return std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~'; }

}  // namespace

std::string percent_encode(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(value.size() * 3);
  for (unsigned char c : value) {
    if (is_unreserved(c)) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::optional<std::string> percent_decode(std::string_view value, bool plus_is_space) {
  std::string out;
  out.reserve(value.size());
  for (std::size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (c == '%') {
      if (i + 2 >= value.size()) return std::nullopt;
      const int hi = util::hex_value(value[i + 1]);
      const int lo = util::hex_value(value[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

std::string encode_params(const Params &params) {
  std::string out;
  for (const auto &[name, value] : params) {
    if (!out.empty()) out += '&';
    out += percent_encode(name);
    out += '=';
    out += percent_encode(value);
  }
  return out;
}

std::optional<Params> parse_params(std::string_view query) {
  Params params;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    auto name = percent_decode(pair.substr(0, eq), true);
    auto value = percent_decode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1), true);
    if (!name || !value) return std::nullopt;
    params.emplace_back(std::move(*name), std::move(*value));
  }
  return params;
}

std::optional<std::string> find_param(const Params &params, std::string_view name) {
  for (const auto &[n, v] : params)
    if (n == name) return v;
  return std::nullopt;
}

std::size_t count_param(const Params &params, std::string_view name) {
  return static_cast<std::size_t>(std::count_if(params.begin(), params.end(),
                                                [&](const auto &p) { return p.first == name; }));
}

std::string append_query(const std::string &endpoint, const Params &params) {
  std::string base = endpoint;
  if (const auto hash = base.find('#'); hash != std::string::npos) base.resize(hash);  // never sent
  const std::string encoded = encode_params(params);
  if (encoded.empty()) return base;
  if (base.find('?') == std::string::npos) return base + '?' + encoded;
  if (base.back() == '?' || base.back() == '&') return base + encoded;
  return base + '&' + encoded;
}

std::optional<Url> parse_url(std::string_view text) {
  Url url;
  const auto colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  for (std::size_t i = 0; i < colon; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (!(std::isalnum(c) || c == '+' || c == '-' || c == '.')) return std::nullopt;
  }
  if (!std::isalpha(static_cast<unsigned char>(text[0]))) return std::nullopt;
  url.scheme = util::lower_ascii(text.substr(0, colon));
  std::string_view rest = text.substr(colon + 1);
  if (rest.substr(0, 2) != "//") return std::nullopt;
  rest.remove_prefix(2);
  if (const auto hash = rest.find('#'); hash != std::string_view::npos) {
    url.fragment = std::string(rest.substr(hash + 1));
    rest = rest.substr(0, hash);
  }
  if (const auto q = rest.find('?'); q != std::string_view::npos) {
    url.query = std::string(rest.substr(q + 1));
    rest = rest.substr(0, q);
  }
  const auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  url.path = slash == std::string_view::npos ? "" : std::string(rest.substr(slash));
  if (authority.find('@') != std::string_view::npos) return std::nullopt;  // no userinfo in our URLs
  if (authority.empty()) return std::nullopt;
  std::string_view port_text;
  if (authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    url.host = util::lower_ascii(authority.substr(1, close - 1));
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return std::nullopt;
      port_text = after.substr(1);
    }
  } else {
    const auto pc = authority.rfind(':');
    url.host = util::lower_ascii(authority.substr(0, pc));
    if (pc != std::string_view::npos) port_text = authority.substr(pc + 1);
  }
  if (url.host.empty()) return std::nullopt;
  if (!port_text.empty()) {
    if (port_text.size() > 5) return std::nullopt;
    int port = 0;
    for (char c : port_text) {
      if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
      port = port * 10 + (c - '0');
    }
    if (port > 65535) return std::nullopt;
    url.port = port;
  }
  return url;
}

bool is_loopback_host(std::string_view host) {
  if (host == "localhost" || host == "::1" || host == "0:0:0:0:0:0:0:1") return true;
  // 127.0.0.0/8 in dotted-quad form only; anything else is not treated as loopback.
  if (host.substr(0, 4) != "127.") return false;
  int dots = 0;
  int octet = -1;
  for (char c : host) {
    if (c == '.') {
      if (octet < 0) return false;
      ++dots;
      octet = -1;
    } else if (std::isdigit(static_cast<unsigned char>(c))) {
      octet = (octet < 0 ? 0 : octet) * 10 + (c - '0');
      if (octet > 255) return false;
    } else {
      return false;
    }
  }
  return dots == 3 && octet >= 0;
}

Result<void> require_secure_url(const std::string &url, std::string_view what) {
  const auto parsed = parse_url(url);
  if (!parsed) {
    return make_error(ErrorCode::insecure_url, std::string(what) + " is not a valid absolute URL: " + redact_url(url));
  }
  if (parsed->scheme == "https") return {};
  if (parsed->scheme == "http" && is_loopback_host(parsed->host)) return {};
  return make_error(ErrorCode::insecure_url,
                    std::string(what) +
                        " must use https (plain http is allowed only for loopback hosts): " + redact_url(url));
}

std::string redact_url(std::string_view url) {
  static constexpr std::array<std::string_view, 12> kHarmless = {
      "response_type", "client_id", "scope",      "redirect_uri", "code_challenge_method", "prompt",
      "ui_locales",    "max_age",   "acr_values", "error",        "error_description",     "iss"};
  if (const auto hash = url.find('#'); hash != std::string_view::npos) url = url.substr(0, hash);
  const auto q = url.find('?');
  if (q == std::string_view::npos) return std::string(url);
  std::string out(url.substr(0, q + 1));
  std::string_view query = url.substr(q + 1);
  bool first = true;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (!first) out += '&';
    first = false;
    const auto eq = pair.find('=');
    const std::string_view name = pair.substr(0, eq);
    out += name;
    if (eq == std::string_view::npos) continue;
    const bool harmless = std::find(kHarmless.begin(), kHarmless.end(), name) != kHarmless.end();
    out += '=';
    out += harmless ? pair.substr(eq + 1) : std::string_view("***");
  }
  return out;
}

}  // namespace nativeauth::core
