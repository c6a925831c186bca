// SPDX-License-Identifier: Apache-2.0
// PKCE (RFC 7636) and the random state/nonce values of an authorization request.
#pragma once

#include <nativeauth/result.hpp>
#include <nativeauth/secret.hpp>

#include <string>
#include <string_view>

namespace nativeauth::core {

struct Pkce {
  SecretString verifier;  ///< 43 characters of base64url from 32 random bytes (RFC 7636 §4.1).
  std::string challenge;  ///< BASE64URL(SHA256(verifier)) (RFC 7636 §4.2, S256).
};

/// The S256 challenge of a verifier (RFC 7636 §4.2). ErrorCode::internal if OpenSSL is missing.
Result<std::string> s256_challenge(std::string_view verifier);

/// A fresh verifier and its challenge.
Result<Pkce> make_pkce();

/// base64url of `bytes` random bytes (state, nonce: 32 bytes = 256 bits).
Result<std::string> random_token(std::size_t bytes = 32);

}  // namespace nativeauth::core
