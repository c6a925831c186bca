// SPDX-License-Identifier: Apache-2.0
// The OpenSSL 3 implementation of crypto.hpp: CSPRNG, SHA-256, JWS verification, ES256 signing keys, scrypt and
// AES-256-GCM.
//
// libcrypto is loaded on first use, not at start-up (NATIVEAUTH_CRYPTO_DLOPEN, set by CMake on ELF
// platforms; docs/adr/0008). Most runs of an app answer a still-fresh token from the keychain and call
// no OpenSSL function, yet linking libcrypto cost every process ~1.3 ms of loading and relocation before
// main (docs/performance.md). The functions used here are resolved once into a table; OpenSSL's headers
// still give the types, constants and, through decltype, each function's exact signature, so a call
// through the table is checked like a direct call.

// Hide every API OpenSSL 3 deprecated (RSA_*, EC_KEY_*, SHA256_Init, ...) so that using one is a compile
// error even in builds without -Werror: the low-level key APIs bypass providers and will be removed.
#ifndef OPENSSL_NO_DEPRECATED
#define OPENSSL_NO_DEPRECATED
#endif

#include "crypto/crypto.hpp"

#include "util/secrets.hpp"

#include <nativeauth/error.hpp>
#include <nativeauth/secret.hpp>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/param_build.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include <algorithm>
#include <climits>
#include <memory>
#include <string>
#include <type_traits>

#if defined(NATIVEAUTH_CRYPTO_DLOPEN)
#include "util/shared_library.hpp"
#endif

