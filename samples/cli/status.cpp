// SPDX-License-Identifier: Apache-2.0
// `nativeauth status`: every slot of the issuer, for people (a table) and scripts (--json).
#include "status.hpp"

#include "exit_codes.hpp"

#include <nlohmann/json.hpp>

#include <iostream>

namespace cli {

int run_status(const Target &target, bool client_given, bool json) {
  auto client = nativeauth::Client::create(client_options(target));
  if (!client) {
    print_error("status", client.error());
    return exit_code_for(client.error());
  }
  auto slots = client->list_slots();
  if (!slots) {
    print_error("could not read the sessions", slots.error());
    return kFailure;
  }
  const auto now = std::chrono::system_clock::now();
  bool own_slot = false;
  for (const auto &s : *slots)
    if (s.client_id == target.client_id && s.profile == target.profile && !s.problem) own_slot = true;

  if (json) {
    nlohmann::json out = {{"issuer", target.issuer}, {"storage", storage_name(target.storage)}};
    out["sessions"] = nlohmann::json::array();
    for (const auto &s : *slots) {
      nlohmann::json j = {{"client_id", s.client_id}, {"profile", s.profile}};
      if (s.problem) {
        j["problem"] = *s.problem;
      } else {
        j["subject"] = s.subject;
        j["name"] = s.name ? nlohmann::json(*s.name) : nlohmann::json(nullptr);
        j["has_refresh_token"] = s.has_refresh_token;
        j["scopes"] = s.scopes;
        if (s.access_token_expiry) {
          j["access_token_expires_at"] = utc(*s.access_token_expiry);
          j["access_token_valid"] = *s.access_token_expiry > now;
        } else {
          j["access_token_expires_at"] = nullptr;
          j["access_token_valid"] = nullptr;
        }
        j["issued_at"] = s.issued_at ? nlohmann::json(utc(*s.issued_at)) : nlohmann::json(nullptr);
        // Where the DPoP key lives ("software", "tpm", ...); never the key.
        j["dpop"] = {{"bound", s.dpop_key_store.has_value()},
                     {"key_store", s.dpop_key_store ? nlohmann::json(*s.dpop_key_store) : nlohmann::json(nullptr)}};
      }
      out["sessions"].push_back(std::move(j));
    }
    std::cout << out.dump(2) << '\n';
  } else if (slots->empty()) {
    std::cout << "No sessions for " << target.issuer << " on this machine (" << storage_name(target.storage) << ").\n";
  } else {
    std::cout << "Sessions for " << target.issuer << " on this machine (" << storage_name(target.storage) << "):\n";
    for (const auto &s : *slots) {
      std::cout << "  " << s.client_id << " / " << s.profile << ": ";
      if (s.problem) {
        std::cout << "unreadable: " << *s.problem << '\n';
        continue;
      }
      std::cout << s.name.value_or(s.subject) << " (subject " << s.subject << ")";
      if (s.access_token_expiry) {
        const auto left = std::chrono::duration_cast<std::chrono::seconds>(*s.access_token_expiry - now);
        std::cout << ", access token " << (left.count() > 0 ? "valid for " + describe_duration(left) : "expired");
      }
      std::cout << (s.has_refresh_token ? ", refresh token held" : ", no refresh token");
      if (s.dpop_key_store) std::cout << ", DPoP-bound (key: " << *s.dpop_key_store << ")";
      std::cout << '\n';
    }
  }
  if (client_given && !own_slot) {
    if (!json) std::cerr << "nativeauth: " << target.client_id << " / " << target.profile << " is not signed in\n";
    return kSignInNeeded;
  }
  return kOk;
}

}  // namespace cli
