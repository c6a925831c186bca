// SPDX-License-Identifier: Apache-2.0
// The kubectl exec credential protocol (client.authentication.k8s.io v1 and v1beta1): what kubectl hands a
// credential plugin in KUBERNETES_EXEC_INFO, the ExecCredential it reads back, and when an ID token is due
// for renewal. Pure logic, no SDK calls; the command that uses it is kubectl_credential.cpp.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cli::kube {

inline constexpr const char *kV1 = "client.authentication.k8s.io/v1";
inline constexpr const char *kV1beta1 = "client.authentication.k8s.io/v1beta1";

/// What kubectl asked for.
struct ExecInfo {
  std::string api_version = kV1;  ///< the apiVersion the answer must carry
  bool interactive = false;       ///< spec.interactive: the plugin may talk to the user (kubectl gave it stdin)
};

/// Reads KUBERNETES_EXEC_INFO. `text` null or empty (run by hand, not by kubectl): v1, interactive when
/// stdin is a terminal (`stdin_is_terminal`), which is kubectl's own `IfAvailable` rule. nullopt with
/// `*error` set when the text is not an ExecCredential or names an apiVersion other than v1 or v1beta1.
std::optional<ExecInfo> parse_exec_info(const char *text, bool stdin_is_terminal, std::string *error);

/// The ExecCredential kubectl reads from stdout, one line: kind, apiVersion (that of `info`), spec.interactive
/// and status.token, with status.expirationTimestamp (RFC 3339, UTC) when `expiry` is known. It holds the
/// token: the caller wipes it (secure_wipe) after writing it.
std::string exec_credential(const ExecInfo &info, std::string_view token,
                            std::optional<std::chrono::system_clock::time_point> expiry);

/// How long before its `exp` an ID token is renewed: `min_ttl` when given, else 60 s but at most half the
/// token's lifetime (`exp - iat`), as `nativeauth token` does for access tokens, so a provider's
/// short-lived ID tokens are not renewed on every call.
std::chrono::seconds id_token_margin(std::optional<std::chrono::seconds> min_ttl, std::optional<std::int64_t> iat,
                                     std::int64_t exp);

/// What a forced refresh did to the session's ID token (by comparing the session before and after it).
enum class IdTokenRenewal {
  renewed,            ///< a new ID token, validated by the SDK: use it
  stale_but_valid,    ///< no new ID token, but the one held is not expired yet: use it until its `exp`
  none_from_refresh,  ///< the session was refreshed without a (checkable) new ID token, and the old one expired
  not_refreshed,      ///< the refresh failed for now (the SDK kept the session), and the ID token expired
};

/// `changed`: the raw ID token differs after the refresh; `refreshed`: the session was renewed (its issue
/// time moved); `old_exp` the `exp` of the ID token held before, `now` in seconds since the epoch.
IdTokenRenewal classify_renewal(bool changed, bool refreshed, std::int64_t old_exp, std::int64_t now);

}  // namespace cli::kube
