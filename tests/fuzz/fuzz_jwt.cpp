// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for what the provider sends: ID tokens (JWS), JWKS, metadata and token responses.
//
// Input layout: byte 0 picks the parser (its low 3 bits, so the digits '0'..'7' in a seed file select modes
// 0..7). The ID token modes 2-4 take the check from byte 1 (low 3 bits again): bit 0 sends a nonce, bit 1 a
// max_age, bit 2 allows every supported alg (else RS256 only, the OIDC Discovery default); bits 3-5 pick
// that max_age from kMaxAges (the digits: 600 s; '@'..'G': INT64_MAX, 'H'..'O': INT64_MAX - 119, ...).
// The max_age reaches the check as the app gave it (the C ABI takes any int64), and bounded_max_age(),
// which clamps what sign_in() sends, is checked on it too. The rest is:
//   0  parse_jwt(rest)
//   1  parse_jwks(rest)
//   2  validate_id_token(rest) against keys this process generated: no input can carry their signature
//   3  validate_id_token(token) against parse_jwks(jwks), rest = jwks '\n' token (split at the last '\n')
//   4  validate_id_token of a token the harness signs: rest = header JSON '\n' payload JSON. The header's
//      alg picks the key (RS256, PS256; ES256 otherwise), so the claim checks behind the signature run.
//   5  parse_provider_metadata(rest, kIssuer)
//   6  parse_token_response(HTTP 200, body = rest)
//   7  parse_token_response(HTTP 400, body = rest)
// Besides crashes, sanitizer reports and escaping exceptions, the harness aborts when a result breaks a
// promise of the SDK: an ID token accepted without a valid signature, a token in an error message, ...

#include "core/base64url.hpp"
#include "core/json_util.hpp"
#include "core/token_endpoint.hpp"
#include "crypto/crypto.hpp"
#include "oidc/discovery.hpp"
#include "oidc/id_token.hpp"
#include "oidc/jwks.hpp"
#include "oidc/jwt.hpp"

#include <nativeauth/options.hpp>
#include <nativeauth/platform/http_transport.hpp>
#include <nativeauth/secret.hpp>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

using nativeauth::Result;
using nativeauth::SecretString;
using nativeauth::core::Json;
using nativeauth::crypto::Bytes;
using nativeauth::oidc::Jwk;

const std::string kIssuer = "https://issuer.example";
const std::string kClientId = "nativeauth-cli";
const std::string kNonce = "n-0S6_WzA2Mj";
constexpr std::int64_t kNow = 1700000000;  // 2023-11-14T22:13:20Z; the seed tokens are valid then

[[noreturn]] void fail(const char *what) {
  std::fprintf(stderr, "fuzz_jwt: %s\n", what);
  std::abort();
}

void require(bool ok, const char *what) {
  if (!ok) fail(what);
}

// --- Keys: generated once per process, so no input can carry a valid signature by them unless the
// --- harness itself signed it (mode 4). Nothing secret is ever written to the repository.

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

struct TestKeys {
  PkeyPtr rsa;  // RSA-2048: RS256 and PS256
  PkeyPtr ec;   // P-256: ES256
  std::vector<Jwk> jwks;
};

Bytes bn_param(const EVP_PKEY *key, const char *name, int pad_to) {
  BIGNUM *raw = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &raw) != 1) fail("harness: EVP_PKEY_get_bn_param failed");
  std::unique_ptr<BIGNUM, BnFree> bn(raw);
  const int len = pad_to > 0 ? pad_to : BN_num_bytes(bn.get());
  Bytes out(static_cast<std::size_t>(len));
  if (BN_bn2binpad(bn.get(), out.data(), len) != len) fail("harness: BN_bn2binpad failed");
  return out;
}

TestKeys make_keys() {
  TestKeys k;
  k.rsa.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(2048)));
  k.ec.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!k.rsa || !k.ec) fail("harness: key generation failed");

  Jwk rsa;
  rsa.kid = "rsa-1";
  rsa.use = "sig";
  rsa.key.kty = "RSA";
  rsa.key.n = bn_param(k.rsa.get(), OSSL_PKEY_PARAM_RSA_N, 0);
  rsa.key.e = bn_param(k.rsa.get(), OSSL_PKEY_PARAM_RSA_E, 0);
  Jwk ec;
  ec.kid = "ec-1";
  ec.key.kty = "EC";
  ec.key.crv = "P-256";
  ec.key.x = bn_param(k.ec.get(), OSSL_PKEY_PARAM_EC_PUB_X, 32);
  ec.key.y = bn_param(k.ec.get(), OSSL_PKEY_PARAM_EC_PUB_Y, 32);
  k.jwks.push_back(std::move(rsa));
  k.jwks.push_back(std::move(ec));
  return k;
}

