// SPDX-License-Identifier: Apache-2.0
// The Windows implementation of crypto.hpp on BCrypt (CNG): CSPRNG, SHA-256, JWS verification, ES256 signing keys,
// scrypt and AES-256-GCM, with the same checks, error codes and messages as the OpenSSL one (crypto.cpp).
//
// bcrypt.dll ships with every Windows since Vista, so nothing is loaded lazily here. Algorithm providers are
// opened on first use and kept for the life of the process (BCryptOpenAlgorithmProvider is costly; an opened
// provider may be used from any thread); keys and hash objects are owned by RAII holders. CNG has no scrypt:
// it is written out below (RFC 7914) over CNG's PBKDF2-HMAC-SHA256.

#include "crypto/crypto.hpp"

#include "util/secrets.hpp"

#include <nativeauth/error.hpp>
#include <nativeauth/secret.hpp>

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#ifndef NOMINMAX
#define NOMINMAX
#endif
#include <windows.h>
// clang-format off: needs <windows.h> first
#include <bcrypt.h>
// clang-format on

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <new>
#include <string>

namespace nativeauth::crypto {
namespace {

// NTSTATUS values (from <ntstatus.h>, which clashes with <windows.h> unless WIN32_NO_STATUS is juggled).
constexpr NTSTATUS kStatusNotSupported = static_cast<NTSTATUS>(0xC00000BBL);
constexpr NTSTATUS kStatusNotImplemented = static_cast<NTSTATUS>(0xC0000002L);
constexpr NTSTATUS kStatusAuthTagMismatch = static_cast<NTSTATUS>(0xC000A002L);
constexpr NTSTATUS kStatusInvalidSignature = static_cast<NTSTATUS>(0xC000A000L);

bool succeeded(NTSTATUS status) noexcept { return status >= 0; }  // NT_SUCCESS

/// For messages: the status as CNG documents it ("0xC000A000").
std::string status_text(NTSTATUS status) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08lX", static_cast<unsigned long>(status));
  return buf;
}

Error fail(ErrorCode code, std::string message) { return make_error(code, std::move(message)); }

/// CNG's buffers are non-const PUCHAR even where only read (BCryptHashData, BCryptVerifySignature, ...).
PUCHAR input_bytes(const void *p) noexcept { return static_cast<PUCHAR>(const_cast<void *>(p)); }

// --- Algorithm providers, opened once each on first use.

enum class Provider { sha256, sha384, sha512, hmac_sha256, rsa, ecdsa_p256, ecdsa_p384, ecdsa_p521, aes_gcm };
constexpr std::size_t kProviderCount = 9;

struct ProviderSpec {
  const wchar_t *algorithm;
  ULONG flags;
  const char *name;  ///< for messages
};
constexpr ProviderSpec kProviderSpecs[kProviderCount] = {
    {BCRYPT_SHA256_ALGORITHM, 0, "SHA-256"},
    {BCRYPT_SHA384_ALGORITHM, 0, "SHA-384"},
    {BCRYPT_SHA512_ALGORITHM, 0, "SHA-512"},
    {BCRYPT_SHA256_ALGORITHM, BCRYPT_ALG_HANDLE_HMAC_FLAG, "HMAC-SHA-256"},
    {BCRYPT_RSA_ALGORITHM, 0, "RSA"},
    {BCRYPT_ECDSA_P256_ALGORITHM, 0, "ECDSA P-256"},
    {BCRYPT_ECDSA_P384_ALGORITHM, 0, "ECDSA P-384"},
    {BCRYPT_ECDSA_P521_ALGORITHM, 0, "ECDSA P-521"},
    {BCRYPT_AES_ALGORITHM, 0, "AES-GCM"},
};

/// One cached provider. Never closed: a thread may still be verifying while static destructors run, and the
/// process's end releases it anyway (as crypto.cpp never unloads libcrypto).
struct CachedProvider {
  std::once_flag once;
  BCRYPT_ALG_HANDLE handle = nullptr;
  NTSTATUS status = 0;
};

NTSTATUS open_provider(Provider which, BCRYPT_ALG_HANDLE *out) {
  const ProviderSpec &spec = kProviderSpecs[static_cast<std::size_t>(which)];
  BCRYPT_ALG_HANDLE handle = nullptr;
  NTSTATUS status = BCryptOpenAlgorithmProvider(&handle, spec.algorithm, nullptr, spec.flags);
  if (succeeded(status) && which == Provider::aes_gcm) {
    // The chaining mode is a property of the provider handle: this one is only ever used for GCM.
    status = BCryptSetProperty(handle, BCRYPT_CHAINING_MODE, input_bytes(BCRYPT_CHAIN_MODE_GCM),
                               static_cast<ULONG>(sizeof(BCRYPT_CHAIN_MODE_GCM)), 0);
    if (!succeeded(status)) BCryptCloseAlgorithmProvider(handle, 0);
  }
  *out = succeeded(status) ? handle : nullptr;
  return status;
}

/// The provider for `which`, or ErrorCode::internal naming the algorithm this Windows lacks. Thread-safe.
Result<BCRYPT_ALG_HANDLE> provider(Provider which) {
  static CachedProvider cache[kProviderCount];
  CachedProvider &entry = cache[static_cast<std::size_t>(which)];
  std::call_once(entry.once, [&] { entry.status = open_provider(which, &entry.handle); });
  if (!entry.handle) {
    return fail(ErrorCode::internal, std::string("Windows' CNG has no ") +
                                         kProviderSpecs[static_cast<std::size_t>(which)].name + " (status " +
                                         status_text(entry.status) + ")");
  }
  return entry.handle;
}

// --- Ownership of CNG objects.
struct KeyDestroy {
  void operator()(void *key) const noexcept { BCryptDestroyKey(static_cast<BCRYPT_KEY_HANDLE>(key)); }
};
struct HashDestroy {
  void operator()(void *hash) const noexcept { BCryptDestroyHash(static_cast<BCRYPT_HASH_HANDLE>(hash)); }
};
using KeyPtr = std::unique_ptr<void, KeyDestroy>;
using HashPtr = std::unique_ptr<void, HashDestroy>;

/// The digest of `data` with the hash provider `alg` into `out` (exactly the digest's length).
NTSTATUS digest(BCRYPT_ALG_HANDLE alg, std::string_view data, std::uint8_t *out, ULONG out_len) {
  BCRYPT_HASH_HANDLE raw = nullptr;
  NTSTATUS status = BCryptCreateHash(alg, &raw, nullptr, 0, nullptr, 0, 0);
  if (!succeeded(status)) return status;
  const HashPtr hash(raw);
  while (!data.empty()) {  // ULONG counts: very large inputs go in slices
    const std::size_t chunk = std::min<std::size_t>(data.size(), ULONG_MAX);
    status = BCryptHashData(raw, input_bytes(data.data()), static_cast<ULONG>(chunk), 0);
    if (!succeeded(status)) return status;
    data.remove_prefix(chunk);
  }
  return BCryptFinishHash(raw, out, out_len, 0);
}

// --- JWS algorithms: the same table and rules as crypto.cpp.

enum class Family { rsa_pkcs1, rsa_pss, ecdsa };

struct AlgSpec {
  std::string_view name;
  Family family;
  Provider hash;
  const wchar_t *hash_id;    ///< CNG's name of the hash, for the padding info.
  ULONG hash_len;            ///< also the PSS salt length (RFC 7518 §3.5)
  std::string_view jwk_crv;  ///< ECDSA: the only JWK curve this alg may use (RFC 7518 §3.4).
  Provider curve;            ///< ECDSA: the provider for jwk_crv.
  ULONG public_magic;        ///< ECDSA: BCRYPT_ECCKEY_BLOB's magic for jwk_crv.
  std::size_t coord_len;     ///< ECDSA: byte length of one coordinate, and of R and of S.
};

// RFC 7518 §3.1; HMAC deliberately absent (see crypto.cpp: an HS* ID token can only be a forgery here).
constexpr AlgSpec kAlgs[] = {
    {"RS256", Family::rsa_pkcs1, Provider::sha256, BCRYPT_SHA256_ALGORITHM, 32, {}, Provider::rsa, 0, 0},
    {"RS384", Family::rsa_pkcs1, Provider::sha384, BCRYPT_SHA384_ALGORITHM, 48, {}, Provider::rsa, 0, 0},
    {"RS512", Family::rsa_pkcs1, Provider::sha512, BCRYPT_SHA512_ALGORITHM, 64, {}, Provider::rsa, 0, 0},
    {"PS256", Family::rsa_pss, Provider::sha256, BCRYPT_SHA256_ALGORITHM, 32, {}, Provider::rsa, 0, 0},
    {"PS384", Family::rsa_pss, Provider::sha384, BCRYPT_SHA384_ALGORITHM, 48, {}, Provider::rsa, 0, 0},
    {"PS512", Family::rsa_pss, Provider::sha512, BCRYPT_SHA512_ALGORITHM, 64, {}, Provider::rsa, 0, 0},
    {"ES256", Family::ecdsa, Provider::sha256, BCRYPT_SHA256_ALGORITHM, 32, "P-256", Provider::ecdsa_p256,
     BCRYPT_ECDSA_PUBLIC_P256_MAGIC, 32},
    {"ES384", Family::ecdsa, Provider::sha384, BCRYPT_SHA384_ALGORITHM, 48, "P-384", Provider::ecdsa_p384,
     BCRYPT_ECDSA_PUBLIC_P384_MAGIC, 48},
    {"ES512", Family::ecdsa, Provider::sha512, BCRYPT_SHA512_ALGORITHM, 64, "P-521", Provider::ecdsa_p521,
     BCRYPT_ECDSA_PUBLIC_P521_MAGIC, 66},  // 521 bits round up to 66 bytes
};

const AlgSpec *find_alg(std::string_view alg) noexcept {
  for (const AlgSpec &spec : kAlgs) {
    if (spec.name == alg) return &spec;  // exact, case-sensitive match (RFC 7515 §4.1.1)
  }
  return nullptr;
}

// RFC 7518 §3.3: "A key of size 2048 bits or larger MUST be used with these algorithms."
constexpr std::size_t kMinRsaBits = 2048;

/// `alg` comes from an untrusted token header: quote only a short, printable prefix of it in messages.
std::string printable(std::string_view s) {
  constexpr std::size_t kMax = 16;
  std::string out;
  for (char c : s.substr(0, kMax)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  if (s.size() > kMax) out += "...";
  return out;
}

/// A big-endian unsigned number without its leading zero bytes (an empty result is zero).
Bytes strip_zeros(const Bytes &big_endian) {
  auto first = std::find_if(big_endian.begin(), big_endian.end(), [](std::uint8_t b) { return b != 0; });
  return Bytes(first, big_endian.end());
}

std::size_t bit_length(const Bytes &stripped) noexcept {
  if (stripped.empty()) return 0;
  std::size_t bits = 8 * (stripped.size() - 1);
  for (unsigned top = stripped[0]; top != 0; top >>= 1) ++bits;
  return bits;
}

/// a < b for stripped big-endian numbers.
bool less_than(const Bytes &a, const Bytes &b) noexcept {
  if (a.size() != b.size()) return a.size() < b.size();
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end());
}

/// An imported RSA public key and its modulus length in bytes (the length every signature must have).
struct RsaKey {
  KeyPtr key;
  std::size_t modulus_len = 0;
};

/// RFC 7518 §6.3.1: an RSA public key from its modulus and exponent, with crypto.cpp's checks.
Result<RsaKey> rsa_key(const JwkPublicKey &jwk) {
  if (jwk.n.empty() || jwk.e.empty()) {
    return fail(ErrorCode::id_token_malformed, "RSA key lacks its modulus or exponent");
  }
  // Counted on the number, not the byte string: a leading zero byte (which some providers send despite
  // RFC 7518 §6.3.1.1) neither inflates the size nor gets a sound key refused.
  const Bytes n = strip_zeros(jwk.n);
  const Bytes e = strip_zeros(jwk.e);
  const std::size_t bits = bit_length(n);
  if (bits < kMinRsaBits) {
    return fail(ErrorCode::id_token_algorithm, "the provider's RSA key has " + std::to_string(bits) +
                                                   " bits; at least " + std::to_string(kMinRsaBits) +
                                                   " are required (RFC 7518 §3.3)");
  }
  // A real modulus is odd, and e must be an odd number above 1 and below n: with e = 1 the "signature" is
  // the padded message itself, which anyone can produce.
  const bool e_is_one = e.size() == 1 && e[0] == 1;
  if ((n.back() & 1) == 0 || e.empty() || (e.back() & 1) == 0 || e_is_one || !less_than(e, n) ||
      n.size() > ULONG_MAX / 2) {
    return fail(ErrorCode::id_token_malformed, "the provider's RSA key is not a valid public key");
  }
  // BCRYPT_RSAPUBLIC_BLOB: the header, then the exponent and the modulus, both big-endian.
  BCRYPT_RSAKEY_BLOB header{};
  header.Magic = BCRYPT_RSAPUBLIC_MAGIC;
  header.BitLength = static_cast<ULONG>(bits);
  header.cbPublicExp = static_cast<ULONG>(e.size());
  header.cbModulus = static_cast<ULONG>(n.size());
  Bytes blob(sizeof header);
  std::memcpy(blob.data(), &header, sizeof header);
  blob.insert(blob.end(), e.begin(), e.end());
  blob.insert(blob.end(), n.begin(), n.end());

  Result<BCRYPT_ALG_HANDLE> alg = provider(Provider::rsa);
  if (!alg) return std::move(alg).error();
  BCRYPT_KEY_HANDLE raw = nullptr;
  if (!succeeded(BCryptImportKeyPair(*alg, nullptr, BCRYPT_RSAPUBLIC_BLOB, &raw, blob.data(),
                                     static_cast<ULONG>(blob.size()), 0))) {
    return fail(ErrorCode::id_token_malformed, "the provider's RSA key was refused by CNG");
  }
  return RsaKey{KeyPtr(raw), n.size()};
}

/// RFC 7518 §6.2.1: an EC public key from its curve and fixed-length coordinates. CNG validates the point
/// on import (unless BCRYPT_NO_KEY_VALIDATION is passed, which it is not), so a point off the curve never
/// reaches ECDSA verification (invalid-curve attacks).
Result<KeyPtr> ec_key(const JwkPublicKey &jwk, const AlgSpec &spec) {
  // RFC 7518 §6.2.1.2/§6.2.1.3: x and y are exactly the curve's coordinate length, leading zeros kept.
  if (jwk.x.size() != spec.coord_len || jwk.y.size() != spec.coord_len) {
    return fail(ErrorCode::id_token_malformed,
                "the provider's " + std::string(spec.jwk_crv) + " key has coordinates of the wrong length");
  }
  BCRYPT_ECCKEY_BLOB header{};
  header.dwMagic = spec.public_magic;
  header.cbKey = static_cast<ULONG>(spec.coord_len);
  Bytes blob(sizeof header);
  std::memcpy(blob.data(), &header, sizeof header);
  blob.insert(blob.end(), jwk.x.begin(), jwk.x.end());
  blob.insert(blob.end(), jwk.y.begin(), jwk.y.end());

  Result<BCRYPT_ALG_HANDLE> alg = provider(spec.curve);
  if (!alg) return std::move(alg).error();
  BCRYPT_KEY_HANDLE raw = nullptr;
  if (!succeeded(BCryptImportKeyPair(*alg, nullptr, BCRYPT_ECCPUBLIC_BLOB, &raw, blob.data(),
                                     static_cast<ULONG>(blob.size()), 0))) {
    return fail(ErrorCode::id_token_malformed,
                "the provider's " + std::string(spec.jwk_crv) + " key is not a point on the curve");
  }
  return KeyPtr(raw);
}

/// The verdict of BCryptVerifySignature: only success verifies. "Not supported" is this Windows lacking
/// the padding or curve (internal); any other failure is a signature that does not verify.
Result<void> verdict(NTSTATUS status, const AlgSpec &spec) {
  if (succeeded(status)) return {};
  if (status == kStatusNotSupported || status == kStatusNotImplemented) {
    return fail(ErrorCode::internal, "Windows' CNG cannot verify " + std::string(spec.name) + " signatures (status " +
                                         status_text(status) + ")");
  }
  return fail(ErrorCode::id_token_signature,
              "the ID token's " + std::string(spec.name) + " signature does not verify with the provider's key");
}

Result<void> verify_rsa(const AlgSpec &spec, const JwkPublicKey &jwk, const std::uint8_t *hash,
                        const Bytes &signature) {
  Result<RsaKey> key = rsa_key(jwk);
  if (!key) return std::move(key).error();
  if (signature.empty()) return fail(ErrorCode::id_token_signature, "the ID token has an empty signature");
  // RFC 8017 §8.2.2 step 1 / §8.1.2 step 1: a signature of any other length than the modulus is invalid.
  // Checked here so that CNG's leniency (or not) about shorter ones cannot make the two backends differ.
  if (signature.size() != key->modulus_len) return verdict(kStatusInvalidSignature, spec);

  BCRYPT_PKCS1_PADDING_INFO pkcs1{spec.hash_id};
  // RFC 7518 §3.5: MGF1 with the same hash, and a salt exactly as long as the hash output.
  BCRYPT_PSS_PADDING_INFO pss{spec.hash_id, spec.hash_len};
  const bool is_pss = spec.family == Family::rsa_pss;
  void *padding = is_pss ? static_cast<void *>(&pss) : static_cast<void *>(&pkcs1);
  const NTSTATUS status = BCryptVerifySignature(key->key.get(), padding, input_bytes(hash), spec.hash_len,
                                                input_bytes(signature.data()), static_cast<ULONG>(signature.size()),
                                                is_pss ? BCRYPT_PAD_PSS : BCRYPT_PAD_PKCS1);
  return verdict(status, spec);
}

Result<void> verify_ecdsa(const AlgSpec &spec, const JwkPublicKey &jwk, const std::uint8_t *hash,
                          const Bytes &signature) {
  Result<KeyPtr> key = ec_key(jwk, spec);
  if (!key) return std::move(key).error();
  // RFC 7518 §3.4: R || S, each exactly the coordinate length; CNG verifies that very form. A DER signature
  // is refused by its length: accepting two encodings of one signature is how malleability bugs start.
  if (signature.size() != 2 * spec.coord_len) {
    return fail(ErrorCode::id_token_signature,
                "the " + std::string(spec.name) + " signature has " + std::to_string(signature.size()) +
                    " bytes; RFC 7518 §3.4 requires " + std::to_string(2 * spec.coord_len));
  }
  const NTSTATUS status = BCryptVerifySignature(key->get(), nullptr, input_bytes(hash), spec.hash_len,
                                                input_bytes(signature.data()), static_cast<ULONG>(signature.size()), 0);
  return verdict(status, spec);
}

Result<void> verify_impl(std::string_view alg, const JwkPublicKey &jwk, std::string_view signing_input,
                         const Bytes &signature) {
  const AlgSpec *spec = find_alg(alg);
  if (spec == nullptr) {
    return fail(ErrorCode::id_token_algorithm,
                "the ID token's alg \"" + printable(alg) +
                    "\" is not accepted; only RS256/384/512, PS256/384/512 and ES256/384/512 are");
  }
  // The key decides what may be verified with it, never the token: an RSA alg needs an RSA key, an ES alg
  // exactly its own curve (RFC 7518 §3.4 binds ES256 to P-256, ES384 to P-384, ES512 to P-521).
  const bool wants_rsa = spec->family != Family::ecdsa;
  if (wants_rsa ? jwk.kty != "RSA" : (jwk.kty != "EC" || jwk.crv != spec->jwk_crv)) {
    std::string have = jwk.kty == "EC" ? "an EC " + printable(jwk.crv) + " key"
                                       : "a \"" + printable(jwk.kty) + "\" key";
    return fail(ErrorCode::id_token_algorithm,
                "the ID token's alg " + std::string(spec->name) + " does not fit the provider's key (" + have + ")");
  }
  if (signature.size() > ULONG_MAX) {
    return fail(ErrorCode::id_token_signature, "the ID token's signature is too long");
  }
  Result<BCRYPT_ALG_HANDLE> hash_alg = provider(spec->hash);
  if (!hash_alg) return std::move(hash_alg).error();
  std::uint8_t hash[64];
  if (!succeeded(digest(*hash_alg, signing_input, hash, spec->hash_len))) {
    return fail(ErrorCode::internal, "could not set up " + std::string(spec->name) + " verification");
  }
  return wants_rsa ? verify_rsa(*spec, jwk, hash, signature) : verify_ecdsa(*spec, jwk, hash, signature);
}

// --- scrypt (RFC 7914), since CNG has none: PBKDF2-HMAC-SHA256 from CNG, Salsa20/8, BlockMix and ROMix here.

/// The checks OpenSSL's scrypt makes before deriving (providers/implementations/kdfs/scrypt.c), with the
/// same memory bound: B (128 r p bytes) plus V and the scratch blocks (128 r (N + 2) bytes).
bool scrypt_parameters_fit(const ScryptParameters &params) noexcept {
  const std::uint64_t n = params.n, r = params.r, p = params.p;
  if (r == 0 || p == 0 || n < 2 || (n & (n - 1)) != 0) return false;
  if (p > ((std::uint64_t{1} << 30) - 1) / r) return false;               // RFC 7914 §2: r * p < 2^30
  if (16 * r <= 63 && n >= (std::uint64_t{1} << (16 * r))) return false;  // RFC 7914 §2: N < 2^(128 r / 8)
  if (n + 2 > UINT64_MAX / 128 / r) return false;
  const std::uint64_t b_len = 128 * r * p;
  if (b_len > static_cast<std::uint64_t>(INT_MAX)) return false;
  const std::uint64_t v_len = 128 * r * (n + 2);
  if (b_len > UINT64_MAX - v_len) return false;
  return b_len + v_len <= kScryptMaxMemory;
}

std::uint32_t rotl(std::uint32_t x, int n) noexcept { return (x << n) | (x >> (32 - n)); }

/// RFC 7914 §3: Salsa20/8 core, on 16 little-endian words in place.
void salsa20_8(std::uint32_t b[16]) noexcept {
  std::uint32_t x[16];
  std::memcpy(x, b, sizeof x);
  for (int i = 0; i < 8; i += 2) {
    // Columns, then rows.
    x[4] ^= rotl(x[0] + x[12], 7), x[8] ^= rotl(x[4] + x[0], 9), x[12] ^= rotl(x[8] + x[4], 13);
    x[0] ^= rotl(x[12] + x[8], 18), x[9] ^= rotl(x[5] + x[1], 7), x[13] ^= rotl(x[9] + x[5], 9);
    x[1] ^= rotl(x[13] + x[9], 13), x[5] ^= rotl(x[1] + x[13], 18), x[14] ^= rotl(x[10] + x[6], 7);
    x[2] ^= rotl(x[14] + x[10], 9), x[6] ^= rotl(x[2] + x[14], 13), x[10] ^= rotl(x[6] + x[2], 18);
    x[3] ^= rotl(x[15] + x[11], 7), x[7] ^= rotl(x[3] + x[15], 9), x[11] ^= rotl(x[7] + x[3], 13);
    x[15] ^= rotl(x[11] + x[7], 18);
    x[1] ^= rotl(x[0] + x[3], 7), x[2] ^= rotl(x[1] + x[0], 9), x[3] ^= rotl(x[2] + x[1], 13);
    x[0] ^= rotl(x[3] + x[2], 18), x[6] ^= rotl(x[5] + x[4], 7), x[7] ^= rotl(x[6] + x[5], 9);
    x[4] ^= rotl(x[7] + x[6], 13), x[5] ^= rotl(x[4] + x[7], 18), x[11] ^= rotl(x[10] + x[9], 7);
    x[8] ^= rotl(x[11] + x[10], 9), x[9] ^= rotl(x[8] + x[11], 13), x[10] ^= rotl(x[9] + x[8], 18);
    x[12] ^= rotl(x[15] + x[14], 7), x[13] ^= rotl(x[12] + x[15], 9), x[14] ^= rotl(x[13] + x[12], 13);
    x[15] ^= rotl(x[14] + x[13], 18);
  }
  for (int i = 0; i < 16; ++i) b[i] += x[i];
  secure_wipe(x, sizeof x);
}

/// RFC 7914 §4: scryptBlockMix of the 2r 64-byte blocks in `b` (32 r words), using `y` (as many) as scratch.
void block_mix(std::uint32_t *b, std::uint32_t *y, std::size_t r) noexcept {
  std::uint32_t x[16];
  std::memcpy(x, b + (2 * r - 1) * 16, sizeof x);
  for (std::size_t i = 0; i < 2 * r; ++i) {
    for (int k = 0; k < 16; ++k) x[k] ^= b[i * 16 + k];
    salsa20_8(x);
    // B' = (Y0, Y2, ..., Y2r-2, Y1, Y3, ..., Y2r-1)
    std::memcpy(y + ((i % 2) * r + i / 2) * 16, x, sizeof x);
  }
  std::memcpy(b, y, 2 * r * 64);
  secure_wipe(x, sizeof x);
}

/// RFC 7914 §5: scryptROMix of one 128 r-byte block `block` in place. `v` holds N * 32 r words, `xy` 64 r.
void ro_mix(std::uint8_t *block, std::size_t r, std::uint64_t n, std::uint32_t *v, std::uint32_t *xy) noexcept {
  const std::size_t words = 32 * r;
  std::uint32_t *x = xy;
  std::uint32_t *y = xy + words;
  for (std::size_t k = 0; k < words; ++k) {  // little-endian words (RFC 7914 §3)
    const std::uint8_t *p = block + 4 * k;
    x[k] = std::uint32_t{p[0]} | std::uint32_t{p[1]} << 8 | std::uint32_t{p[2]} << 16 | std::uint32_t{p[3]} << 24;
  }
  for (std::uint64_t i = 0; i < n; ++i) {
    std::memcpy(v + i * words, x, words * 4);
    block_mix(x, y, r);
  }
  for (std::uint64_t i = 0; i < n; ++i) {
    // Integerify: the first 64 bits of the last 64-byte block, little-endian, mod N (a power of 2).
    const std::uint64_t last = (std::uint64_t{x[(2 * r - 1) * 16 + 1]} << 32) | x[(2 * r - 1) * 16];
    const std::uint32_t *vj = v + (last & (n - 1)) * words;
    for (std::size_t k = 0; k < words; ++k) x[k] ^= vj[k];
    block_mix(x, y, r);
  }
  for (std::size_t k = 0; k < words; ++k) {
    for (int byte = 0; byte < 4; ++byte) block[4 * k + byte] = static_cast<std::uint8_t>(x[k] >> (8 * byte));
  }
}

/// PBKDF2-HMAC-SHA256 with one iteration (what scrypt uses, RFC 7914 §6), by CNG.
NTSTATUS pbkdf2_once(BCRYPT_ALG_HANDLE hmac, std::string_view password, const std::uint8_t *salt, std::size_t salt_len,
                     std::uint8_t *out, std::size_t out_len) {
  // RFC 2104 §2: an HMAC key shorter than the block is padded with zeros, so "" and "\0" are the same key;
  // CNG refuses an empty one on some versions.
  static const std::uint8_t kZero[1] = {0};
  const void *key = password.empty() ? static_cast<const void *>(kZero) : password.data();
  const ULONG key_len = password.empty() ? 1 : static_cast<ULONG>(password.size());
  const void *salt_ptr = salt_len == 0 ? static_cast<const void *>(kZero) : salt;  // never a null buffer
  return BCryptDeriveKeyPBKDF2(hmac, input_bytes(key), key_len, input_bytes(salt_ptr), static_cast<ULONG>(salt_len), 1,
                               out, static_cast<ULONG>(out_len), 0);
}

/// Memory that is wiped before it is freed.
template <typename T>
struct WipedBuffer {
  explicit WipedBuffer(std::size_t count) : data(new (std::nothrow) T[count]), size(count) {}
  ~WipedBuffer() {
    if (data) secure_wipe(data.get(), size * sizeof(T));
  }
  WipedBuffer(const WipedBuffer &) = delete;
  WipedBuffer &operator=(const WipedBuffer &) = delete;
  std::unique_ptr<T[]> data;
  std::size_t size;
};

/// RFC 7914 §6 once the parameters passed scrypt_parameters_fit(); false when CNG or memory failed.
bool scrypt_derive(BCRYPT_ALG_HANDLE hmac, std::string_view pass, const Bytes &salt, const ScryptParameters &params,
                   std::uint8_t *out, std::size_t length) {
  const std::size_t r = params.r;
  const std::size_t block_len = 128 * r;
  WipedBuffer<std::uint8_t> b(block_len * params.p);
  WipedBuffer<std::uint32_t> v(static_cast<std::size_t>(params.n) * 32 * r);
  WipedBuffer<std::uint32_t> xy(64 * r);
  if (!b.data || !v.data || !xy.data) return false;
  // 1. B = PBKDF2-HMAC-SHA256(P, S, 1, p * 128 * r)
  if (!succeeded(pbkdf2_once(hmac, pass, salt.data(), salt.size(), b.data.get(), b.size))) return false;
  // 2. B_i = scryptROMix(r, B_i, N) for each of the p blocks
  for (std::size_t i = 0; i < params.p; ++i)
    ro_mix(b.data.get() + i * block_len, r, params.n, v.data.get(), xy.data.get());
  // 3. DK = PBKDF2-HMAC-SHA256(P, B, 1, dkLen)
  return succeeded(pbkdf2_once(hmac, pass, b.data.get(), b.size, out, length));
}

// --- AES-256-GCM

/// A CNG key for the 32 bytes of `key`, on the GCM provider.
Result<KeyPtr> gcm_key(const SecretString &key) {
  Result<BCRYPT_ALG_HANDLE> alg = provider(Provider::aes_gcm);
  if (!alg) return std::move(alg).error();
  BCRYPT_KEY_HANDLE raw = nullptr;
  // A null key object lets CNG allocate (and on destruction free) the key schedule itself.
  if (!succeeded(BCryptGenerateSymmetricKey(*alg, &raw, nullptr, 0, input_bytes(key.reveal().data()),
                                            static_cast<ULONG>(key.size()), 0))) {
    return fail(ErrorCode::internal, "CNG refused an AES-256 key");
  }
  return KeyPtr(raw);
}

/// The nonce, the AAD and the tag of one GCM call (NIST SP 800-38D).
BCRYPT_AUTHENTICATED_CIPHER_MODE_INFO gcm_info(const Bytes &nonce, std::string_view aad, std::uint8_t *tag) {
  BCRYPT_AUTHENTICATED_CIPHER_MODE_INFO info;
  BCRYPT_INIT_AUTH_MODE_INFO(info);
  info.pbNonce = input_bytes(nonce.data());
  info.cbNonce = static_cast<ULONG>(nonce.size());
  info.pbAuthData = aad.empty() ? nullptr : input_bytes(aad.data());
  info.cbAuthData = static_cast<ULONG>(aad.size());
  info.pbTag = tag;
  info.cbTag = static_cast<ULONG>(kGcmTagSize);
  return info;
}

bool gcm_sizes_ok(const SecretString &key, const Bytes &nonce, std::string_view aad, std::string_view text) {
  return key.size() == 32 && nonce.size() == kGcmNonceSize && text.size() <= static_cast<std::size_t>(INT_MAX) &&
         aad.size() <= static_cast<std::size_t>(INT_MAX);
}

}  // namespace

