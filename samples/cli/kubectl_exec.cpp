// SPDX-License-Identifier: Apache-2.0
// KUBERNETES_EXEC_INFO in, ExecCredential out (client-go's exec credential plugin protocol).
#include "kubectl_exec.hpp"

#include "common.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace cli::kube {

std::optional<ExecInfo> parse_exec_info(const char *text, bool stdin_is_terminal, std::string *error) {
  ExecInfo info;
  if (!text || !*text) {
    info.interactive = stdin_is_terminal;
    return info;
  }
  const auto doc = nlohmann::json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    *error = "KUBERNETES_EXEC_INFO is not a JSON object; it should be the ExecCredential kubectl passes";
    return std::nullopt;
  }
  const auto kind = doc.find("kind");
  if (kind != doc.end() && (!kind->is_string() || kind->get<std::string>() != "ExecCredential")) {
    *error = "KUBERNETES_EXEC_INFO is not an ExecCredential (its kind is " + kind->dump() + ")";
    return std::nullopt;
  }
  const auto version = doc.find("apiVersion");
  if (version == doc.end() || !version->is_string()) {
    *error = "KUBERNETES_EXEC_INFO has no apiVersion";
    return std::nullopt;
  }
  info.api_version = version->get<std::string>();
  if (info.api_version != kV1 && info.api_version != kV1beta1) {
    *error = "KUBERNETES_EXEC_INFO asks for apiVersion " + version->dump() + "; only " + kV1 + " and " + kV1beta1 +
             " are supported: set users[].user.exec.apiVersion in the kubeconfig to one of them";
    return std::nullopt;
  }
  const auto spec = doc.find("spec");
  if (spec != doc.end() && spec->is_object()) {
    const auto interactive = spec->find("interactive");
    if (interactive != spec->end() && interactive->is_boolean()) info.interactive = interactive->get<bool>();
  }
  return info;
}

std::string exec_credential(const ExecInfo &info, std::string_view token,
                            std::optional<std::chrono::system_clock::time_point> expiry) {
  nlohmann::json j = {
      {"kind", "ExecCredential"}, {"apiVersion", info.api_version}, {"spec", {{"interactive", info.interactive}}}};
  j["status"] = {{"token", std::string(token)}};
  if (expiry) j["status"]["expirationTimestamp"] = utc(*expiry);
  std::string text = j.dump();
  auto &copy = j["status"]["token"].get_ref<std::string &>();
  nativeauth::secure_wipe(copy.data(), copy.size());
  return text;
}

std::chrono::seconds id_token_margin(std::optional<std::chrono::seconds> min_ttl, std::optional<std::int64_t> iat,
                                     std::int64_t exp) {
  if (min_ttl) return *min_ttl;
  std::chrono::seconds margin{60};
  if (iat && *iat < exp) margin = std::min(margin, std::chrono::seconds((exp - *iat) / 2));
  return margin;
}

IdTokenRenewal classify_renewal(bool changed, bool refreshed, std::int64_t old_exp, std::int64_t now) {
  if (changed) return IdTokenRenewal::renewed;
  if (old_exp > now) return IdTokenRenewal::stale_but_valid;
  return refreshed ? IdTokenRenewal::none_from_refresh : IdTokenRenewal::not_refreshed;
}

}  // namespace cli::kube