const TestKeys &test_keys() {
  static const TestKeys keys = make_keys();
  return keys;
}

/// A JWS signature over `input` with the harness's key for `alg` (ES256 for anything but RS256/PS256).
Bytes sign(std::string_view alg, std::string_view input) {
  const bool rsa = alg == "RS256" || alg == "PS256";
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> md(EVP_MD_CTX_new());
  EVP_PKEY_CTX *pctx = nullptr;  // owned by md
  if (!md || EVP_DigestSignInit_ex(md.get(), &pctx, "SHA256", nullptr, nullptr,
                                   rsa ? test_keys().rsa.get() : test_keys().ec.get(), nullptr) != 1) {
    fail("harness: EVP_DigestSignInit_ex failed");
  }
  if (alg == "PS256" && (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
                         EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1 ||
                         EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, "SHA256", nullptr) != 1)) {
    fail("harness: PSS setup failed");
  }
  const auto *msg = reinterpret_cast<const unsigned char *>(input.data());
  std::size_t len = 0;
  if (EVP_DigestSign(md.get(), nullptr, &len, msg, input.size()) != 1) fail("harness: EVP_DigestSign failed");
  Bytes sig(len);
  if (EVP_DigestSign(md.get(), sig.data(), &len, msg, input.size()) != 1) fail("harness: EVP_DigestSign failed");
  sig.resize(len);
  if (rsa) return sig;

  // RFC 7518 §3.4: DER ECDSA-Sig-Value to R || S, 32 bytes each.
  const unsigned char *p = sig.data();
  std::unique_ptr<ECDSA_SIG, EcdsaSigFree> der(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size())));
  if (!der) fail("harness: d2i_ECDSA_SIG failed");
  Bytes jose(64);
  if (BN_bn2binpad(ECDSA_SIG_get0_r(der.get()), jose.data(), 32) != 32 ||
      BN_bn2binpad(ECDSA_SIG_get0_s(der.get()), jose.data() + 32, 32) != 32) {
    fail("harness: BN_bn2binpad failed");
  }
  return jose;
}

/// The same key set for every call, as a provider that never rotates would serve it.
class FixedKeys final : public nativeauth::oidc::KeySource {
 public:
  explicit FixedKeys(Result<std::vector<Jwk>> keys) : keys_(std::move(keys)) {}
  Result<nativeauth::oidc::KeySet> keys(bool /*refresh*/) override {
    if (!keys_) return keys_.error();
    return nativeauth::oidc::KeySet{*keys_, false};
  }

 private:
  Result<std::vector<Jwk>> keys_;
};

// --- Oracles.

std::pair<std::string_view, std::string_view> split_at(std::string_view s, std::size_t pos) {
  if (pos == std::string_view::npos) return {s, std::string_view{}};
  return {s.substr(0, pos), s.substr(pos + 1)};
}

// Indexed by bits 3-5 of byte 1: the ends of int64 and of the clamp, and 600 s for the seeds' digits.
constexpr std::int64_t kMaxAges[8] = {std::numeric_limits<std::int64_t>::max(),
                                      std::numeric_limits<std::int64_t>::max() - 119,
                                      std::numeric_limits<std::int64_t>::min(),
                                      -1,
                                      0,
                                      nativeauth::SignInOptions::kMaxAgeLimit.count() + 1,
                                      600,
                                      1};

/// bounded_max_age() refuses every negative max_age and clamps every other one to kMaxAgeLimit.
void check_bounded_max_age(std::int64_t requested) {
  const auto bounded = nativeauth::oidc::bounded_max_age(std::chrono::seconds(requested));
  if (requested < 0) {
    require(!bounded && bounded.error().code == nativeauth::ErrorCode::invalid_argument, "accepted a negative max_age");
    return;
  }
  const std::int64_t limit = nativeauth::SignInOptions::kMaxAgeLimit.count();
  require(bounded && *bounded && (*bounded)->count() == std::min(requested, limit), "max_age not clamped to the limit");
}

