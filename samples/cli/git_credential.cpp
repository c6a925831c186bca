// SPDX-License-Identifier: Apache-2.0
// `nativeauth git-credential`: git asks (get), approves (store) or rejects (erase) a credential for an
// https remote; the answer is the session's access token. It never signs in from inside git: git may run
// in the background (an IDE's fetch, cron, CI) with its stdio on pipes, where a browser opening or a wait
// for a device code would surprise or hang; `nativeauth login` is run once by the user instead.
#include "git_credential.hpp"

#include "exit_codes.hpp"
#include "git_credential_protocol.hpp"
#include "util/secrets.hpp"

#include <chrono>
#include <iostream>

namespace cli {
namespace {

void explain(const Target &target, const std::string &what) {
  if (target.verbose) std::cerr << "nativeauth: git-credential: " << what << '\n';
}

/// The `nativeauth login` that makes a session for this helper, as `token` prints it.
std::string login_command(const Target &target) {
  std::string cmd = "nativeauth login --issuer " + target.issuer + " --client-id " + target.client_id;
  if (target.profile != "default") cmd += " --profile " + target.profile;
  if (target.storage != nativeauth::StorageKind::keychain)
    cmd += std::string(" --storage ") + storage_name(target.storage);
  return cmd;
}

int fail(const char *what, const nativeauth::Error &e) {
  print_error(what, e);
  return exit_code_for(e);
}

int answer_get(const GitCredentialArgs &args, std::ostream &out) {
  auto client = nativeauth::Client::create(client_options(args.target));
  if (!client) return fail("git-credential", client.error());
  nativeauth::AccessTokenOptions options;
  if (args.min_ttl_seconds >= 0) options.min_ttl = std::chrono::seconds(args.min_ttl_seconds);
  auto token = client->access_token(options);
  if (!token) {
    print_error("git-credential: no access token for git", token.error());
    if (token.error().code == nativeauth::ErrorCode::sign_in_required) {
      std::cerr << "  sign in first with: " << login_command(args.target) << '\n';
    }
    return exit_code_for(token.error());
  }
  std::string reply = "username=" + args.username + "\npassword=";
  nativeauth::util::WipeOnExit wipe_reply(reply);
  nativeauth::util::reserve_wiping(reply, reply.size() + token->value.size() + 64);
  reply.append(token->value.reveal());
  reply += '\n';
  if (token->expires_at) {
    // git (2.41+) stops using the password at this time (git-credential(1)); older versions ignore it.
    const auto seconds =
        std::chrono::duration_cast<std::chrono::seconds>(token->expires_at->time_since_epoch()).count();
    reply += "password_expiry_utc=" + std::to_string(seconds) + '\n';
  }
  out << reply << std::flush;
  return out ? kOk : kFailure;
}

int answer_erase(const GitCredentialArgs &args, const CredentialRequest &request) {
  if (request.password.empty()) {
    explain(args.target, "erase without a password: nothing to forget");
    return kOk;
  }
  auto client = nativeauth::Client::create(client_options(args.target));
  if (!client) return fail("git-credential", client.error());
  auto forgotten = client->reject_access_token(request.password);
  if (!forgotten) return fail("git-credential: could not forget the rejected access token", forgotten.error());
  explain(args.target, *forgotten ? "the rejected access token is forgotten; the next get refreshes it"
                                  : "the rejected password is not the stored access token: nothing to forget");
  return kOk;
}

}  // namespace

int run_git_credential(const GitCredentialArgs &args, std::istream &in, std::ostream &out) {
  if (args.username.empty() || args.username.find('\n') != std::string::npos) {
    std::cerr << "nativeauth: git-credential: --username must be one non-empty line\n";
    return kUsage;
  }
  const bool get = args.action == "get";
  const bool erase = args.action == "erase";
  std::string error;
  auto request = read_credential_request(in, &error);
  if (args.action == "store") return kOk;  // the token is ours already: nothing to keep
  if (!get && !erase) return kOk;          // a later protocol's action: ignore it, as gitcredentials(7) asks
  if (!request) {
    std::cerr << "nativeauth: git-credential: refused git's input: " << error << '\n';
    return kUsage;
  }
  std::string why_not;
  if (!may_answer(*request, args.hosts, &why_not)) {
    explain(args.target, "not answering for " + request->protocol + "://" + request->host + ": " + why_not);
    return kOk;  // no answer: git asks its other helpers, then the user
  }
  if (!request->username.empty() && request->username != args.username) {
    explain(args.target, "not answering: git asks for another username than " + args.username);
    return kOk;
  }
  return get ? answer_get(args, out) : answer_erase(args, *request);
}

}  // namespace cli