namespace nativeauth::crypto {
namespace {

// --- libcrypto, as a table of the functions this file calls. Every OpenSSL call below goes through
// --- ossl(); on ELF nothing here is a link-time reference to libcrypto (nm -D libnativeauth.so shows none).

// One row per library area, kept as written:
// clang-format off
#define NATIVEAUTH_LIBCRYPTO_FUNCTIONS(X)                                                                    \
  X(BN_bin2bn) X(BN_bn2binpad) X(BN_clear_free) X(BN_cmp) X(BN_free) X(BN_is_odd) X(BN_is_one) X(BN_num_bits) \
  X(ECDSA_SIG_free) X(ECDSA_SIG_get0) X(ECDSA_SIG_new) X(ECDSA_SIG_set0) X(d2i_ECDSA_SIG) X(i2d_ECDSA_SIG)   \
  X(EVP_DigestSign) X(EVP_DigestSignInit_ex) X(EVP_PKEY_CTX_set_group_name) X(EVP_PKEY_generate)              \
  X(EVP_PKEY_get_bn_param) X(EVP_PKEY_get_octet_string_param) X(EVP_PKEY_keygen_init) X(EVP_PKEY_pairwise_check) \
  X(ERR_pop_to_mark) X(ERR_set_mark)                                                                         \
  X(EVP_Digest) X(EVP_DigestVerify) X(EVP_DigestVerifyInit_ex) X(EVP_MD_CTX_free) X(EVP_MD_CTX_new)          \
  X(EVP_CIPHER_CTX_ctrl) X(EVP_CIPHER_CTX_free) X(EVP_CIPHER_CTX_new) X(EVP_aes_256_gcm)                     \
  X(EVP_DecryptFinal_ex) X(EVP_DecryptInit_ex) X(EVP_DecryptUpdate)                                          \
  X(EVP_EncryptFinal_ex) X(EVP_EncryptInit_ex) X(EVP_EncryptUpdate)                                          \
  X(EVP_KDF_CTX_free) X(EVP_KDF_CTX_new) X(EVP_KDF_derive) X(EVP_KDF_fetch) X(EVP_KDF_free)                  \
  X(EVP_PKEY_CTX_free) X(EVP_PKEY_CTX_new_from_name) X(EVP_PKEY_CTX_new_from_pkey)                           \
  X(EVP_PKEY_CTX_set_rsa_mgf1_md_name) X(EVP_PKEY_CTX_set_rsa_padding) X(EVP_PKEY_CTX_set_rsa_pss_saltlen)   \
  X(EVP_PKEY_free) X(EVP_PKEY_fromdata) X(EVP_PKEY_fromdata_init) X(EVP_PKEY_public_check) X(EVP_sha256)     \
  X(OSSL_PARAM_BLD_free) X(OSSL_PARAM_BLD_new) X(OSSL_PARAM_BLD_push_BN) X(OSSL_PARAM_BLD_push_octet_string) \
  X(OSSL_PARAM_BLD_push_utf8_string) X(OSSL_PARAM_BLD_to_param) X(OSSL_PARAM_free)                           \
  X(OSSL_PARAM_construct_end) X(OSSL_PARAM_construct_octet_string) X(OSSL_PARAM_construct_uint32)            \
  X(OSSL_PARAM_construct_uint64)                                                                             \
  X(RAND_bytes)
// clang-format on

/// The libcrypto functions this file calls, each typed by its declaration in OpenSSL's headers.
struct CryptoApi {
#define NATIVEAUTH_DECLARE(name) decltype(&::name) name = nullptr;
  NATIVEAUTH_LIBCRYPTO_FUNCTIONS(NATIVEAUTH_DECLARE)
#undef NATIVEAUTH_DECLARE
};

/// libcrypto as this process found it: `api` is null when it could not be loaded; `problem` then says
/// why and what to install, for an Error.
struct CryptoLibrary {
  const CryptoApi *api = nullptr;
  std::string problem;
};

CryptoLibrary load_into(CryptoApi &table, const char *soname) {
  CryptoLibrary out;
#if defined(NATIVEAUTH_CRYPTO_DLOPEN)
  // Never closed: OpenSSL keeps global state (providers, the DRBG, thread-local error queues) for the
  // life of the process.
  const util::SharedLibrary library = util::open_shared_library(soname);
  if (!library.handle) {
    out.problem = "libcrypto 3 could not be loaded (" + library.error + "); install libssl3 (OpenSSL 3)";
    return out;
  }
  util::SymbolResolver resolve(library);
#define NATIVEAUTH_RESOLVE(name) resolve(table.name, #name);
  NATIVEAUTH_LIBCRYPTO_FUNCTIONS(NATIVEAUTH_RESOLVE)
#undef NATIVEAUTH_RESOLVE
  if (resolve.missing()) {
    out.problem = std::string(soname) + " has no " + resolve.missing() +
                  "; it is not OpenSSL 3's libcrypto; install libssl3";
    return out;
  }
#else
  (void)soname;
#define NATIVEAUTH_ASSIGN(name) table.name = &::name;
  NATIVEAUTH_LIBCRYPTO_FUNCTIONS(NATIVEAUTH_ASSIGN)
#undef NATIVEAUTH_ASSIGN
#endif
  out.api = &table;
  return out;
}

/// Loaded once per process, on the first call that needs OpenSSL (thread-safe: a function-local static).
const CryptoLibrary &crypto_library() {
  static CryptoApi table;
  static const CryptoLibrary library = load_into(table, "libcrypto.so.3");
  return library;
}

/// Only valid once crypto_library() succeeded: every entry point checks that first (library_ready()).
const CryptoApi &ossl() { return *crypto_library().api; }

/// The error every entry point returns when libcrypto is missing or unusable: not transient, since
/// retrying cannot help.
Result<void> library_ready() {
  if (const CryptoLibrary &library = crypto_library(); !library.api) {
    return make_error(ErrorCode::internal, library.problem);
  }
  return {};
}

// --- Ownership of OpenSSL objects: every object is held by one of these from the moment it exists, so no
// --- early return can leak it.
struct PkeyFree {
  void operator()(EVP_PKEY *p) const noexcept { ossl().EVP_PKEY_free(p); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX *p) const noexcept { ossl().EVP_PKEY_CTX_free(p); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX *p) const noexcept { ossl().EVP_MD_CTX_free(p); }
};
struct ParamBldFree {
  void operator()(OSSL_PARAM_BLD *p) const noexcept { ossl().OSSL_PARAM_BLD_free(p); }
};
struct ParamFree {
  void operator()(OSSL_PARAM *p) const noexcept { ossl().OSSL_PARAM_free(p); }
};
struct BnFree {
  void operator()(BIGNUM *p) const noexcept { ossl().BN_free(p); }
};
struct BnClearFree {  // for private scalars: zeroed before they are freed
  void operator()(BIGNUM *p) const noexcept { ossl().BN_clear_free(p); }
};
struct EcdsaSigFree {
  void operator()(ECDSA_SIG *p) const noexcept { ossl().ECDSA_SIG_free(p); }
};

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX *p) const noexcept { ossl().EVP_CIPHER_CTX_free(p); }
};
struct KdfFree {
  void operator()(EVP_KDF *p) const noexcept { ossl().EVP_KDF_free(p); }
};
struct KdfCtxFree {
  void operator()(EVP_KDF_CTX *p) const noexcept { ossl().EVP_KDF_CTX_free(p); }
};

using CipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;
using KdfPtr = std::unique_ptr<EVP_KDF, KdfFree>;
using KdfCtxPtr = std::unique_ptr<EVP_KDF_CTX, KdfCtxFree>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;
using ParamBldPtr = std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree>;
using ParamPtr = std::unique_ptr<OSSL_PARAM, ParamFree>;
using BnPtr = std::unique_ptr<BIGNUM, BnFree>;
using SecretBnPtr = std::unique_ptr<BIGNUM, BnClearFree>;
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, EcdsaSigFree>;