Result<Bytes> random_bytes(std::size_t n) {
  Bytes out(n);
  // BCryptGenRandom takes a ULONG count, so very large requests are filled in slices.
  std::size_t done = 0;
  while (done < n) {
    const std::size_t chunk = std::min<std::size_t>(n - done, ULONG_MAX);
    if (!succeeded(BCryptGenRandom(nullptr, out.data() + done, static_cast<ULONG>(chunk),
                                   BCRYPT_USE_SYSTEM_PREFERRED_RNG))) {
      // Nothing partial is handed out: half-random bytes must not end up as a state or verifier.
      util::wipe(out.data(), out.size());
      return fail(ErrorCode::internal, "Windows' random number generator (BCryptGenRandom) failed");
    }
    done += chunk;
  }
  return out;
}

Result<std::array<std::uint8_t, 32>> sha256(std::string_view data) {
  Result<BCRYPT_ALG_HANDLE> alg = provider(Provider::sha256);
  if (!alg) return std::move(alg).error();
  std::array<std::uint8_t, 32> out{};
  if (!succeeded(digest(*alg, data, out.data(), static_cast<ULONG>(out.size())))) {
    // A made-up digest would be worse than failing, since PKCE challenges would silently use it.
    return fail(ErrorCode::internal, "CNG could not compute SHA-256");
  }
  return out;
}

