// SPDX-License-Identifier: Apache-2.0
// WWW-Authenticate (RFC 9110 §11.6.1): the challenges a resource server answers a refused request with, as
// the Bearer (RFC 6750 §3), DPoP (RFC 9449 §7.1) and step-up (RFC 9470 §3) schemes use them.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace nativeauth::core {

/// One challenge: `scheme` lower-cased ("bearer", "dpop"), then either auth-params (names lower-cased,
/// quoted-string values unescaped) or a token68.
struct Challenge {
  std::string scheme;
  std::vector<std::pair<std::string, std::string>> params;
  std::string token68;

  /// The value of parameter `name` (lower-case), when present (the first one).
  std::optional<std::string> param(std::string_view name) const;
};

/// The challenges of a WWW-Authenticate field value (several fields joined with ", " are one value).
/// Lenient where RFC 9110 allows it (optional whitespace, empty list elements); a malformed challenge ends
/// the parse, and the ones before it are returned. At most 16 challenges and 32 parameters each are read;
/// a value over 8 KiB is not parsed (an empty result).
std::vector<Challenge> parse_www_authenticate(std::string_view value);

}  // namespace nativeauth::core