/// Whatever OpenSSL pushes onto this thread's error queue while one of our calls runs is dropped when the
/// call returns. Otherwise a failed verification would leave entries that a later, unrelated OpenSSL user
/// on the same thread (libcurl's TLS code) reads as its own failure. Entries that were there before the
/// call belong to someone else and are kept.
class ErrorQueueScope {
 public:
  ErrorQueueScope() noexcept { ossl().ERR_set_mark(); }
  ~ErrorQueueScope() { ossl().ERR_pop_to_mark(); }
  ErrorQueueScope(const ErrorQueueScope &) = delete;
  ErrorQueueScope &operator=(const ErrorQueueScope &) = delete;
};

enum class Family { rsa_pkcs1, rsa_pss, ecdsa };

/// One JWS `alg` this SDK accepts. Anything not in the table (HS*, none, ES256K, EdDSA, ...) is refused.
struct AlgSpec {
  std::string_view name;
  Family family;
  const char *digest;        ///< OpenSSL digest name.
  std::string_view jwk_crv;  ///< ECDSA: the only JWK curve this alg may use (RFC 7518 §3.4).
  const char *group;         ///< ECDSA: OpenSSL group name for jwk_crv.
  std::size_t coord_len;     ///< ECDSA: byte length of one coordinate, and of R and of S.
};

// RFC 7518 §3.1: the asymmetric JWS algorithms. HMAC is deliberately absent: OIDC Core §3.1.3.7 step 8 keys
// HS* with the client_secret, which a native public client does not have, so an HS* ID token can only be a
// forgery (typically the provider's public key used as the MAC secret).
constexpr AlgSpec kAlgs[] = {
    {"RS256", Family::rsa_pkcs1, "SHA256", {}, nullptr, 0},
    {"RS384", Family::rsa_pkcs1, "SHA384", {}, nullptr, 0},
    {"RS512", Family::rsa_pkcs1, "SHA512", {}, nullptr, 0},
    {"PS256", Family::rsa_pss, "SHA256", {}, nullptr, 0},
    {"PS384", Family::rsa_pss, "SHA384", {}, nullptr, 0},
    {"PS512", Family::rsa_pss, "SHA512", {}, nullptr, 0},
    {"ES256", Family::ecdsa, "SHA256", "P-256", "prime256v1", 32},
    {"ES384", Family::ecdsa, "SHA384", "P-384", "secp384r1", 48},
    {"ES512", Family::ecdsa, "SHA512", "P-521", "secp521r1", 66},  // 521 bits round up to 66 bytes
};

const AlgSpec *find_alg(std::string_view alg) noexcept {
  for (const AlgSpec &spec : kAlgs) {
    if (spec.name == alg) return &spec;  // exact, case-sensitive match (RFC 7515 §4.1.1)
  }
  return nullptr;
}

// RFC 7518 §3.3: "A key of size 2048 bits or larger MUST be used with these algorithms."
constexpr int kMinRsaBits = 2048;

