// SPDX-License-Identifier: Apache-2.0
// CLI settings: flags over environment over a named profile in $XDG_CONFIG_HOME/nativeauth/config.json.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace cli {

struct Profile {
  std::optional<std::string> issuer;
  std::optional<std::string> client_id;
  std::optional<std::string> scope;
  std::optional<std::uint16_t> port;
  std::vector<std::pair<std::string, std::string>> params;
  std::optional<std::string> dpop;  ///< "required", "offered" or "off" (`login --dpop`), checked when used
};

/// $XDG_CONFIG_HOME/nativeauth/config.json, or ~/.config/nativeauth/config.json.
std::string config_path();

/// Reads profile `name` from the config file. A missing file or profile yields an empty profile
/// (with `*found` false); a file that exists but is not valid yields an error message in `*error`.
Profile load_profile(const std::string &name, bool *found, std::string *error);

}  // namespace cli
