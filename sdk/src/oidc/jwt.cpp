// SPDX-License-Identifier: Apache-2.0
// Compact JWS parsing (RFC 7515 §7.1).
#include "oidc/jwt.hpp"

#include "core/base64url.hpp"

namespace nativeauth::oidc {

Result<Jwt> parse_jwt(std::string_view compact) {
  constexpr std::size_t kMaxToken = 64 * 1024;  // ID tokens are small; refuse absurd input early
  if (compact.size() > kMaxToken) return make_error(ErrorCode::id_token_malformed, "ID token is larger than 64 KiB");
  const auto dot1 = compact.find('.');
  const auto dot2 = dot1 == std::string_view::npos ? dot1 : compact.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || compact.find('.', dot2 + 1) != std::string_view::npos) {
    return make_error(
        ErrorCode::id_token_malformed,
        "ID token is not a compact JWS (expected three dot-separated parts; encrypted ID tokens are not supported)");
  }
  const auto header_b64 = compact.substr(0, dot1);
  const auto payload_b64 = compact.substr(dot1 + 1, dot2 - dot1 - 1);
  const auto signature_b64 = compact.substr(dot2 + 1);

  const auto header_text = core::base64url_decode(header_b64);
  const auto payload_text = core::base64url_decode(payload_b64);
  const auto signature = core::base64url_decode(signature_b64);
  if (!header_text || !payload_text || !signature) {
    return make_error(ErrorCode::id_token_malformed, "ID token has a part that is not valid base64url");
  }
  auto header = core::parse_object(*header_text);
  auto payload = core::parse_object(*payload_text);
  if (!header || !payload) {
    return make_error(ErrorCode::id_token_malformed, "ID token header or payload is not a JSON object");
  }
  Jwt jwt;
  jwt.header = std::move(*header);
  jwt.payload = std::move(*payload);
  jwt.signing_input = std::string(compact.substr(0, dot2));
  jwt.signature.assign(signature->begin(), signature->end());
  return jwt;
}

}  // namespace nativeauth::oidc