Result<void> verify_signature(std::string_view alg, const JwkPublicKey &key, std::string_view signing_input,
                              const Bytes &signature) {
  return verify_impl(alg, key, signing_input, signature);
}

Result<SecretString> scrypt(const SecretString &passphrase, const Bytes &salt, const ScryptParameters &p,
                            std::size_t length) {
  const std::string params = "(N=" + std::to_string(p.n) + ", r=" + std::to_string(p.r) + ", p=" + std::to_string(p.p) +
                             ")";
  // Parameters are checked by the caller; what is left is memory (the bound) or a broken CNG.
  if (!scrypt_parameters_fit(p) || passphrase.size() > ULONG_MAX || salt.size() > ULONG_MAX || length > ULONG_MAX) {
    return fail(ErrorCode::internal, "scrypt refused its parameters " + params + ": more than " +
                                         std::to_string(kScryptMaxMemory >> 20) + " MiB of memory, or out of range");
  }
  Result<BCRYPT_ALG_HANDLE> hmac = provider(Provider::hmac_sha256);
  if (!hmac) return std::move(hmac).error();
  std::string out(length, '\0');
  if (length > 0 &&
      !scrypt_derive(*hmac, passphrase.reveal(), salt, p, reinterpret_cast<std::uint8_t *>(&out[0]), length)) {
    util::wipe(out);
    return fail(ErrorCode::internal, "scrypt failed " + params + " (out of memory, or CNG's PBKDF2 failed)");
  }
  return SecretString(std::move(out));
}

