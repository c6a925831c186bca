// SPDX-License-Identifier: Apache-2.0
// `nativeauth kubectl-credential`: the token from the keychain (renewed when due) as an ExecCredential on
// stdout; everything a person reads (sign-in progress, the browser URL, errors) on stderr, because kubectl
// parses stdout and shows the plugin's stderr to its user.
#include "kubectl_credential.hpp"

#include "console.hpp"

#include "exit_codes.hpp"
#include "kubectl_exec.hpp"

#include <cstdlib>
#include <iostream>

namespace cli {
namespace {

using SystemTime = std::chrono::system_clock::time_point;

/// A token ready for kubectl, with the expiry kubectl caches it until.
struct Credential {
  nativeauth::SecretString token;
  std::optional<SystemTime> expiry;
};

SystemTime from_epoch(std::int64_t seconds) { return std::chrono::system_clock::from_time_t(seconds); }

std::int64_t epoch_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

/// The session in the slot, or sign_in_required when there is none or it holds no ID token.
nativeauth::Result<nativeauth::Session> stored_session(nativeauth::Client &client) {
  auto loaded = client.load_session();
  if (!loaded) return std::move(loaded).error();
  if (!loaded->has_value()) {
    return nativeauth::make_error(nativeauth::ErrorCode::sign_in_required,
                                  "no session for this issuer, client id and profile on this machine");
  }
  if ((*loaded)->id_token.empty()) {
    return nativeauth::make_error(nativeauth::ErrorCode::sign_in_required,
                                  "the session holds no ID token (sign in again to get one, or use --token access)");
  }
  return std::move(**loaded);
}

Credential id_credential(const nativeauth::Session &s) {
  Credential c{s.id_token.clone(), std::nullopt};
  if (const auto exp = s.claims.integer("exp")) c.expiry = from_epoch(*exp);
  return c;
}

/// The ID token after a forced refresh, or why there is none usable (`before` is the session it replaced).
nativeauth::Result<Credential> after_refresh(nativeauth::Client &client, const nativeauth::Session &before,
                                             std::int64_t old_exp) {
  auto after = stored_session(client);
  if (!after) return std::move(after).error();
  const bool changed = after->id_token.reveal() != before.id_token.reveal();
  const bool refreshed = after->issued_at != before.issued_at;
  switch (kube::classify_renewal(changed, refreshed, old_exp, epoch_now())) {
    case kube::IdTokenRenewal::renewed: return id_credential(*after);
    case kube::IdTokenRenewal::stale_but_valid:
      std::cerr << "nativeauth: warning: the provider returned no new ID token when the session was refreshed; "
                   "the one held is valid until "
                << utc(from_epoch(old_exp)) << "\n";
      return id_credential(*after);
    case kube::IdTokenRenewal::none_from_refresh:
      return nativeauth::make_error(
          nativeauth::ErrorCode::sign_in_required,
          "the ID token expired at " + utc(from_epoch(old_exp)) +
              " and the provider returned no new ID token when the session was refreshed (many providers issue "
              "one only at sign-in): use `--token access` if the cluster accepts access tokens, or sign in again");
    case kube::IdTokenRenewal::not_refreshed: break;
  }
  nativeauth::Error e = nativeauth::make_error(
      nativeauth::ErrorCode::id_token_expired,
      "the ID token expired at " + utc(from_epoch(old_exp)) +
          " and the session could not be refreshed now (the provider may be unreachable; -v shows why): try again");
  e.transient = true;
  return e;
}

/// The session's ID token, renewed by a refresh when it has less than the margin left.
nativeauth::Result<Credential> id_token(nativeauth::Client &client, const KubectlArgs &args) {
  auto session = stored_session(client);
  if (!session) return std::move(session).error();
  const auto exp = session->claims.integer("exp");
  if (!exp) return id_credential(*session);  // a validated ID token has one; nothing to renew by
  std::optional<std::chrono::seconds> min_ttl;
  if (args.min_ttl_seconds) min_ttl = std::chrono::seconds(*args.min_ttl_seconds);
  const auto margin = kube::id_token_margin(min_ttl, session->claims.integer("iat"), *exp);
  if (*exp - epoch_now() > margin.count()) return id_credential(*session);

  nativeauth::AccessTokenOptions options;
  options.force_refresh = true;  // the access token may be fresh; the ID token is what is due
  auto refreshed = client.access_token(options);
  if (!refreshed) return std::move(refreshed).error();
  return after_refresh(client, *session, *exp);
}

nativeauth::Result<Credential> access_token(nativeauth::Client &client, const KubectlArgs &args) {
  nativeauth::AccessTokenOptions options;
  if (args.min_ttl_seconds) options.min_ttl = std::chrono::seconds(*args.min_ttl_seconds);
  auto token = client.access_token(options);
  if (!token) return std::move(token).error();
  return Credential{std::move(token->value), token->expires_at};
}

nativeauth::Result<Credential> credential(const KubectlArgs &args) {
  auto client = nativeauth::Client::create(client_options(args.login.target));
  if (!client) return std::move(client).error();
  return args.token == KubeToken::id ? id_token(*client, args) : access_token(*client, args);
}

/// The `nativeauth login` command for this target, ready to paste.
std::string login_command(const Target &t) {
  std::string cmd = "nativeauth login --issuer " + t.issuer + " --client-id " + t.client_id;
  if (t.profile != "default") cmd += " --profile " + t.profile;
  if (t.storage != nativeauth::StorageKind::keychain) cmd += std::string(" --storage ") + storage_name(t.storage);
  return cmd;
}

int print_credential(const kube::ExecInfo &info, const Credential &c) {
  std::string text = kube::exec_credential(info, c.token.reveal(), c.expiry);
  std::cout << text << std::endl;
  nativeauth::secure_wipe(text.data(), text.size());
  return std::cout ? kOk : kFailure;
}

}  // namespace

void apply_profile(const Profile &profile, KubectlArgs *args) {
  args->login.scope = profile.scope.value_or("");
  args->login.port = profile.port.value_or(0);
  args->login.params = profile.params;
}

int run_kubectl_credential(const KubectlArgs &args) {
  std::string why;
  const auto info = kube::parse_exec_info(std::getenv("KUBERNETES_EXEC_INFO"), console::is_terminal(0), &why);
  if (!info) {
    std::cerr << "nativeauth kubectl-credential: " << why << '\n';
    return kUsage;
  }
  auto cred = credential(args);
  if (!cred && cred.error().code == nativeauth::ErrorCode::sign_in_required) {
    const Target &t = args.login.target;
    if (!info->interactive) {
      print_error("kubectl-credential: sign-in needed", cred.error());
      std::cerr << "  kubectl runs this plugin without a terminal here (interactiveMode Never, or its stdin is not a "
                   "terminal), so it cannot sign in; sign in first with:\n    "
                << login_command(t) << '\n';
      return kSignInNeeded;
    }
    std::cerr << "nativeauth: signing in to " << t.issuer << " for kubectl (" << cred.error().message << ")\n";
    LoginArgs login = args.login;
    login.report = &std::cerr;  // stdout carries the ExecCredential alone
    if (const int rc = run_login(login); rc != kOk) return rc;
    cred = credential(args);
  }
  if (!cred) {
    print_error("kubectl-credential", cred.error());
    return exit_code_for(cred.error());
  }
  return print_credential(*info, *cred);
}

}  // namespace cli