/// `alg` comes from an untrusted token header: quote only a short, printable prefix of it in messages.
std::string printable(std::string_view s) {
  constexpr std::size_t kMax = 16;
  std::string out;
  for (char c : s.substr(0, kMax)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  if (s.size() > kMax) out += "...";
  return out;
}

Error fail(ErrorCode code, std::string message) { return make_error(code, std::move(message)); }

const unsigned char *bytes_of(std::string_view s) noexcept { return reinterpret_cast<const unsigned char *>(s.data()); }

BnPtr to_bn(const Bytes &big_endian) {
  if (big_endian.size() > static_cast<std::size_t>(INT_MAX)) return nullptr;
  return BnPtr(ossl().BN_bin2bn(big_endian.data(), static_cast<int>(big_endian.size()), nullptr));
}

/// Runs EVP_PKEY_fromdata for a public key of `type` ("RSA", "EC") with the params in `bld`.
PkeyPtr pkey_from_params(const char *type, OSSL_PARAM_BLD *bld) {
  ParamPtr params(ossl().OSSL_PARAM_BLD_to_param(bld));
  if (!params) return nullptr;
  PkeyCtxPtr ctx(ossl().EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  if (!ctx || ossl().EVP_PKEY_fromdata_init(ctx.get()) != 1) return nullptr;
  EVP_PKEY *raw = nullptr;
  if (ossl().EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    ossl().EVP_PKEY_free(raw);  // NULL-safe; OpenSSL does not promise to leave it unset on failure
    return nullptr;
  }
  return PkeyPtr(raw);
}

/// RFC 7518 §6.3.1: an RSA public key from its modulus and exponent.
Result<PkeyPtr> rsa_key(const JwkPublicKey &jwk) {
  if (jwk.n.empty() || jwk.e.empty()) {
    return fail(ErrorCode::id_token_malformed, "RSA key lacks its modulus or exponent");
  }
  BnPtr n = to_bn(jwk.n);
  BnPtr e = to_bn(jwk.e);
  if (!n || !e) return fail(ErrorCode::internal, "out of memory decoding an RSA key");

  // Counted on the number, not the byte string, so that a leading zero byte (which some providers send
  // despite RFC 7518 §6.3.1.1) neither inflates the size nor gets a sound key refused.
  const int bits = ossl().BN_num_bits(n.get());
  if (bits < kMinRsaBits) {
    return fail(ErrorCode::id_token_algorithm, "the provider's RSA key has " + std::to_string(bits) +
                                                   " bits; at least " + std::to_string(kMinRsaBits) +
                                                   " are required (RFC 7518 §3.3)");
  }
  // A real modulus is odd, and e must be an odd number above 1: with e = 1 the "signature" is the padded
  // message itself, which anyone can produce. OpenSSL's fromdata does not look at any of this, and its
  // EVP_PKEY_public_check runs the SP 800-56B tests (e > 2^16, Miller-Rabin on n), which are costly and
  // would refuse legitimate e = 3 keys.
  if (!ossl().BN_is_odd(n.get()) || !ossl().BN_is_odd(e.get()) || ossl().BN_is_one(e.get()) ||
      ossl().BN_cmp(e.get(), n.get()) >= 0) {
    return fail(ErrorCode::id_token_malformed, "the provider's RSA key is not a valid public key");
  }

  ParamBldPtr bld(ossl().OSSL_PARAM_BLD_new());
  if (!bld || ossl().OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) != 1 ||
      ossl().OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) != 1) {
    return fail(ErrorCode::internal, "could not build RSA key parameters");
  }
  PkeyPtr key = pkey_from_params("RSA", bld.get());
  if (!key) return fail(ErrorCode::id_token_malformed, "the provider's RSA key was refused by OpenSSL");
  return key;
}

/// RFC 7518 §6.2.1: an EC public key from its curve and fixed-length coordinates.
Result<PkeyPtr> ec_key(const JwkPublicKey &jwk, const AlgSpec &spec) {
  // RFC 7518 §6.2.1.2/§6.2.1.3: x and y are exactly the curve's coordinate length, leading zeros kept.
  if (jwk.x.size() != spec.coord_len || jwk.y.size() != spec.coord_len) {
    return fail(ErrorCode::id_token_malformed,
                "the provider's " + std::string(spec.jwk_crv) + " key has coordinates of the wrong length");
  }
  // SEC 1 §2.3.3: the uncompressed point 0x04 || X || Y.
  Bytes point;
  point.reserve(1 + 2 * spec.coord_len);
  point.push_back(0x04);
  point.insert(point.end(), jwk.x.begin(), jwk.x.end());
  point.insert(point.end(), jwk.y.begin(), jwk.y.end());

  ParamBldPtr bld(ossl().OSSL_PARAM_BLD_new());
  if (!bld || ossl().OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, spec.group, 0) != 1 ||
      ossl().OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) != 1) {
    return fail(ErrorCode::internal, "could not build EC key parameters");
  }
  // fromdata already refuses a point that is not on the curve; the public check adds the range and
  // subgroup-order tests, so an invalid-curve point can never reach ECDSA verification.
  PkeyPtr key = pkey_from_params("EC", bld.get());
  if (key) {
    PkeyCtxPtr check(ossl().EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
    if (!check || ossl().EVP_PKEY_public_check(check.get()) != 1) key.reset();
  }
  if (!key) {
    return fail(ErrorCode::id_token_malformed,
                "the provider's " + std::string(spec.jwk_crv) + " key is not a point on the curve");
  }
  return key;
}