Result<std::string> aes_256_gcm_seal(const SecretString &key, const Bytes &nonce, std::string_view aad,
                                     std::string_view plaintext) {
  if (!gcm_sizes_ok(key, nonce, aad, plaintext)) {
    return fail(ErrorCode::internal, "AES-256-GCM: a key of 32 bytes and a nonce of 12 are required");
  }
  Result<KeyPtr> k = gcm_key(key);
  if (!k) return std::move(k).error();
  std::string out(plaintext.size() + kGcmTagSize, '\0');
  auto *o = reinterpret_cast<std::uint8_t *>(&out[0]);
  BCRYPT_AUTHENTICATED_CIPHER_MODE_INFO info = gcm_info(nonce, aad, o + plaintext.size());
  ULONG written = 0;
  const NTSTATUS status = BCryptEncrypt(k->get(), input_bytes(plaintext.data()), static_cast<ULONG>(plaintext.size()),
                                        &info, nullptr, 0, o, static_cast<ULONG>(plaintext.size()), &written, 0);
  if (!succeeded(status) || written != plaintext.size()) {
    return fail(ErrorCode::internal, "CNG could not encrypt with AES-256-GCM (status " + status_text(status) + ")");
  }
  return out;
}

Result<std::optional<SecretString>> aes_256_gcm_open(const SecretString &key, const Bytes &nonce, std::string_view aad,
                                                     std::string_view sealed) {
  if (!gcm_sizes_ok(key, nonce, aad, sealed)) {
    return fail(ErrorCode::internal, "AES-256-GCM: a key of 32 bytes and a nonce of 12 are required");
  }
  if (sealed.size() < kGcmTagSize) return std::optional<SecretString>();
  Result<KeyPtr> k = gcm_key(key);
  if (!k) return std::move(k).error();
  const std::size_t size = sealed.size() - kGcmTagSize;
  std::uint8_t tag[kGcmTagSize];  // CNG takes a non-const tag pointer: a copy, never written through
  std::memcpy(tag, sealed.data() + size, kGcmTagSize);
  std::string out(size, '\0');
  util::WipeOnExit wipe_out(out);
  BCRYPT_AUTHENTICATED_CIPHER_MODE_INFO info = gcm_info(nonce, aad, tag);
  ULONG written = 0;
  const NTSTATUS status = BCryptDecrypt(k->get(), input_bytes(sealed.data()), static_cast<ULONG>(size), &info, nullptr,
                                        0, reinterpret_cast<std::uint8_t *>(&out[0]), static_cast<ULONG>(size),
                                        &written, 0);
  // SP 800-38D §7.2: nothing of the plaintext is released unless the tag verifies (`out` is wiped).
  if (status == kStatusAuthTagMismatch) return std::optional<SecretString>();
  if (!succeeded(status) || written != size) {
    return fail(ErrorCode::internal, "CNG could not decrypt with AES-256-GCM (status " + status_text(status) + ")");
  }
  std::string plain(out.data(), size);
  return std::optional<SecretString>(SecretString(std::move(plain)));
}

