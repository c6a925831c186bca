// SPDX-License-Identifier: Apache-2.0
// ID token validation (OpenID Connect Core 1.0 §3.1.3.7), signature first, then the claims.
#include "oidc/id_token.hpp"

#include "oidc/jwt.hpp"
#include "util/quote.hpp"
#include "util/secrets.hpp"

#include <algorithm>
#include <cstdlib>
#include <limits>

namespace nativeauth::oidc {

namespace {

/// How much of an untrusted header value or claim a message shows (quoted, escaped, then cut).
constexpr std::size_t kShownClaimBytes = 200;

bool contains(const std::vector<std::string> &v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

std::string expected_curve(std::string_view alg) {
  if (alg == "ES256") return "P-256";
  if (alg == "ES384") return "P-384";
  if (alg == "ES512") return "P-521";
  return "";
}

/// Keys that could have produced a signature with `alg` and `kid` (RFC 7515 §4.1.4, RFC 7517 §4).
std::vector<const Jwk *> candidates(const std::vector<Jwk> &keys, const std::string &alg,
                                    const std::optional<std::string> &kid) {
  std::vector<const Jwk *> out;
  const bool wants_rsa = alg[0] == 'R' || alg[0] == 'P';
  for (const auto &k : keys) {
    if (kid && k.kid != *kid) continue;
    if (!k.alg.empty() && k.alg != alg) continue;
    if (wants_rsa && k.key.kty != "RSA") continue;
    if (!wants_rsa && (k.key.kty != "EC" || k.key.crv != expected_curve(alg))) continue;
    out.push_back(&k);
  }
  return out;
}

/// a + b, or the int64 limit it would pass: max_age comes from the app and may be any int64.
std::int64_t saturating_add(std::int64_t a, std::int64_t b) {
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
  if (b > 0 && a > kMax - b) return kMax;
  if (b < 0 && a < kMin - b) return kMin;
  return a + b;
}

Error with_skew(ErrorCode code, const std::string &what, std::int64_t seconds) {
  return make_error(code, what + " by " + std::to_string(seconds) +
                              " s: this device's clock and the provider's disagree by about that much "
                              "(beyond the allowed leeway); check the system time");
}

Result<void> verify_signature(const Jwt &jwt, const std::string &alg, KeySource &keys) {
  const auto kid = core::get_string(jwt.header, "kid");
  bool refetch_skipped = false;
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto set = keys.keys(/*refresh=*/attempt == 1);
    if (!set) {
      Error e = std::move(set).error();
      if (e.code != ErrorCode::network) e.code = ErrorCode::jwks_unavailable;
      return e;
    }
    refetch_skipped = set->refetch_skipped;
    const auto fitting = candidates(set->keys, alg, kid);
    if (fitting.empty()) continue;  // unknown kid: the provider may have rotated keys; refetch once
    Error last = make_error(ErrorCode::id_token_signature, "ID token signature does not verify");
    for (const Jwk *k : fitting) {
      auto ok = crypto::verify_signature(alg, k->key, jwt.signing_input, jwt.signature);
      if (ok) return {};
      last = std::move(ok).error();
    }
    last.message = "ID token signature does not verify with the provider's key" +
                   (kid ? " " + util::quoted(*kid, kShownClaimBytes) : std::string()) + ": " + last.message;
    return last;
  }
  const std::string which = "no key in the provider's JWKS fits the ID token (kid " +
                            (kid ? util::quoted(*kid, kShownClaimBytes) : std::string("absent")) + ", alg " +
                            util::quoted(alg) + ")";
  return make_error(ErrorCode::id_token_unknown_key,
                    which + (refetch_skipped ? "; the JWKS was fetched moments ago, so it was not fetched again "
                                               "(at most once every 10 s): try again shortly"
                                             : ", even after refetching the JWKS"));
}

}  // namespace

const std::vector<std::string> &supported_algorithms() {
  static const std::vector<std::string> algs = {"RS256", "RS384", "RS512", "PS256", "PS384",
                                                "PS512", "ES256", "ES384", "ES512"};
  return algs;
}

namespace {

// §3.1.3.7 points 6-8, RFC 8725 §3.1: what the header claims is untrusted.
Result<std::string> checked_algorithm(const Jwt &jwt, const IdTokenCheck &check) {
  const auto alg = core::get_string(jwt.header, "alg");
  if (!alg || alg->empty()) return make_error(ErrorCode::id_token_algorithm, "ID token header has no \"alg\"");
  if (*alg == "none" || *alg == "None" || *alg == "NONE") {
    return make_error(ErrorCode::id_token_algorithm, "ID token is unsigned (alg \"none\"); refused");
  }
  if (alg->rfind("HS", 0) == 0) {
    return make_error(ErrorCode::id_token_algorithm, "ID token uses a symmetric algorithm (" +
                                                         util::quoted(*alg, kShownClaimBytes) +
                                                         "); a public client only accepts asymmetric signatures");
  }
  if (!contains(supported_algorithms(), *alg)) {
    return make_error(ErrorCode::id_token_algorithm,
                      "ID token algorithm " + util::quoted(*alg, kShownClaimBytes) + " is not supported");
  }
  const std::vector<std::string> advertised = check.allowed_algs.empty() ? std::vector<std::string>{"RS256"}
                                                                         : check.allowed_algs;
  if (!contains(advertised, *alg)) {
    return make_error(ErrorCode::id_token_algorithm,
                      "ID token algorithm " + util::quoted(*alg) + " is not one the provider advertises for ID tokens");
  }
  if (jwt.header.contains("crit")) {
    return make_error(ErrorCode::id_token_malformed,
                      "ID token has critical header extensions nativeauth does not understand");
  }
  return *alg;
}

// Points 2-5: who issued it, about whom, for whom.
Result<void> check_parties(const core::Json &claims, const IdTokenCheck &check) {
  const auto iss = core::get_string(claims, "iss");
  if (!iss || *iss != check.issuer) {
    return make_error(ErrorCode::id_token_issuer, "ID token was issued by " +
                                                      (iss ? util::quoted(*iss, kShownClaimBytes) : "(none)") +
                                                      ", not by the configured issuer " + util::quoted(check.issuer));
  }
  const auto sub = core::get_string(claims, "sub");
  if (!sub || sub->empty()) return make_error(ErrorCode::id_token_malformed, "ID token has no \"sub\" claim");

  // aud contains client_id; with several audiences azp must be present; azp must be us.
  std::vector<std::string> audiences;
  if (const auto single = core::get_string(claims, "aud")) {
    audiences.push_back(*single);
  } else {
    audiences = core::get_strings(claims, "aud");
  }
  if (!contains(audiences, check.client_id)) {
    return make_error(ErrorCode::id_token_audience,
                      "ID token is not meant for client " + util::quoted(check.client_id) + " (aud)");
  }
  const auto azp = core::get_string(claims, "azp");
  if (audiences.size() > 1 && !azp) {
    return make_error(ErrorCode::id_token_audience, "ID token has several audiences but no \"azp\" claim");
  }
  if (azp && *azp != check.client_id) {
    return make_error(ErrorCode::id_token_audience,
                      "ID token was issued to another party (azp " + util::quoted(*azp, kShownClaimBytes) + ")");
  }
  return {};
}

// Points 9-10: exp, iat, nbf with leeway for clock skew; every time claim within 1970..9999.
Result<void> check_times(const core::Json &claims, const IdTokenCheck &check) {
  const std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(check.now.time_since_epoch()).count();
  const std::int64_t leeway = check.leeway.count();
  const auto exp = core::get_int(claims, "exp");
  const auto iat = core::get_int(claims, "iat");
  if (!exp || !iat) return make_error(ErrorCode::id_token_malformed, "ID token lacks \"exp\" or \"iat\"");
  // Times outside 1970..9999 are nonsense, and refusing them keeps the arithmetic below from
  // overflowing (found by tests/fuzz).
  constexpr std::int64_t kMaxTime = 253'402'300'799;  // 9999-12-31T23:59:59Z
  for (const char *name : {"exp", "iat", "nbf", "auth_time"}) {
    if (!claims.contains(name)) continue;
    const auto t = core::get_int(claims, name);
    if (!t || *t < 0 || *t > kMaxTime) {
      return make_error(ErrorCode::id_token_malformed,
                        std::string("ID token claim \"") + name + "\" is not a valid time");
    }
  }
  if (now < 0 || now > kMaxTime || leeway < 0 || leeway > kMaxTime) {
    return make_error(ErrorCode::invalid_argument, "clock or leeway out of range");
  }
  if (now > *exp + leeway)
    return with_skew(ErrorCode::id_token_expired, "ID token expired: it is past its exp", now - *exp);
  if (*iat > now + leeway) {
    return with_skew(ErrorCode::id_token_not_yet_valid, "ID token is issued in the future: iat is ahead", *iat - now);
  }
  if (const auto nbf = core::get_int(claims, "nbf"); nbf && *nbf > now + leeway) {
    return with_skew(ErrorCode::id_token_not_yet_valid, "ID token is not valid yet: nbf is ahead", *nbf - now);
  }
  return {};
}

// Point 13: auth_time when max_age was requested (times already checked by check_times).
Result<void> check_auth_time(const core::Json &claims, const IdTokenCheck &check) {
  if (!check.max_age) return {};
  const std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(check.now.time_since_epoch()).count();
  const auto auth_time = core::get_int(claims, "auth_time");
  if (!auth_time)
    return make_error(ErrorCode::id_token_auth_time, "max_age was requested but the ID token has no auth_time");
  const std::int64_t age = now - *auth_time;  // both within 0..kMaxTime (check_times): no overflow
  // Saturating: bounded_max_age() clamps what sign_in() sends, but this check must hold for any value.
  if (age > saturating_add(check.max_age->count(), check.leeway.count())) {
    return make_error(ErrorCode::id_token_auth_time, "the user authenticated " + std::to_string(age) +
                                                         " s ago, longer than max_age " +
                                                         std::to_string(check.max_age->count()) + " s allows");
  }
  return {};
}

}  // namespace

Result<std::optional<std::chrono::seconds>> bounded_max_age(std::optional<std::chrono::seconds> requested) {
  if (!requested) return std::optional<std::chrono::seconds>();
  if (requested->count() < 0) {
    return make_error(ErrorCode::invalid_argument, "SignInOptions::max_age is negative (" +
                                                       std::to_string(requested->count()) +
                                                       " s); leave it unset to send none");
  }
  return std::optional<std::chrono::seconds>(std::min(*requested, SignInOptions::kMaxAgeLimit));
}

Result<core::Json> validate_id_token(std::string_view token, const IdTokenCheck &check, KeySource &keys) {
  auto parsed = parse_jwt(token);
  if (!parsed) return std::move(parsed).error();
  Jwt &jwt = *parsed;
  auto alg = checked_algorithm(jwt, check);
  if (!alg) return std::move(alg).error();
  if (auto sig = verify_signature(jwt, *alg, keys); !sig) return std::move(sig).error();
  const core::Json &claims = jwt.payload;
  if (auto ok = check_parties(claims, check); !ok) return std::move(ok).error();
  if (auto ok = check_times(claims, check); !ok) return std::move(ok).error();
  // Point 11: nonce.
  if (check.nonce) {
    const auto nonce = core::get_string(claims, "nonce");
    if (!nonce || !util::constant_time_equal(*nonce, *check.nonce)) {
      return make_error(ErrorCode::id_token_nonce, nonce
                                                       ? "ID token nonce does not match this sign-in (replayed token?)"
                                                       : "ID token has no nonce although one was sent");
    }
  }
  if (auto ok = check_auth_time(claims, check); !ok) return std::move(ok).error();
  return std::move(jwt.payload);
}

}  // namespace nativeauth::oidc