/// RFC 7518 §3.4: the JWS signature is R || S, each left-padded to the coordinate length. OpenSSL verifies
/// the DER ECDSA-Sig-Value (RFC 3279 §2.2.3), so re-encode.
Result<Bytes> jose_to_der(const Bytes &signature, const AlgSpec &spec) {
  if (signature.size() != 2 * spec.coord_len) {
    // Also what a DER signature looks like here: providers that forget the conversion are refused, since
    // accepting two encodings of one signature is how malleability bugs start.
    return fail(ErrorCode::id_token_signature,
                "the " + std::string(spec.name) + " signature has " + std::to_string(signature.size()) +
                    " bytes; RFC 7518 §3.4 requires " + std::to_string(2 * spec.coord_len));
  }
  const int half = static_cast<int>(spec.coord_len);
  BnPtr r(ossl().BN_bin2bn(signature.data(), half, nullptr));
  BnPtr s(ossl().BN_bin2bn(signature.data() + spec.coord_len, half, nullptr));
  EcdsaSigPtr sig(ossl().ECDSA_SIG_new());
  if (!r || !s || !sig || ossl().ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) {
    return fail(ErrorCode::internal, "could not encode an ECDSA signature");
  }
  (void)r.release();  // ECDSA_SIG_set0 took ownership of both on success
  (void)s.release();

  const int der_len = ossl().i2d_ECDSA_SIG(sig.get(), nullptr);
  if (der_len <= 0) return fail(ErrorCode::internal, "could not encode an ECDSA signature");
  Bytes der(static_cast<std::size_t>(der_len));
  unsigned char *out = der.data();  // i2d advances the pointer it is given
  if (ossl().i2d_ECDSA_SIG(sig.get(), &out) != der_len) {
    return fail(ErrorCode::internal, "could not encode an ECDSA signature");
  }
  return der;
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

  Result<PkeyPtr> key = wants_rsa ? rsa_key(jwk) : ec_key(jwk, *spec);
  if (!key) return std::move(key).error();

  Bytes der;
  const Bytes *sig = &signature;
  if (spec->family == Family::ecdsa) {
    Result<Bytes> converted = jose_to_der(signature, *spec);
    if (!converted) return std::move(converted).error();
    der = std::move(*converted);
    sig = &der;
  } else if (signature.empty()) {
    return fail(ErrorCode::id_token_signature, "the ID token has an empty signature");
  }

  MdCtxPtr md_ctx(ossl().EVP_MD_CTX_new());
  EVP_PKEY_CTX *pkey_ctx = nullptr;  // owned by md_ctx
  if (!md_ctx || ossl().EVP_DigestVerifyInit_ex(md_ctx.get(), &pkey_ctx, spec->digest, nullptr, nullptr, key->get(),
                                                nullptr) != 1) {
    return fail(ErrorCode::internal, "could not set up " + std::string(spec->name) + " verification");
  }
  if (spec->family == Family::rsa_pss) {
    // RFC 7518 §3.5: MGF1 with the same hash, and a salt as long as the hash output. Pinning the salt
    // length (rather than accepting any, OpenSSL's default when verifying) follows the JWA text exactly.
    if (ossl().EVP_PKEY_CTX_set_rsa_padding(pkey_ctx, RSA_PKCS1_PSS_PADDING) != 1 ||
        ossl().EVP_PKEY_CTX_set_rsa_pss_saltlen(pkey_ctx, RSA_PSS_SALTLEN_DIGEST) != 1 ||
        ossl().EVP_PKEY_CTX_set_rsa_mgf1_md_name(pkey_ctx, spec->digest, nullptr) != 1) {
      return fail(ErrorCode::internal, "could not set up RSA-PSS verification");
    }
  } else if (spec->family == Family::rsa_pkcs1) {
    // RFC 7518 §3.3: RSASSA-PKCS1-v1_5. Already OpenSSL's default; set so no default can change it.
    if (ossl().EVP_PKEY_CTX_set_rsa_padding(pkey_ctx, RSA_PKCS1_PADDING) != 1) {
      return fail(ErrorCode::internal, "could not set up RSA verification");
    }
  }

  // 1 is the only success; 0 is a bad signature and < 0 a malformed one (e.g. longer than the modulus).
  if (ossl().EVP_DigestVerify(md_ctx.get(), sig->data(), sig->size(), bytes_of(signing_input), signing_input.size()) !=
      1) {
    return fail(ErrorCode::id_token_signature,
                "the ID token's " + std::string(spec->name) + " signature does not verify with the provider's key");
  }
  return {};
}

}  // namespace

Result<Bytes> random_bytes(std::size_t n) {
  if (auto ready = library_ready(); !ready) return std::move(ready).error();
  ErrorQueueScope errors;
  Bytes out(n);
  // RAND_bytes takes an int count, so very large requests are filled in slices.
  std::size_t done = 0;
  while (done < n) {
    const std::size_t chunk = std::min<std::size_t>(n - done, static_cast<std::size_t>(INT_MAX));
    if (ossl().RAND_bytes(out.data() + done, static_cast<int>(chunk)) != 1) {
      // Nothing partial is handed out: half-random bytes must not end up as a state or verifier.
      util::wipe(out.data(), out.size());
      return fail(ErrorCode::internal, "OpenSSL's random number generator failed");
    }
    done += chunk;
  }
  return out;
}

