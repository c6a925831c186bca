// SPDX-License-Identifier: Apache-2.0
// The core's view of cryptography (randomness, hashes, JWS verification, ES256 signing, scrypt and AES-256-GCM). One implementation
// per backend, the only code that sees a crypto library: crypto.cpp (OpenSSL 3) and, on Windows, crypto_cng.cpp
// (BCrypt/CNG). Both give the same results, error codes and messages (tests/unit/crypto_vectors_test.cpp).
#pragma once

#include <nativeauth/result.hpp>
#include <nativeauth/secret.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace nativeauth::crypto {

using Bytes = std::vector<std::uint8_t>;

// With OpenSSL, each function loads libcrypto 3 on its first call (on ELF platforms; docs/adr/0008). When it is
// missing or is not OpenSSL 3, they return ErrorCode::internal saying what to install. CNG is part of Windows
// and linked (bcrypt.dll). Comparing and wiping secrets needs no library: util/secrets.hpp.

/// `n` bytes from the backend's CSPRNG (OpenSSL's RAND_bytes; BCryptGenRandom with the system-preferred RNG).
/// ErrorCode::internal if the RNG fails.
Result<Bytes> random_bytes(std::size_t n);

/// SHA-256 of `data`. ErrorCode::internal only if the crypto library is missing or broken.
Result<std::array<std::uint8_t, 32>> sha256(std::string_view data);

/// A public key as a JWK describes it (RFC 7517/7518 §6), members already base64url-decoded.
struct JwkPublicKey {
  std::string kty;  ///< "RSA" or "EC"
  std::string crv;  ///< EC: "P-256", "P-384", "P-521"
  Bytes n, e;       ///< RSA modulus and exponent (big-endian, unsigned)
  Bytes x, y;       ///< EC point coordinates (big-endian, fixed length for the curve)
};

/// Verifies a JWS signature (RFC 7515) over `signing_input` ("<b64 header>.<b64 payload>").
/// `alg`: RS256/384/512 (PKCS#1 v1.5), PS256/384/512 (PSS, salt = hash length, MGF1 same hash),
/// ES256/384/512 (`signature` is the JOSE R||S form, RFC 7518 §3.4, not DER).
/// Errors:
///  - ErrorCode::id_token_algorithm when `alg` is not one of those, or does not fit the key
///    (RSA alg with an EC key, ES256 with a P-384 key, ...), or an RSA key is under 2048 bits;
///  - ErrorCode::id_token_signature when the signature does not verify or has the wrong length;
///  - ErrorCode::id_token_malformed when the key material is invalid (bad point, empty modulus).
/// Messages never include key or signature bytes.
Result<void> verify_signature(std::string_view alg, const JwkPublicKey &key, std::string_view signing_input,
                              const Bytes &signature);

/// A P-256 key pair that signs ES256 (RFC 7518 §3.4): DPoP proofs made in software (RFC 9449). The private
/// key lives in the backend's key object; private_scalar() copies it out only to be stored in the slot's
/// record. Copies share one key. Thread safety: sign() may be called from several threads at once.
class EcSigningKey {
 public:
  /// A new key from the backend's CSPRNG. Errors: ErrorCode::internal.
  static Result<EcSigningKey> generate();
  /// The key with private scalar `d` (32 bytes, big-endian) and public point (`x`, `y`, 32 bytes each).
  /// Errors: ErrorCode::key_unavailable when they are not a P-256 key pair (wrong lengths, a point off the
  /// curve, d·G ≠ (x, y)).
  static Result<EcSigningKey> import(const SecretString &d, const Bytes &x, const Bytes &y);

  /// The JWS signature R‖S (64 bytes) of SHA-256(`signing_input`), with a fresh random k. Errors: internal.
  Result<Bytes> sign(std::string_view signing_input) const;
  /// The public point's coordinates, 32 bytes each, big-endian.
  const Bytes &x() const noexcept { return x_; }
  const Bytes &y() const noexcept { return y_; }
  /// The private scalar d, 32 bytes big-endian (to store the key). Errors: internal.
  Result<SecretString> private_scalar() const;

  struct State;  ///< the backend's key object (crypto.cpp, crypto_cng.cpp)

 private:
  EcSigningKey(std::shared_ptr<const State> state, Bytes x, Bytes y)
      : state_(std::move(state)), x_(std::move(x)), y_(std::move(y)) {}
  std::shared_ptr<const State> state_;
  Bytes x_, y_;
};

/// scrypt's cost parameters (RFC 7914 §2): N (CPU/memory cost, a power of 2 above 1), r (block size), p
/// (parallelisation). Memory used: about 128 * N * r bytes.
struct ScryptParameters {
  std::uint64_t n = 0;
  std::uint32_t r = 0;
  std::uint32_t p = 0;
};

/// The most memory scrypt may use here (OpenSSL's maxmem_bytes, and the same rule in crypto_cng.cpp): 64 MiB, so a machine with little memory
/// (a container, a CI runner) can always unlock, and a tampered parameter file cannot ask for more.
inline constexpr std::uint64_t kScryptMaxMemory = std::uint64_t{64} << 20;

/// RFC 7914 scrypt of `passphrase` and `salt`: `length` bytes of key (EVP_KDF "SCRYPT" in OpenSSL 3; written
/// out over BCryptDeriveKeyPBKDF2 for CNG, which has no scrypt). Errors: ErrorCode::internal when the parameters
/// are refused (more than kScryptMaxMemory) or the library fails.
Result<SecretString> scrypt(const SecretString &passphrase, const Bytes &salt, const ScryptParameters &parameters,
                            std::size_t length);

inline constexpr std::size_t kGcmNonceSize = 12;  ///< NIST SP 800-38D §8.2: 96-bit nonces
inline constexpr std::size_t kGcmTagSize = 16;    ///< the full 128-bit tag

/// AES-256-GCM (NIST SP 800-38D) of `plaintext` under the 32-byte `key` and the 12-byte `nonce`, with
/// `aad` authenticated but not encrypted: ciphertext followed by the 16-byte tag. A nonce must never be
/// used twice with one key (callers draw it from random_bytes()). Errors: ErrorCode::internal.
Result<std::string> aes_256_gcm_seal(const SecretString &key, const Bytes &nonce, std::string_view aad,
                                     std::string_view plaintext);

/// Reverses aes_256_gcm_seal(): the plaintext, or nullopt when `sealed` does not authenticate under this
/// key, nonce and `aad` (a wrong key, a changed byte, a cut tag). Nothing of an unauthenticated plaintext
/// is returned. Errors: ErrorCode::internal (the library missing or failing, wrong key or nonce size).
Result<std::optional<SecretString>> aes_256_gcm_open(const SecretString &key, const Bytes &nonce, std::string_view aad,
                                                     std::string_view sealed);

namespace detail {
/// For tests: loads `soname` as libcrypto into a throw-away table (the process-wide one is untouched)
/// and returns what would be reported, or "" when it would be usable. Where libcrypto is linked rather
/// than loaded (not ELF, and CNG), always "".
std::string library_problem(const char *soname);
}  // namespace detail

}  // namespace nativeauth::crypto
