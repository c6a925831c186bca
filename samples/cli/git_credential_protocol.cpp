// SPDX-License-Identifier: Apache-2.0
// Reading git's credential descriptions strictly, and deciding which of them may get a bearer token.
#include "git_credential_protocol.hpp"

#include "util/secrets.hpp"

#include <algorithm>
#include <cctype>

namespace cli {
namespace {

/// Applies one `key=value` line (without its newline) to `r`; false with `*error` when it is malformed.
bool apply_line(const std::string &line, CredentialRequest &r, std::string *error) {
  const auto eq = line.find('=');
  if (eq == std::string::npos || eq == 0) {
    *error = eq == 0 ? "a line with an empty key" : "a line without '='";
    return false;
  }
  const std::string key = line.substr(0, eq);
  const std::string_view value = std::string_view(line).substr(eq + 1);
  if (key == "protocol") {
    r.protocol = std::string(value);
  } else if (key == "host") {
    r.host = std::string(value);
  } else if (key == "username") {
    r.username = std::string(value);
  } else if (key == "password") {
    r.password = nativeauth::SecretString(std::string(value));
  } else if (key == "capability[]") {
    if (value.empty()) {
      r.capabilities.clear();
    } else {
      r.capabilities.emplace_back(value);
    }
  }
  // Anything else (path, wwwauth[], password_expiry_utc, oauth_refresh_token, url, keys of later git
  // versions) is not needed to answer: ignored, as the protocol asks of helpers.
  return true;
}

}  // namespace

std::optional<CredentialRequest> read_credential_request(std::istream &in, std::string *error) {
  CredentialRequest r;
  std::string line;
  nativeauth::util::WipeOnExit wipe_line(line);  // a password line passes through here
  std::size_t total = 0;
  char c = 0;
  while (in.get(c)) {
    if (++total > kMaxCredentialInput) {
      *error = "the credential description is longer than " + std::to_string(kMaxCredentialInput) + " bytes";
      return std::nullopt;
    }
    if (c == '\0') {
      *error = "the credential description holds a NUL byte";
      return std::nullopt;
    }
    if (c != '\n') {
      nativeauth::util::reserve_wiping(line, line.size() + 1);
      line += c;
      continue;
    }
    if (line.empty()) return r;  // the blank line that ends the description
    if (!apply_line(line, r, error)) return std::nullopt;
    nativeauth::util::wipe(line);
  }
  // End of file ends the description too; a last line without its newline still counts.
  if (!line.empty() && !apply_line(line, r, error)) return std::nullopt;
  return r;
}

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  return s;
}

}  // namespace

std::string host_name(const std::string &host) {
  std::string name = host;
  if (!name.empty() && name.front() == '[') {
    const auto close = name.find(']');
    if (close != std::string::npos) name.erase(close + 1);
  } else if (const auto colon = name.rfind(':'); colon != std::string::npos) {
    name.erase(colon);
  }
  return lower(name);
}

bool loopback_host(const std::string &host) {
  const std::string name = host_name(host);
  if (name == "localhost" || name == "[::1]") return true;
  // 127.0.0.0/8 as a dotted quad of decimal octets (no shorthand forms such as "127.1").
  if (name.rfind("127.", 0) != 0) return false;
  int octets = 0;
  std::size_t i = 0;
  while (i <= name.size()) {
    std::size_t j = i;
    while (j < name.size() && std::isdigit(static_cast<unsigned char>(name[j]))) ++j;
    if (j == i || j - i > 3 || std::stoi(name.substr(i, j - i)) > 255) return false;
    ++octets;
    if (j == name.size()) break;
    if (name[j] != '.') return false;
    i = j + 1;
  }
  return octets == 4;
}

bool may_answer(const CredentialRequest &request, const std::vector<std::string> &hosts, std::string *why_not) {
  if (request.protocol == "https") {
    // fine anywhere
  } else if (request.protocol == "http" && loopback_host(request.host)) {
    // the token never leaves this machine
  } else if (request.protocol == "http") {
    *why_not = "plain http to a host that is not loopback: a bearer token is only sent over https";
    return false;
  } else {
    *why_not = "not an http(s) credential";
    return false;
  }
  if (request.host.empty()) {
    *why_not = "git named no host";
    return false;
  }
  const std::string host = lower(request.host);  // host names are case-insensitive (RFC 3986 §3.2.2)
  if (!hosts.empty() &&
      std::none_of(hosts.begin(), hosts.end(), [&](const std::string &h) { return lower(h) == host; })) {
    *why_not = "the host is not one of --host";
    return false;
  }
  return true;
}

}  // namespace cli