Result<std::array<std::uint8_t, 32>> sha256(std::string_view data) {
  if (auto ready = library_ready(); !ready) return std::move(ready).error();
  ErrorQueueScope errors;
  std::array<std::uint8_t, 32> digest{};
  unsigned int len = 0;
  if (ossl().EVP_Digest(data.data(), data.size(), digest.data(), &len, ossl().EVP_sha256(), nullptr) != 1 ||
      len != digest.size()) {
    // Only a broken OpenSSL installation (no provider offers SHA-256) gets here: a made-up digest would
    // be worse than failing, since PKCE challenges would silently use it.
    return fail(ErrorCode::internal, "OpenSSL could not compute SHA-256 (is its default provider installed?)");
  }
  return digest;
}

Result<void> verify_signature(std::string_view alg, const JwkPublicKey &key, std::string_view signing_input,
                              const Bytes &signature) {
  if (auto ready = library_ready(); !ready) return ready;
  ErrorQueueScope errors;
  return verify_impl(alg, key, signing_input, signature);
}

Result<SecretString> scrypt(const SecretString &passphrase, const Bytes &salt, const ScryptParameters &p,
                            std::size_t length) {
  if (auto ready = library_ready(); !ready) return std::move(ready).error();
  ErrorQueueScope errors;
  KdfPtr kdf(ossl().EVP_KDF_fetch(nullptr, "SCRYPT", nullptr));
  KdfCtxPtr ctx(kdf ? ossl().EVP_KDF_CTX_new(kdf.get()) : nullptr);
  if (!ctx) return fail(ErrorCode::internal, "OpenSSL has no scrypt (is its default provider installed?)");
  // OSSL_PARAM_construct_octet_string takes non-const pointers but only reads them.
  std::string pass(passphrase.reveal());
  util::WipeOnExit wipe_pass(pass);
  Bytes salt_copy = salt;
  std::uint64_t n = p.n;
  std::uint32_t r = p.r, par = p.p;
  std::uint64_t maxmem = kScryptMaxMemory;
  const OSSL_PARAM params[] = {
      ossl().OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, pass.data(), pass.size()),
      ossl().OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, salt_copy.data(), salt_copy.size()),
      ossl().OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n),
      ossl().OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r),
      ossl().OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &par),
      ossl().OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem),
      ossl().OSSL_PARAM_construct_end(),
  };
  std::string out(length, '\0');
  if (ossl().EVP_KDF_derive(ctx.get(), reinterpret_cast<unsigned char *>(&out[0]), out.size(), params) != 1) {
    util::wipe(out);
    // Parameters are checked by the caller; what is left is memory (the bound above) or a broken library.
    return fail(ErrorCode::internal, "OpenSSL's scrypt failed (N=" + std::to_string(p.n) +
                                         ", r=" + std::to_string(p.r) + ", p=" + std::to_string(p.p) + ")");
  }
  return SecretString(std::move(out));
}

Result<std::string> aes_256_gcm_seal(const SecretString &key, const Bytes &nonce, std::string_view aad,
                                     std::string_view plaintext) {
  if (auto ready = library_ready(); !ready) return std::move(ready).error();
  if (key.size() != 32 || nonce.size() != kGcmNonceSize || plaintext.size() > static_cast<std::size_t>(INT_MAX) ||
      aad.size() > static_cast<std::size_t>(INT_MAX)) {
    return fail(ErrorCode::internal, "AES-256-GCM: a key of 32 bytes and a nonce of 12 are required");
  }
  ErrorQueueScope errors;
  CipherCtxPtr ctx(ossl().EVP_CIPHER_CTX_new());
  std::string out(plaintext.size() + kGcmTagSize, '\0');
  auto *o = reinterpret_cast<unsigned char *>(&out[0]);
  int len = 0, tail = 0;
  // NIST SP 800-38D §5.2.1.1: a 96-bit IV is used as is; the default IV length of EVP_aes_256_gcm is 12.
  const bool ok = ctx &&
                  ossl().EVP_EncryptInit_ex(ctx.get(), ossl().EVP_aes_256_gcm(), nullptr, bytes_of(key.reveal()),
                                            nonce.data()) == 1 &&
                  ossl().EVP_EncryptUpdate(ctx.get(), nullptr, &len, bytes_of(aad), static_cast<int>(aad.size())) ==
                      1 &&
                  ossl().EVP_EncryptUpdate(ctx.get(), o, &len, bytes_of(plaintext),
                                           static_cast<int>(plaintext.size())) == 1 &&
                  ossl().EVP_EncryptFinal_ex(ctx.get(), o + len, &tail) == 1 &&
                  static_cast<std::size_t>(len + tail) == plaintext.size() &&
                  ossl().EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kGcmTagSize),
                                             o + plaintext.size()) == 1;
  if (!ok) return fail(ErrorCode::internal, "OpenSSL could not encrypt with AES-256-GCM");
  return out;
}

