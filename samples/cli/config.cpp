// SPDX-License-Identifier: Apache-2.0
// Reading named profiles from the CLI's config file.
#include "config.hpp"

#include "console.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace cli {

std::string config_path() { return console::config_directory() + "/nativeauth/config.json"; }

Profile load_profile(const std::string &name, bool *found, std::string *error) {
  *found = false;
  Profile p;
  const std::string path = config_path();
  std::ifstream in(std::filesystem::u8path(path));
  if (!in) return p;
  std::stringstream ss;
  ss << in.rdbuf();
  const auto doc = nlohmann::json::parse(ss.str(), nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    *error = path + " is not valid JSON";
    return p;
  }
  const auto profiles = doc.find("profiles");
  if (profiles == doc.end() || !profiles->is_object()) return p;
  const auto it = profiles->find(name);
  if (it == profiles->end()) return p;
  if (!it->is_object()) {
    *error = "profile '" + name + "' in " + path + " is not an object";
    return p;
  }
  *found = true;
  const auto str = [&](const char *key) -> std::optional<std::string> {
    const auto v = it->find(key);
    if (v == it->end() || !v->is_string()) return std::nullopt;
    return v->get<std::string>();
  };
  p.issuer = str("issuer");
  p.client_id = str("client_id");
  p.scope = str("scope");
  p.dpop = str("dpop");
  if (const auto port = it->find("port");
      port != it->end() && port->is_number_unsigned() && port->get<unsigned>() <= 65535) {
    p.port = static_cast<std::uint16_t>(port->get<unsigned>());
  }
  if (const auto params = it->find("params"); params != it->end() && params->is_object()) {
    for (const auto &[k, v] : params->items())
      if (v.is_string()) p.params.emplace_back(k, v.get<std::string>());
  }
  return p;
}

}  // namespace cli
