// SPDX-License-Identifier: Apache-2.0
// Test-only key generation and JWT signing with OpenSSL 3 EVP APIs, for unit and integration tests.

#include "test_jwt.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include <array>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <utility>
#include <vector>

namespace nativeauth::testing {
namespace {

struct PkeyFree {
  void operator()(EVP_PKEY *p) const noexcept { EVP_PKEY_free(p); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX *p) const noexcept { EVP_MD_CTX_free(p); }
};
struct BnFree {
  void operator()(BIGNUM *p) const noexcept { BN_free(p); }
};
struct EcdsaSigFree {
  void operator()(ECDSA_SIG *p) const noexcept { ECDSA_SIG_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;
using BnPtr = std::unique_ptr<BIGNUM, BnFree>;
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, EcdsaSigFree>;

/// Throws with OpenSSL's first queued error appended, and leaves the queue empty for the next test.
[[noreturn]] void throw_openssl(const std::string &what) {
  const unsigned long code = ERR_get_error();
  std::array<char, 256> buf{};
  if (code != 0) ERR_error_string_n(code, buf.data(), buf.size());
  ERR_clear_error();
  throw std::runtime_error("test_jwt: " + what + (code != 0 ? std::string(": ") + buf.data() : std::string()));
}

struct Curve {
  const char *jwk;
  const char *group;
  std::size_t coord_len;
};
constexpr Curve kCurves[] = {
    {"P-256", "prime256v1", 32},
    {"P-384", "secp384r1", 48},
    {"P-521", "secp521r1", 66},
};

const Curve &curve_of(const std::string &crv) {
  for (const Curve &c : kCurves) {
    if (crv == c.jwk) return c;
  }
  throw std::runtime_error("test_jwt: unknown curve " + crv);
}

enum class Padding { pkcs1, pss, ecdsa };
struct Alg {
  Padding padding;
  const char *digest;
  const char *crv;  // ecdsa only (RFC 7518 §3.4)
};

Alg alg_of(std::string_view name) {
  if (name == "RS256") return {Padding::pkcs1, "SHA256", nullptr};
  if (name == "RS384") return {Padding::pkcs1, "SHA384", nullptr};
  if (name == "RS512") return {Padding::pkcs1, "SHA512", nullptr};
  if (name == "PS256") return {Padding::pss, "SHA256", nullptr};
  if (name == "PS384") return {Padding::pss, "SHA384", nullptr};
  if (name == "PS512") return {Padding::pss, "SHA512", nullptr};
  if (name == "ES256") return {Padding::ecdsa, "SHA256", "P-256"};
  if (name == "ES384") return {Padding::ecdsa, "SHA384", "P-384"};
  if (name == "ES512") return {Padding::ecdsa, "SHA512", "P-521"};
  throw std::runtime_error("test_jwt: TestKey cannot sign with alg \"" + std::string(name) + "\"");
}

std::string big_endian(const BIGNUM *bn, std::size_t pad_to = 0) {
  const int natural = BN_num_bytes(bn);
  const int len = pad_to == 0 ? natural : static_cast<int>(pad_to);
  std::string out(static_cast<std::size_t>(len), '\0');
  if (BN_bn2binpad(bn, reinterpret_cast<unsigned char *>(out.data()), len) != len) {
    throw_openssl("BN_bn2binpad");
  }
  return out;
}

BnPtr bn_param(const EVP_PKEY *pkey, const char *name) {
  BIGNUM *raw = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, name, &raw) != 1) throw_openssl(std::string("reading key parameter ") + name);
  return BnPtr(raw);
}

std::string random_hex(std::size_t bytes) {
  std::vector<unsigned char> raw(bytes);
  if (RAND_bytes(raw.data(), static_cast<int>(raw.size())) != 1) throw_openssl("RAND_bytes");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : raw) {
    out += kHex[b >> 4];
    out += kHex[b & 0x0f];
  }
  return out;
}

const unsigned char *bytes_of(std::string_view s) { return reinterpret_cast<const unsigned char *>(s.data()); }

}  // namespace

// ---------------------------------------------------------------------------------------------------------
// TestKey

TestKey::TestKey(evp_pkey_st *pkey, std::string curve) : kid(random_hex(8)), pkey_(pkey), crv_(std::move(curve)) {}