// --- ES256 signing keys (DPoP proofs, RFC 9449)

/// A BCrypt P-256 ECDSA key. BCryptSignHash on one key from several threads is not documented as safe, so
/// signing takes the lock (DPoP signs once per request: it never contends in practice).
struct EcSigningKey::State {
  KeyPtr key;
  mutable std::mutex sign_lock;
};

namespace {

constexpr std::size_t kP256Length = 32;  // bytes of d, of x, of y, of R and of S

/// The BCRYPT_ECCKEY_BLOB header, then the parts (x ‖ y, or x ‖ y ‖ d), as BCryptImportKeyPair reads them.
std::string ecc_blob(ULONG magic, std::initializer_list<std::string_view> parts) {
  BCRYPT_ECCKEY_BLOB header{};
  header.dwMagic = magic;
  header.cbKey = static_cast<ULONG>(kP256Length);
  std::string blob(reinterpret_cast<const char *>(&header), sizeof header);
  for (std::string_view part : parts) blob.append(part.data(), part.size());
  return blob;
}

std::string_view chars(const Bytes &b) { return {reinterpret_cast<const char *>(b.data()), b.size()}; }

/// Exports `key` as `blob_type` (BCRYPT_ECCPUBLIC_BLOB or BCRYPT_ECCPRIVATE_BLOB) into `out`, which the caller
/// wipes when it holds d.
bool export_p256(BCRYPT_KEY_HANDLE key, const wchar_t *blob_type, std::string &out) {
  out.assign(sizeof(BCRYPT_ECCKEY_BLOB) + 3 * kP256Length, '\0');
  ULONG written = 0;
  const NTSTATUS status = BCryptExportKey(key, nullptr, blob_type, reinterpret_cast<PUCHAR>(&out[0]),
                                          static_cast<ULONG>(out.size()), &written, 0);
  if (!succeeded(status) || written < sizeof(BCRYPT_ECCKEY_BLOB)) return false;
  BCRYPT_ECCKEY_BLOB header{};
  std::memcpy(&header, out.data(), sizeof header);
  const std::size_t parts = std::wstring_view(blob_type) == BCRYPT_ECCPRIVATE_BLOB ? 3 : 2;
  return header.cbKey == kP256Length && written == sizeof header + parts * kP256Length;
}

/// SHA-256 of `input`, signed by `key`: R ‖ S as BCryptSignHash writes it for ECDSA (RFC 7518 §3.4's form).
NTSTATUS sign_p256(BCRYPT_KEY_HANDLE key, std::string_view input, Bytes &out) {
  Result<BCRYPT_ALG_HANDLE> sha = provider(Provider::sha256);
  if (!sha) return kStatusNotSupported;
  std::uint8_t hash[32];
  NTSTATUS status = digest(*sha, input, hash, sizeof hash);
  if (!succeeded(status)) return status;
  out.assign(2 * kP256Length, 0);
  ULONG written = 0;
  status = BCryptSignHash(key, nullptr, hash, sizeof hash, out.data(), static_cast<ULONG>(out.size()), &written, 0);
  if (succeeded(status) && written != out.size()) return kStatusInvalidSignature;
  return status;
}

/// True when `key` (imported from d, x and y) really is the pair d, d·G = (x, y). CNG does not promise to check
/// that on import, and wine's bcrypt checks nothing (neither the pair nor that the point is on the curve); nor
/// can either import d alone and give back the point it derives (wine refuses a zeroed point). So the check is
/// made the way a verifier would see it: a signature made with d must verify under (x, y), imported as a public
/// key (which Windows validates on the curve). A mismatched pair passes with probability about 2^-256.
bool pair_matches(BCRYPT_KEY_HANDLE key, const Bytes &x, const Bytes &y) {
  constexpr std::string_view kProbe = "nativeauth: P-256 pairwise check";
  Bytes signature;
  if (!succeeded(sign_p256(key, kProbe, signature))) return false;
  JwkPublicKey jwk;
  jwk.kty = "EC";
  jwk.crv = "P-256";
  jwk.x = x;
  jwk.y = y;
  return verify_impl("ES256", jwk, kProbe, signature).has_value();
}

}  // namespace

