// SPDX-License-Identifier: Apache-2.0
// What every command shares: which provider, which app, which slot, which store.
#pragma once

#include <nativeauth/nativeauth.hpp>

#include <optional>
#include <string>
#include <vector>

namespace cli {

struct Target {
  std::string issuer;
  std::string client_id;
  std::string profile = "default";
  nativeauth::StorageKind storage = nativeauth::StorageKind::keychain;
  bool verbose = false;  ///< log each step to stderr (never a secret)
  /// The registered redirect URI when it is not loopback, e.g. com.example.app:/callback (login,
  /// handle-redirect); empty: loopback.
  std::string redirect_uri;
};

/// "keychain", "encrypted-file" or "file"; nullopt for anything else.
std::optional<nativeauth::StorageKind> parse_storage(const std::string &name);
const char *storage_name(nativeauth::StorageKind kind);
/// What --storage and NATIVEAUTH_STORAGE accept.
std::vector<std::string> storage_names();

/// Client options for a target (the file store's warning is printed by the caller).
nativeauth::ClientOptions client_options(const Target &target);

/// Prints an SDK error for a person: message, the provider's words, the numbered code.
void print_error(const char *what, const nativeauth::Error &e);

/// "59 min 58 s", "expired".
std::string describe_duration(std::chrono::seconds s);
/// "2026-11-23T07:05:36Z".
std::string utc(std::chrono::system_clock::time_point t);

}  // namespace cli