TestKey TestKey::rsa(int bits) {
  // EVP_PKEY_Q_keygen's "RSA" variant takes the size as a size_t vararg.
  PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(bits)));
  if (!key) throw_openssl("generating an RSA key of " + std::to_string(bits) + " bits");
  return TestKey(key.release(), std::string());
}

TestKey TestKey::ec(const std::string &curve) {
  const Curve &c = curve_of(curve);
  PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", c.group));
  if (!key) throw_openssl("generating an EC key on " + curve);
  return TestKey(key.release(), curve);
}

TestKey::TestKey(TestKey &&other) noexcept
    : kid(std::move(other.kid)),
      alg(std::move(other.alg)),
      pkey_(std::exchange(other.pkey_, nullptr)),
      crv_(std::move(other.crv_)) {}

TestKey &TestKey::operator=(TestKey &&other) noexcept {
  if (this != &other) {
    EVP_PKEY_free(pkey_);
    kid = std::move(other.kid);
    alg = std::move(other.alg);
    pkey_ = std::exchange(other.pkey_, nullptr);
    crv_ = std::move(other.crv_);
  }
  return *this;
}

TestKey::~TestKey() { EVP_PKEY_free(pkey_); }

nlohmann::json TestKey::public_jwk() const {
  if (pkey_ == nullptr) throw std::runtime_error("test_jwt: use of a moved-from TestKey");
  nlohmann::json jwk;
  if (is_rsa()) {
    // RFC 7518 §6.3.1: n and e as unsigned big-endian integers in their minimal length.
    jwk["kty"] = "RSA";
    jwk["n"] = base64url(big_endian(bn_param(pkey_, OSSL_PKEY_PARAM_RSA_N).get()));
    jwk["e"] = base64url(big_endian(bn_param(pkey_, OSSL_PKEY_PARAM_RSA_E).get()));
  } else {
    // RFC 7518 §6.2.1: x and y padded to the full coordinate length.
    const Curve &curve = curve_of(crv_);
    jwk["kty"] = "EC";
    jwk["crv"] = crv_;
    jwk["x"] = base64url(big_endian(bn_param(pkey_, OSSL_PKEY_PARAM_EC_PUB_X).get(), curve.coord_len));
    jwk["y"] = base64url(big_endian(bn_param(pkey_, OSSL_PKEY_PARAM_EC_PUB_Y).get(), curve.coord_len));
  }
  jwk["kid"] = kid;
  jwk["use"] = "sig";
  if (alg) jwk["alg"] = *alg;
  return jwk;
}

std::string TestKey::sign_der(std::string_view jws_alg, std::string_view signing_input) const {
  if (pkey_ == nullptr) throw std::runtime_error("test_jwt: use of a moved-from TestKey");
  const Alg a = alg_of(jws_alg);
  if ((a.padding == Padding::ecdsa) == is_rsa() || (a.crv != nullptr && crv_ != a.crv)) {
    throw std::runtime_error("test_jwt: alg " + std::string(jws_alg) + " does not fit this " +
                             (is_rsa() ? std::string("RSA") : crv_) + " key");
  }

  MdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX *pctx = nullptr;  // owned by ctx
  if (!ctx || EVP_DigestSignInit_ex(ctx.get(), &pctx, a.digest, nullptr, nullptr, pkey_, nullptr) != 1) {
    throw_openssl("EVP_DigestSignInit_ex");
  }
  if (a.padding == Padding::pss) {
    // RFC 7518 §3.5: salt as long as the hash, MGF1 with the same hash.
    if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
        EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1 ||
        EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, a.digest, nullptr) != 1) {
      throw_openssl("setting up RSA-PSS");
    }
  } else if (a.padding == Padding::pkcs1) {
    if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1) throw_openssl("setting up RSA PKCS#1");
  }
  std::size_t len = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &len, bytes_of(signing_input), signing_input.size()) != 1) {
    throw_openssl("EVP_DigestSign (length)");
  }
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char *>(sig.data()), &len, bytes_of(signing_input),
                     signing_input.size()) != 1) {
    throw_openssl("EVP_DigestSign");
  }
  sig.resize(len);
  return sig;
}