Result<std::optional<SecretString>> aes_256_gcm_open(const SecretString &key, const Bytes &nonce, std::string_view aad,
                                                     std::string_view sealed) {
  if (auto ready = library_ready(); !ready) return std::move(ready).error();
  if (key.size() != 32 || nonce.size() != kGcmNonceSize || sealed.size() > static_cast<std::size_t>(INT_MAX) ||
      aad.size() > static_cast<std::size_t>(INT_MAX)) {
    return fail(ErrorCode::internal, "AES-256-GCM: a key of 32 bytes and a nonce of 12 are required");
  }
  if (sealed.size() < kGcmTagSize) return std::optional<SecretString>();
  ErrorQueueScope errors;
  const std::size_t size = sealed.size() - kGcmTagSize;
  // EVP_CTRL_GCM_SET_TAG takes a non-const pointer; the tag is copied, never written through.
  std::string tag(sealed.substr(size));
  std::string out(size, '\0');
  util::WipeOnExit wipe_out(out);
  auto *o = reinterpret_cast<unsigned char *>(&out[0]);
  CipherCtxPtr ctx(ossl().EVP_CIPHER_CTX_new());
  int len = 0, tail = 0;
  const bool set_up = ctx &&
                      ossl().EVP_DecryptInit_ex(ctx.get(), ossl().EVP_aes_256_gcm(), nullptr, bytes_of(key.reveal()),
                                                nonce.data()) == 1 &&
                      ossl().EVP_DecryptUpdate(ctx.get(), nullptr, &len, bytes_of(aad), static_cast<int>(aad.size())) ==
                          1 &&
                      ossl().EVP_DecryptUpdate(ctx.get(), o, &len, bytes_of(sealed), static_cast<int>(size)) == 1 &&
                      ossl().EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kGcmTagSize),
                                                 &tag[0]) == 1;
  if (!set_up) return fail(ErrorCode::internal, "OpenSSL could not decrypt with AES-256-GCM");
  // SP 800-38D §7.2: nothing of the plaintext is released unless the tag verifies (`out` is wiped).
  if (ossl().EVP_DecryptFinal_ex(ctx.get(), o + len, &tail) != 1) return std::optional<SecretString>();
  std::string plain(out.data(), static_cast<std::size_t>(len + tail));
  return std::optional<SecretString>(SecretString(std::move(plain)));
}

// --- ES256 signing keys (DPoP proofs, RFC 9449)

struct EcSigningKey::State {
  PkeyPtr key;
};

namespace {

constexpr std::size_t kP256Length = 32;  // bytes of d, of x, of y, of R and of S

/// The public point of `key` as x, y (SEC 1 §2.3.3 uncompressed: 0x04 || X || Y).
Result<std::pair<Bytes, Bytes>> p256_point(const EVP_PKEY *key) {
  unsigned char point[1 + 2 * kP256Length];
  std::size_t len = 0;
  if (ossl().EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point, &len) != 1 ||
      len != sizeof point || point[0] != 0x04) {
    return fail(ErrorCode::internal, "OpenSSL could not give the P-256 key's public point");
  }
  return std::make_pair(Bytes(point + 1, point + 1 + kP256Length), Bytes(point + 1 + kP256Length, point + len));
}

/// EVP_PKEY_fromdata of a P-256 key pair, checked: the point on the curve and d·G equal to it.
PkeyPtr p256_key_pair(const SecretString &d, const Bytes &x, const Bytes &y) {
  Bytes point{0x04};
  point.insert(point.end(), x.begin(), x.end());
  point.insert(point.end(), y.begin(), y.end());
  SecretBnPtr priv(ossl().BN_bin2bn(bytes_of(d.reveal()), static_cast<int>(d.size()), nullptr));
  ParamBldPtr bld(ossl().OSSL_PARAM_BLD_new());
  if (!priv || !bld ||
      ossl().OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) != 1 ||
      ossl().OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) != 1 ||
      ossl().OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, priv.get()) != 1) {
    return nullptr;
  }
  ParamPtr params(ossl().OSSL_PARAM_BLD_to_param(bld.get()));
  PkeyCtxPtr ctx(ossl().EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY *raw = nullptr;
  if (!params || !ctx || ossl().EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      ossl().EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_KEYPAIR, params.get()) != 1) {
    ossl().EVP_PKEY_free(raw);
    return nullptr;
  }
  PkeyPtr key(raw);
  PkeyCtxPtr check(ossl().EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (!check || ossl().EVP_PKEY_pairwise_check(check.get()) != 1) return nullptr;
  return key;
}

}  // namespace

