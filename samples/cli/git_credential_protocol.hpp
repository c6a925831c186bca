// SPDX-License-Identifier: Apache-2.0
// git's credential helper protocol (gitcredentials(7), git-credential(1) "INPUT/OUTPUT FORMAT"): the
// description git writes on a helper's stdin, read strictly, and which descriptions may get a bearer token.
// Not here: what the command does with them (git_credential.cpp).
#pragma once

#include <nativeauth/secret.hpp>

#include <cstddef>
#include <istream>
#include <optional>
#include <string>
#include <vector>

namespace cli {

/// At most this much of a description is read (git sends a few hundred bytes; `wwwauth[]` lines hold
/// the server's WWW-Authenticate headers). More is refused, not cut.
inline constexpr std::size_t kMaxCredentialInput = 64 * 1024;

/// What git said about the credential it wants (get), approved (store) or rejected (erase). The keys a
/// helper does not use (`path`, `wwwauth[]`, `password_expiry_utc`, `oauth_refresh_token`, ...) are read
/// and dropped; unknown keys too, as the protocol asks.
struct CredentialRequest {
  std::string protocol;                   ///< "https", "http", ...
  std::string host;                       ///< as git sends it: "example.com", "127.0.0.1:8080", "[::1]:8080"
  std::string username;                   ///< empty when git did not say
  nativeauth::SecretString password;      ///< erase: the password the server rejected
  std::vector<std::string> capabilities;  ///< `capability[]` (git 2.46+), last list wins
};

/// Reads one description: `key=value` lines until a blank line or EOF. A later value for a key replaces
/// an earlier one; `key[]` appends, and an empty `key[]=` clears that list (as git does). Refused
/// (nullopt, with `*error` saying why, never quoting a value): a line without `=`, an empty key, a NUL
/// anywhere, more than kMaxCredentialInput bytes. The bytes read are wiped.
std::optional<CredentialRequest> read_credential_request(std::istream &in, std::string *error);

/// The host without its port, lower-cased: "[::1]:8080" → "[::1]", "LocalHost:80" → "localhost".
std::string host_name(const std::string &host);

/// 127.0.0.1 (all of 127.0.0.0/8 written as four decimal octets), [::1], localhost.
bool loopback_host(const std::string &host);

/// Whether a bearer token may be handed out for this description: protocol https (RFC 6750 §5.3: bearer
/// tokens only over TLS), or http to a loopback host, where the token never leaves this machine.
/// With `hosts` non-empty the description's host (as git sends it, port included) must be one of them.
bool may_answer(const CredentialRequest &request, const std::vector<std::string> &hosts, std::string *why_not);

}  // namespace cli