std::string TestKey::sign(std::string_view jws_alg, std::string_view signing_input) const {
  std::string sig = sign_der(jws_alg, signing_input);
  const Alg a = alg_of(jws_alg);
  if (a.padding != Padding::ecdsa) return sig;  // RSA signatures are used as they are

  // RFC 7518 §3.4: DER ECDSA-Sig-Value -> R || S, each left-padded to the coordinate length.
  const unsigned char *p = bytes_of(sig);
  EcdsaSigPtr parsed(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size())));
  if (!parsed) throw_openssl("d2i_ECDSA_SIG");
  const std::size_t coord = curve_of(crv_).coord_len;
  return big_endian(ECDSA_SIG_get0_r(parsed.get()), coord) + big_endian(ECDSA_SIG_get0_s(parsed.get()), coord);
}

std::string TestKey::sign_jwt(const nlohmann::json &header, const nlohmann::json &payload,
                              std::string_view sign_alg) const {
  std::string header_alg;
  if (sign_alg.empty()) {
    if (!header.contains("alg") || !header["alg"].is_string()) {
      throw std::runtime_error("test_jwt: sign_jwt needs header[\"alg\"] or an explicit sign_alg");
    }
    header_alg = header["alg"].get<std::string>();
    sign_alg = header_alg;
  }
  const std::string signing_input = base64url(header.dump()) + "." + base64url(payload.dump());
  return signing_input + "." + base64url(sign(sign_alg, signing_input));
}

// ---------------------------------------------------------------------------------------------------------
// Free functions

std::string sign_jwt_hmac(const nlohmann::json &header, const nlohmann::json &payload, const std::string &key) {
  const char *digest = "SHA256";
  if (header.contains("alg") && header["alg"] == "HS384") digest = "SHA384";
  if (header.contains("alg") && header["alg"] == "HS512") digest = "SHA512";

  const std::string signing_input = base64url(header.dump()) + "." + base64url(payload.dump());
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  std::size_t mac_len = 0;
  if (EVP_Q_mac(nullptr, "HMAC", nullptr, digest, nullptr, key.data(), key.size(), bytes_of(signing_input),
                signing_input.size(), mac.data(), mac.size(), &mac_len) == nullptr) {
    throw_openssl("EVP_Q_mac");
  }
  return signing_input + "." + base64url(std::string(reinterpret_cast<const char *>(mac.data()), mac_len));
}

std::string unsigned_jwt(const nlohmann::json &header, const nlohmann::json &payload) {
  return base64url(header.dump()) + "." + base64url(payload.dump()) + ".";
}

std::string base64url(const std::string &bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t v = (std::uint32_t{static_cast<unsigned char>(bytes[i])} << 16) |
                            (std::uint32_t{static_cast<unsigned char>(bytes[i + 1])} << 8) |
                            std::uint32_t{static_cast<unsigned char>(bytes[i + 2])};
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  const std::size_t rest = bytes.size() - i;
  if (rest > 0) {
    std::uint32_t v = std::uint32_t{static_cast<unsigned char>(bytes[i])} << 16;
    if (rest == 2) v |= std::uint32_t{static_cast<unsigned char>(bytes[i + 1])} << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    if (rest == 2) out += kAlphabet[(v >> 6) & 63];
  }
  return out;
}

std::string base64url_decode(const std::string &text) {
  std::string s = text;
  while (!s.empty() && s.back() == '=') s.pop_back();
  if (s.size() % 4 == 1) throw std::invalid_argument("base64url_decode: impossible length");

  auto value = [](char c) -> std::uint32_t {
    if (c >= 'A' && c <= 'Z') return static_cast<std::uint32_t>(c - 'A');
    if (c >= 'a' && c <= 'z') return static_cast<std::uint32_t>(c - 'a' + 26);
    if (c >= '0' && c <= '9') return static_cast<std::uint32_t>(c - '0' + 52);
    if (c == '-') return 62;
    if (c == '_') return 63;
    throw std::invalid_argument("base64url_decode: character outside the base64url alphabet");
  };

  std::string out;
  out.reserve(s.size() * 3 / 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : s) {
    acc = (acc << 6) | value(c);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  return out;
}

nlohmann::json jwks_of(std::initializer_list<const TestKey *> keys) {
  nlohmann::json list = nlohmann::json::array();
  for (const TestKey *key : keys) list.push_back(key->public_jwk());
  return nlohmann::json{{"keys", list}};
}

}  // namespace nativeauth::testing
