// SPDX-License-Identifier: Apache-2.0
// `nativeauth git-credential get|store|erase`: a git credential helper (gitcredentials(7)) that answers
// with the session's access token as the password, and forgets that token when the server rejected it.
// Not here: reading git's descriptions (git_credential_protocol.cpp), the command line (main.cpp).
#pragma once

#include "common.hpp"

#include <istream>
#include <ostream>
#include <string>
#include <vector>

namespace cli {

/// What `git-credential` was given. git appends the action to the configured command line.
struct GitCredentialArgs {
  Target target;
  std::string action;               ///< get, store or erase; any other is ignored (gitcredentials(7))
  std::string username = "oauth2";  ///< the username answered beside the token (--username)
  int min_ttl_seconds = -1;         ///< as `token --min-ttl`; -1: the SDK's default margin
  std::vector<std::string> hosts;   ///< --host: only these hosts (as git names them, port included)
};

/// Reads git's description from `in` and, for `get`, writes the answer to `out`: `username`, `password`
/// (the access token, refreshed silently when due) and `password_expiry_utc`, or nothing when the
/// description is not ours (not https, nor http to a loopback host; another --host; another username).
/// Never signs in: without a session it says which `nativeauth login` to run, on stderr, which git shows.
/// `store` is ignored (the token is ours already); `erase` forgets the rejected access token if the slot
/// still holds it, keeping the session (Client::reject_access_token()).
/// Exit code: 0 answered or nothing to answer; 2 a malformed description or --username; 3 no session (or
/// the provider ended it); 4 unreachable with an expired token; 5 the store cannot be used; 6 busy; 1 else.
int run_git_credential(const GitCredentialArgs &args, std::istream &in, std::ostream &out);

}  // namespace cli
