// SPDX-License-Identifier: Apache-2.0
// What an app adds to a sign-in request, checked the same way for the browser and the device flow:
// scope tokens (RFC 6749 §3.3) and extra parameters that may not override what nativeauth sets.
// Not here: building the request (sign_in.cpp, device_flow.cpp).
#include "core/client_impl.hpp"

#include <algorithm>

namespace nativeauth {

bool valid_scope_token(const std::string &s) {
  // RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
  if (s.empty()) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u == 0x21 || (u >= 0x23 && u <= 0x5B) || (u >= 0x5D && u <= 0x7E);
  });
}

Result<std::vector<std::string>> Client::Impl::request_scopes(
    const std::vector<std::string> &requested, const std::vector<std::pair<std::string, std::string>> &extra,
    const std::vector<std::string_view> &reserved) const {
  for (const auto &[name, value] : extra) {
    if (name.empty()) return make_error(ErrorCode::invalid_argument, "extra parameter with an empty name");
    if (std::find(reserved.begin(), reserved.end(), name) != reserved.end()) {
      return make_error(ErrorCode::invalid_argument,
                        "extra parameter '" + name + "' is set by nativeauth or has its own option");
    }
  }
  std::vector<std::string> scopes = requested.empty() ? options.scopes : requested;
  for (const auto &s : scopes)
    if (!valid_scope_token(s)) return make_error(ErrorCode::invalid_argument, "invalid scope '" + s + "'");
  if (std::find(scopes.begin(), scopes.end(), "openid") == scopes.end()) scopes.insert(scopes.begin(), "openid");
  return scopes;
}

}  // namespace nativeauth
