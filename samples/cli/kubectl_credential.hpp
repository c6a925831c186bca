// SPDX-License-Identifier: Apache-2.0
// `nativeauth kubectl-credential`: a kubectl exec credential plugin. It prints an ExecCredential holding the
// session's ID token (or access token) on stdout, and nothing else there; signs in through the browser when
// there is no session and kubectl allows interaction. The protocol itself is in kubectl_exec.hpp.
#pragma once

#include "config.hpp"
#include "login.hpp"

#include <optional>

namespace cli {

/// Which token the ExecCredential carries: the ID token (the default, as kubelogin's: what a cluster's
/// OIDC authenticator checks) or the access token (for clusters behind a token review of the provider's).
enum class KubeToken { id, access };

struct KubectlArgs {
  /// The target (issuer, client id, profile, store), and how to sign in when that is needed and allowed.
  LoginArgs login;
  KubeToken token = KubeToken::id;
  /// Renew the token when it has less than this left; unset: 60 s, at most half the token's lifetime.
  std::optional<int> min_ttl_seconds;
};

/// Takes the sign-in settings a profile holds (scope, port, params) into `args->login`, as `login` does.
void apply_profile(const Profile &profile, KubectlArgs *args);

/// Reads KUBERNETES_EXEC_INFO and prints the ExecCredential. Exit code (exit_codes.hpp): 0 printed; 2 the
/// exec info asks for an unknown apiVersion (or is not an ExecCredential); 3 sign-in needed and kubectl
/// allows no interaction (stderr names the `nativeauth login` command), or the sign-in failed; 4, 5, 6, 1 as
/// for `token`.
int run_kubectl_credential(const KubectlArgs &args);

}  // namespace cli