/// `flags`: byte 1 of the input (see the top of this file).
nativeauth::oidc::IdTokenCheck make_check(unsigned flags) {
  nativeauth::oidc::IdTokenCheck check;
  check.issuer = kIssuer;
  check.client_id = kClientId;
  if (flags & 1u) check.nonce = kNonce;
  if (flags & 2u) {
    const std::int64_t max_age = kMaxAges[(flags >> 3) & 7u];
    check_bounded_max_age(max_age);
    check.max_age = std::chrono::seconds(max_age);
  }
  if (flags & 4u) check.allowed_algs = nativeauth::oidc::supported_algorithms();
  check.now = std::chrono::system_clock::time_point(std::chrono::seconds(kNow));
  return check;
}

/// `may_verify`: whether the token can legitimately carry a valid signature by a key in the key set.
void check_id_token_result(std::string_view token, const Result<Json> &result, bool may_verify) {
  if (!result) {
    const std::string &message = result.error().message;
    require(!message.empty(), "ID token error without a message");
    // id_token.hpp: "Error messages never contain the token." A compact JWS has two dots.
    if (token.size() >= 24 && std::count(token.begin(), token.end(), '.') == 2) {
      require(message.find(token) == std::string::npos, "an ID token error message contains the token");
    }
    return;
  }
  require(may_verify, "accepted an ID token that no key in the key set signed");
  const Json &claims = *result;
  require(nativeauth::core::get_string(claims, "iss") == kIssuer, "accepted an ID token from another issuer");
  require(nativeauth::core::get_string(claims, "sub").has_value(), "accepted an ID token without sub");
}

void fuzz_jwt(std::string_view in) {
  const auto jwt = nativeauth::oidc::parse_jwt(in);
  if (!jwt) return;
  require(jwt->header.is_object() && jwt->payload.is_object(), "parsed a JWT whose parts are not JSON objects");
  const auto last_dot = in.rfind('.');
  require(last_dot != std::string_view::npos && jwt->signing_input == in.substr(0, last_dot),
          "the signing input is not the token up to its last dot");
}

void fuzz_jwks(std::string_view in) {
  const auto keys = nativeauth::oidc::parse_jwks(in);
  if (!keys) return;
  for (const Jwk &k : *keys) {
    require(k.use.empty() || k.use == "sig", "kept a key that is not for signatures");
    if (k.key.kty == "RSA") {
      require(!k.key.n.empty() && !k.key.e.empty(), "kept an RSA key without n or e");
    } else {
      require(k.key.kty == "EC", "kept a key of an unsupported type");
      require(!k.key.crv.empty() && !k.key.x.empty() && !k.key.y.empty(), "kept an EC key without crv, x or y");
    }
  }
}

void fuzz_id_token_fixed_keys(std::string_view token, unsigned flags) {
  FixedKeys keys(test_keys().jwks);
  const auto result = nativeauth::oidc::validate_id_token(token, make_check(flags), keys);
  check_id_token_result(token, result, false);
}

void fuzz_id_token_input_keys(std::string_view in, unsigned flags) {
  const auto [jwks, token] = split_at(in, in.rfind('\n'));
  FixedKeys keys(nativeauth::oidc::parse_jwks(jwks));
  const auto result = nativeauth::oidc::validate_id_token(token, make_check(flags), keys);
  // The input brings its own keys, so a seed may well carry a genuine signature (the corpus has one).
  check_id_token_result(token, result, true);
}

void fuzz_id_token_signed(std::string_view in, unsigned flags) {
  auto [header, payload] = split_at(in, in.find('\n'));
  std::string alg;
  if (auto h = nativeauth::core::parse_object(header)) alg = nativeauth::core::get_string(*h, "alg").value_or("");
  std::string token = nativeauth::core::base64url_encode(header) + '.' + nativeauth::core::base64url_encode(payload);
  const Bytes signature = sign(alg, token);
  token += '.';
  token += nativeauth::core::base64url_encode(signature.data(), signature.size());

  FixedKeys keys(test_keys().jwks);
  const auto check = make_check(flags);
  const auto result = nativeauth::oidc::validate_id_token(token, check, keys);
  check_id_token_result(token, result, true);
  if (!result) return;
  const std::vector<std::string> allowed = check.allowed_algs.empty() ? std::vector<std::string>{"RS256"}
                                                                      : check.allowed_algs;
  require(std::find(allowed.begin(), allowed.end(), alg) != allowed.end(),
          "accepted an ID token with an algorithm that was not allowed");
  const Json &claims = *result;
  const auto exp = nativeauth::core::get_int(claims, "exp");
  require(exp.has_value() && *exp >= kNow - 120, "accepted an expired ID token");
  if (check.nonce) require(nativeauth::core::get_string(claims, "nonce") == kNonce, "accepted a wrong nonce");
  if (check.max_age) {
    const auto auth_time = nativeauth::core::get_int(claims, "auth_time");
    require(auth_time.has_value(), "accepted no auth_time");
    // No overflow: an accepted auth_time lies within 1970..9999 (check_times), the leeway is 120 s.
    require(kNow - *auth_time - check.leeway.count() <= check.max_age->count(),
            "accepted an auth_time older than max_age and the leeway allow");
  }
}