Result<EcSigningKey> EcSigningKey::generate() {
  Result<BCRYPT_ALG_HANDLE> alg = provider(Provider::ecdsa_p256);
  if (!alg) return std::move(alg).error();
  BCRYPT_KEY_HANDLE raw = nullptr;
  NTSTATUS status = BCryptGenerateKeyPair(*alg, &raw, 256, 0);
  KeyPtr key(raw);
  if (succeeded(status)) status = BCryptFinalizeKeyPair(raw, 0);
  std::string pub;
  if (!succeeded(status) || !export_p256(raw, BCRYPT_ECCPUBLIC_BLOB, pub)) {
    return fail(ErrorCode::internal, "CNG could not generate a P-256 key (status " + status_text(status) + ")");
  }
  const auto *point = reinterpret_cast<const std::uint8_t *>(pub.data()) + sizeof(BCRYPT_ECCKEY_BLOB);
  auto state = std::make_shared<State>();
  state->key = std::move(key);
  return EcSigningKey(std::move(state), Bytes(point, point + kP256Length),
                      Bytes(point + kP256Length, point + 2 * kP256Length));
}

Result<EcSigningKey> EcSigningKey::import(const SecretString &d, const Bytes &x, const Bytes &y) {
  if (d.size() != kP256Length || x.size() != kP256Length || y.size() != kP256Length) {
    return fail(ErrorCode::key_unavailable, "the stored DPoP key is not a P-256 key (wrong lengths)");
  }
  Result<BCRYPT_ALG_HANDLE> alg = provider(Provider::ecdsa_p256);
  if (!alg) return std::move(alg).error();
  std::string blob = ecc_blob(BCRYPT_ECDSA_PRIVATE_P256_MAGIC, {chars(x), chars(y), d.reveal()});
  util::WipeOnExit wipe_blob(blob);
  BCRYPT_KEY_HANDLE raw = nullptr;
  const NTSTATUS status = BCryptImportKeyPair(*alg, nullptr, BCRYPT_ECCPRIVATE_BLOB, &raw,
                                              reinterpret_cast<PUCHAR>(&blob[0]), static_cast<ULONG>(blob.size()), 0);
  KeyPtr key(raw);
  if (!succeeded(status) || !pair_matches(raw, x, y)) {
    return fail(ErrorCode::key_unavailable, "the stored DPoP key is not a valid P-256 key pair");
  }
  auto state = std::make_shared<State>();
  state->key = std::move(key);
  return EcSigningKey(std::move(state), x, y);
}

