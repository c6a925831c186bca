// SPDX-License-Identifier: Apache-2.0
// URL pieces the protocol needs: percent-encoding, query building and parsing, loopback checks, redaction.
#pragma once

#include <nativeauth/result.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace nativeauth::core {

using Params = std::vector<std::pair<std::string, std::string>>;

/// Percent-encodes everything but RFC 3986 unreserved characters.
std::string percent_encode(std::string_view value);
/// Decodes %XX and, when `plus_is_space`, '+' (application/x-www-form-urlencoded). nullopt on a bad escape.
std::optional<std::string> percent_decode(std::string_view value, bool plus_is_space);

/// "a=1&b=2" with both names and values percent-encoded (RFC 6749 Appendix B).
std::string encode_params(const Params &params);
/// Parses "a=1&b=2" (form encoding); nullopt when an escape is malformed.
std::optional<Params> parse_params(std::string_view query);
/// The value of the first parameter named `name`.
std::optional<std::string> find_param(const Params &params, std::string_view name);
/// How many times `name` occurs (RFC 6749 §3.1: parameters must not repeat).
std::size_t count_param(const Params &params, std::string_view name);

/// Appends parameters to an endpoint that may already have a query (RFC 6749 §3.1 keeps it).
std::string append_query(const std::string &endpoint, const Params &params);

struct Url {
  std::string scheme;  ///< lower-cased
  std::string host;    ///< lower-cased; IPv6 without brackets
  int port = -1;       ///< -1 when absent
  std::string path;    ///< as written, "" when absent
  std::string query;   ///< without '?'
  std::string fragment;
};
/// Parses an absolute http(s)-style URL; nullopt when it has no scheme/authority or is malformed.
std::optional<Url> parse_url(std::string_view text);

/// 127.0.0.0/8, ::1, or "localhost".
bool is_loopback_host(std::string_view host);

/// Ok when `url` is https, or http to a loopback host (development); ErrorCode::insecure_url
/// otherwise. `what` names the URL in the message ("issuer", "token_endpoint", ...).
Result<void> require_secure_url(const std::string &url, std::string_view what);

/// The URL with every query value replaced by "***" except a short list of harmless parameters,
/// for logs. Fragments are dropped.
std::string redact_url(std::string_view url);

}  // namespace nativeauth::core