bool has_prefix_icase(const std::string &s, std::string_view prefix) {
  return s.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), s.begin(), [](char p, char c) {
           return p == c || (c >= 'A' && c <= 'Z' && p == c - 'A' + 'a');
         });
}

/// A loose check on purpose (the SDK's own check is stricter about http): schemes are case-insensitive
/// (RFC 3986 §3.1), so "HTTPS://" is as good as "https://".
bool secure_or_empty(const std::string &url) {
  return url.empty() || has_prefix_icase(url, "https://") || has_prefix_icase(url, "http://");
}

void fuzz_metadata(std::string_view in) {
  const auto m = nativeauth::oidc::parse_provider_metadata(in, kIssuer);
  if (!m) {
    require(!m.error().message.empty(), "metadata error without a message");
    return;
  }
  require(m->issuer == kIssuer, "accepted metadata for another issuer");
  require(!m->authorization_endpoint.empty() && !m->token_endpoint.empty(), "accepted metadata without endpoints");
  for (const std::string *url :
       {&m->authorization_endpoint, &m->token_endpoint, &m->jwks_uri, &m->userinfo_endpoint, &m->revocation_endpoint,
        &m->end_session_endpoint, &m->device_authorization_endpoint}) {
    require(secure_or_empty(*url), "accepted an endpoint that is neither https nor http");
  }
  const auto &methods = m->code_challenge_methods_supported;
  require(methods.empty() || std::find(methods.begin(), methods.end(), "S256") != methods.end(),
          "accepted a provider that lists PKCE methods without S256");
}

void fuzz_token_response(std::string_view in, int status) {
  nativeauth::platform::HttpResponse response;
  response.status = status;
  response.content_type = "application/json";
  response.body = SecretString(std::string(in));
  const auto r = nativeauth::core::parse_token_response(response);
  if (!r) {
    const auto &e = r.error();
    require(!e.message.empty(), "token error without a message");
    require(e.http_status == 0 || e.http_status == status, "token error with another HTTP status");
    // STYLE.md: error messages never hold response bodies (which may hold tokens).
    if (in.size() >= 24 && in.front() == '{') {
      require(e.message.find(in) == std::string::npos, "a token error message contains the response body");
    }
    return;
  }
  require(status == 200, "accepted tokens from a non-200 response");
  require(!r->access_token.empty(), "accepted a token response without access_token");
  require(r->token_type == "Bearer", "accepted a token type other than Bearer");
  require(!r->expires_in || *r->expires_in >= 0, "kept a negative expires_in");
}

void run(const std::uint8_t *data, std::size_t size) {
  if (size == 0) return;
  const unsigned mode = data[0] & 7u;
  const std::string_view rest(reinterpret_cast<const char *>(data) + 1, size - 1);
  // Modes 2-4: byte 1 is the check, the token material follows.
  const unsigned flags = rest.empty() ? 0u : static_cast<unsigned char>(rest.front());
  const std::string_view token_part = rest.empty() ? rest : rest.substr(1);
  switch (mode) {
    case 0: fuzz_jwt(rest); break;
    case 1: fuzz_jwks(rest); break;
    case 2: fuzz_id_token_fixed_keys(token_part, flags); break;
    case 3: fuzz_id_token_input_keys(token_part, flags); break;
    case 4: fuzz_id_token_signed(token_part, flags); break;
    case 5: fuzz_metadata(rest); break;
    case 6: fuzz_token_response(rest, 200); break;
    default: fuzz_token_response(rest, 400); break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int * /*argc*/, char *** /*argv*/) {
  (void)test_keys();  // key generation is slow; keep it out of the first input's time
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  try {
    run(data, size);
  } catch (const std::exception &e) {
    std::fprintf(stderr, "fuzz_jwt: exception escaped the SDK: %s\n", e.what());
    std::abort();
  } catch (...) {
    std::fprintf(stderr, "fuzz_jwt: unknown exception escaped the SDK\n");
    std::abort();
  }
  return 0;
}
