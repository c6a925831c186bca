// SPDX-License-Identifier: Apache-2.0
// Non-throwing access to untrusted JSON, and wiping JSON that held secrets.
#pragma once

#include <nativeauth/secret.hpp>

#include "util/secrets.hpp"

#include <nlohmann/json.hpp>

#include <climits>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nativeauth::core {

using Json = nlohmann::json;

/// Parses without throwing; nullopt for invalid JSON or when the top level is not an object.
inline std::optional<Json> parse_object(std::string_view text) {
  Json j = Json::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  return j;
}

inline std::optional<std::string> get_string(const Json &j, const char *key) {
  const auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

/// A JSON number that is an integer (or a float with no fraction), e.g. exp, iat, expires_in.
inline std::optional<std::int64_t> get_int(const Json &j, const char *key) {
  const auto it = j.find(key);
  if (it == j.end()) return std::nullopt;
  // An unsigned number above INT64_MAX would wrap negative (a far-future nbf passing as the past).
  if (it->is_number_unsigned()) {
    const auto u = it->get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(INT64_MAX)) return std::nullopt;
    return static_cast<std::int64_t>(u);
  }
  if (it->is_number_integer()) return it->get<std::int64_t>();
  if (it->is_number_float()) {
    const double d = it->get<double>();
    if (d >= -9.0e18 && d <= 9.0e18) return static_cast<std::int64_t>(d);
  }
  return std::nullopt;
}

inline std::optional<bool> get_bool(const Json &j, const char *key) {
  const auto it = j.find(key);
  if (it == j.end() || !it->is_boolean()) return std::nullopt;
  return it->get<bool>();
}

/// The strings of an array member; non-strings are skipped. Empty when absent.
inline std::vector<std::string> get_strings(const Json &j, const char *key) {
  std::vector<std::string> out;
  const auto it = j.find(key);
  if (it == j.end() || !it->is_array()) return out;
  for (const auto &v : *it)
    if (v.is_string()) out.push_back(v.get<std::string>());
  return out;
}

/// Moves a string member out into a SecretString and wipes the JSON's copy.
inline SecretString take_secret(Json &j, const char *key) {
  const auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return {};
  auto &s = it->get_ref<std::string &>();
  SecretString out{s};
  util::wipe(s);
  return out;
}

/// Overwrites every string in a JSON value before it is destroyed. Iterative: a hostile, deeply
/// nested response must not overflow the stack (found by tests/fuzz).
inline void wipe_json(Json &j) {
  std::vector<Json *> todo{&j};
  while (!todo.empty()) {
    Json *v = todo.back();
    todo.pop_back();
    if (v->is_string()) {
      util::wipe(v->get_ref<std::string &>());
    } else if (v->is_structured()) {
      for (auto &child : *v) todo.push_back(&child);
    }
  }
}

}  // namespace nativeauth::core
