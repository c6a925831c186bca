// SPDX-License-Identifier: Apache-2.0
// Compact JWS parsing (RFC 7515 §7.1) for ID tokens; untrusted input, fuzzed in tests/fuzz.
#pragma once

#include "core/json_util.hpp"
#include "crypto/crypto.hpp"

#include <nativeauth/result.hpp>

#include <string>
#include <string_view>

namespace nativeauth::oidc {

struct Jwt {
  core::Json header;
  core::Json payload;
  std::string signing_input;  ///< "<b64 header>.<b64 payload>", what the signature covers
  crypto::Bytes signature;
};

/// Splits and decodes a compact JWS. ErrorCode::id_token_malformed for anything that is not three
/// base64url parts with JSON objects as header and payload (a JWE's five parts included).
Result<Jwt> parse_jwt(std::string_view compact);

}  // namespace nativeauth::oidc
