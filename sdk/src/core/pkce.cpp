// SPDX-License-Identifier: Apache-2.0
// PKCE S256 (RFC 7636) and random request tokens from OpenSSL's CSPRNG.
#include "core/pkce.hpp"

#include "core/base64url.hpp"
#include "crypto/crypto.hpp"
#include "util/secrets.hpp"

namespace nativeauth::core {

Result<std::string> s256_challenge(std::string_view verifier) {
  auto digest = crypto::sha256(verifier);
  if (!digest) return std::move(digest).error();
  return base64url_encode(digest->data(), digest->size());
}

Result<std::string> random_token(std::size_t bytes) {
  auto random = crypto::random_bytes(bytes);
  if (!random) return std::move(random).error();
  std::string token = base64url_encode(random->data(), random->size());
  util::wipe(random->data(), random->size());
  return token;
}

Result<Pkce> make_pkce() {
  // RFC 7636 §4.1: 32 octets of randomness, base64url-encoded to a 43-character verifier.
  auto verifier = random_token(32);
  if (!verifier) return std::move(verifier).error();
  auto challenge = s256_challenge(*verifier);
  if (!challenge) return std::move(challenge).error();
  Pkce pkce;
  pkce.challenge = std::move(*challenge);
  pkce.verifier = SecretString(std::move(*verifier));
  return pkce;
}

}  // namespace nativeauth::core
