// SPDX-License-Identifier: Apache-2.0
// Helpers shared by the CLI's commands.
#include "common.hpp"

#include "console.hpp"

#include <iostream>
#include <sstream>

namespace cli {

std::optional<nativeauth::StorageKind> parse_storage(const std::string &name) {
  if (name == "keychain") return nativeauth::StorageKind::keychain;
  if (name == "file") return nativeauth::StorageKind::file;
  if (name == "encrypted-file") return nativeauth::StorageKind::encrypted_file;
  return std::nullopt;
}

const char *storage_name(nativeauth::StorageKind kind) {
  switch (kind) {
    case nativeauth::StorageKind::keychain: return "keychain";
    case nativeauth::StorageKind::file: return "file";
    case nativeauth::StorageKind::memory: return "memory";
    case nativeauth::StorageKind::encrypted_file: return "encrypted-file";
  }
  return "?";
}

std::vector<std::string> storage_names() { return {"keychain", "encrypted-file", "file"}; }

nativeauth::ClientOptions client_options(const Target &target) {
  nativeauth::ClientOptions options;
  options.issuer = target.issuer;
  options.client_id = target.client_id;
  options.profile = target.profile;
  options.storage = target.storage;
  options.redirect.uri = target.redirect_uri;
  options.keychain.app_name = "nativeauth CLI (" + target.client_id + ")";
  if (target.verbose) {
    options.log_level = nativeauth::LogLevel::debug;
    options.log = [](nativeauth::LogLevel, std::string_view line) { std::cerr << line << '\n'; };
  }
  return options;
}

void print_error(const char *what, const nativeauth::Error &e) {
  std::cerr << "nativeauth: " << what << ": " << e.message << '\n';
  if (!e.oauth_error.empty()) {
    std::cerr << "  provider said: " << e.oauth_error;
    if (!e.oauth_description.empty()) std::cerr << " — " << e.oauth_description;
    std::cerr << '\n';
  }
  std::cerr << "  (error " << static_cast<int>(e.code) << ", " << nativeauth::to_string(e.code) << ")\n";
}

std::string describe_duration(std::chrono::seconds s) {
  const auto total = s.count();
  if (total <= 0) return "expired";
  std::ostringstream os;
  if (total >= 3600) os << total / 3600 << " h ";
  if (total >= 60) os << (total % 3600) / 60 << " min ";
  os << total % 60 << " s";
  return os.str();
}

std::string utc(std::chrono::system_clock::time_point t) { return console::utc_text(t); }

}  // namespace cli