Result<EcSigningKey> EcSigningKey::generate() {
  if (auto ready = library_ready(); !ready) return std::move(ready).error();
  ErrorQueueScope errors;
  PkeyCtxPtr ctx(ossl().EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY *raw = nullptr;
  if (!ctx || ossl().EVP_PKEY_keygen_init(ctx.get()) != 1 ||
      ossl().EVP_PKEY_CTX_set_group_name(ctx.get(), "prime256v1") != 1 ||
      ossl().EVP_PKEY_generate(ctx.get(), &raw) != 1) {
    ossl().EVP_PKEY_free(raw);
    return fail(ErrorCode::internal, "OpenSSL could not generate a P-256 key");
  }
  auto state = std::make_shared<State>();
  state->key.reset(raw);
  auto point = p256_point(raw);
  if (!point) return std::move(point).error();
  return EcSigningKey(std::move(state), std::move(point->first), std::move(point->second));
}

Result<EcSigningKey> EcSigningKey::import(const SecretString &d, const Bytes &x, const Bytes &y) {
  if (auto ready = library_ready(); !ready) return std::move(ready).error();
  if (d.size() != kP256Length || x.size() != kP256Length || y.size() != kP256Length) {
    return fail(ErrorCode::key_unavailable, "the stored DPoP key is not a P-256 key (wrong lengths)");
  }
  ErrorQueueScope errors;
  auto state = std::make_shared<State>();
  state->key = p256_key_pair(d, x, y);
  if (!state->key) return fail(ErrorCode::key_unavailable, "the stored DPoP key is not a valid P-256 key pair");
  return EcSigningKey(std::move(state), x, y);
}

Result<Bytes> EcSigningKey::sign(std::string_view signing_input) const {
  if (!state_) return fail(ErrorCode::internal, "an empty signing key was used");
  ErrorQueueScope errors;
  MdCtxPtr md(ossl().EVP_MD_CTX_new());
  unsigned char der[80];  // an ECDSA-Sig-Value of P-256 has at most 72 bytes
  std::size_t der_len = sizeof der;
  if (!md ||
      ossl().EVP_DigestSignInit_ex(md.get(), nullptr, "SHA256", nullptr, nullptr, state_->key.get(), nullptr) != 1 ||
      ossl().EVP_DigestSign(md.get(), der, &der_len, bytes_of(signing_input), signing_input.size()) != 1) {
    return fail(ErrorCode::internal, "OpenSSL could not sign with the P-256 key");
  }
  const unsigned char *p = der;
  EcdsaSigPtr sig(ossl().d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der_len)));
  const BIGNUM *r = nullptr;
  const BIGNUM *s = nullptr;
  if (sig) ossl().ECDSA_SIG_get0(sig.get(), &r, &s);
  Bytes out(2 * kP256Length);
  // RFC 7518 §3.4: R and S, each left-padded to 32 bytes.
  if (!r || !s || ossl().BN_bn2binpad(r, out.data(), kP256Length) != static_cast<int>(kP256Length) ||
      ossl().BN_bn2binpad(s, out.data() + kP256Length, kP256Length) != static_cast<int>(kP256Length)) {
    return fail(ErrorCode::internal, "OpenSSL's ECDSA signature could not be converted to R||S");
  }
  return out;
}

Result<SecretString> EcSigningKey::private_scalar() const {
  if (!state_) return fail(ErrorCode::internal, "an empty signing key was used");
  ErrorQueueScope errors;
  BIGNUM *raw = nullptr;
  if (ossl().EVP_PKEY_get_bn_param(state_->key.get(), OSSL_PKEY_PARAM_PRIV_KEY, &raw) != 1) {
    return fail(ErrorCode::internal, "OpenSSL could not give the P-256 key's private scalar");
  }
  SecretBnPtr d(raw);
  std::string out(kP256Length, '\0');
  if (ossl().BN_bn2binpad(d.get(), reinterpret_cast<unsigned char *>(&out[0]), kP256Length) !=
      static_cast<int>(kP256Length)) {
    util::wipe(out);
    return fail(ErrorCode::internal, "OpenSSL could not give the P-256 key's private scalar");
  }
  return SecretString(std::move(out));
}

namespace detail {
std::string library_problem(const char *soname) {
  CryptoApi table;
  return load_into(table, soname).problem;
}
}  // namespace detail

}  // namespace nativeauth::crypto