Result<Bytes> EcSigningKey::sign(std::string_view signing_input) const {
  if (!state_) return fail(ErrorCode::internal, "an empty signing key was used");
  Bytes out;
  NTSTATUS status = 0;
  {
    const std::lock_guard<std::mutex> lock(state_->sign_lock);
    status = sign_p256(state_->key.get(), signing_input, out);
  }
  if (!succeeded(status)) {
    return fail(ErrorCode::internal, "CNG could not sign with the P-256 key (status " + status_text(status) + ")");
  }
  return out;
}

Result<SecretString> EcSigningKey::private_scalar() const {
  if (!state_) return fail(ErrorCode::internal, "an empty signing key was used");
  std::string blob;
  util::WipeOnExit wipe_blob(blob);
  if (!export_p256(state_->key.get(), BCRYPT_ECCPRIVATE_BLOB, blob)) {
    return fail(ErrorCode::internal, "CNG could not give the P-256 key's private scalar");
  }
  return SecretString(blob.substr(sizeof(BCRYPT_ECCKEY_BLOB) + 2 * kP256Length, kP256Length));
}

namespace detail {
std::string library_problem(const char *soname) {
  (void)soname;  // bcrypt.dll is linked, never loaded by name
  return "";
}
}  // namespace detail

}  // namespace nativeauth::crypto
