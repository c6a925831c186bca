// SPDX-License-Identifier: Apache-2.0
// Every C++ ErrorCode has its C twin with the negated number and the same name, and nothing else in the
// C enum claims a C++ number: the two lists cannot drift apart unnoticed.
#include <nativeauth/error.hpp>
#include <nativeauth_c/nativeauth.h>

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace {

// Every enumerator of nativeauth_error_code. A new C++ code fails NoCxxCodeLacksItsCTwin until it is
// added to errors.h and here.
const std::map<int, std::string> &c_codes() {
  static const std::map<int, std::string> codes = {
      {NATIVEAUTH_OK, "ok"},
      {NATIVEAUTH_E_INVALID_ARGUMENT, "invalid_argument"},
      {NATIVEAUTH_E_INVALID_CONFIGURATION, "invalid_configuration"},
      {NATIVEAUTH_E_CANCELLED, "cancelled"},
      {NATIVEAUTH_E_TIMEOUT, "timeout"},
      {NATIVEAUTH_E_INTERNAL, "internal"},
      {NATIVEAUTH_E_NETWORK, "network"},
      {NATIVEAUTH_E_TLS, "tls"},
      {NATIVEAUTH_E_HTTP_STATUS, "http_status"},
      {NATIVEAUTH_E_INSECURE_URL, "insecure_url"},
      {NATIVEAUTH_E_MALFORMED_RESPONSE, "malformed_response"},
      {NATIVEAUTH_E_DISCOVERY_FAILED, "discovery_failed"},
      {NATIVEAUTH_E_ISSUER_MISMATCH, "issuer_mismatch"},
      {NATIVEAUTH_E_MISSING_ENDPOINT, "missing_endpoint"},
      {NATIVEAUTH_E_ACCESS_DENIED, "access_denied"},
      {NATIVEAUTH_E_AUTHORIZATION_ERROR, "authorization_error"},
      {NATIVEAUTH_E_STATE_MISMATCH, "state_mismatch"},
      {NATIVEAUTH_E_ISSUER_PARAM_MISMATCH, "issuer_param_mismatch"},
      {NATIVEAUTH_E_BROWSER_UNAVAILABLE, "browser_unavailable"},
      {NATIVEAUTH_E_LISTENER_FAILED, "listener_failed"},
      {NATIVEAUTH_E_INVALID_REDIRECT, "invalid_redirect"},
      {NATIVEAUTH_E_NO_PENDING_SIGN_IN, "no_pending_sign_in"},
      {NATIVEAUTH_E_DEVICE_CODE_EXPIRED, "device_code_expired"},
      {NATIVEAUTH_E_TOKEN_ERROR, "token_error"},
      {NATIVEAUTH_E_INVALID_GRANT, "invalid_grant"},
      {NATIVEAUTH_E_INVALID_TOKEN_RESPONSE, "invalid_token_response"},
      {NATIVEAUTH_E_ID_TOKEN_MALFORMED, "id_token_malformed"},
      {NATIVEAUTH_E_ID_TOKEN_SIGNATURE, "id_token_signature"},
      {NATIVEAUTH_E_ID_TOKEN_ALGORITHM, "id_token_algorithm"},
      {NATIVEAUTH_E_ID_TOKEN_UNKNOWN_KEY, "id_token_unknown_key"},
      {NATIVEAUTH_E_ID_TOKEN_ISSUER, "id_token_issuer"},
      {NATIVEAUTH_E_ID_TOKEN_AUDIENCE, "id_token_audience"},
      {NATIVEAUTH_E_ID_TOKEN_EXPIRED, "id_token_expired"},
      {NATIVEAUTH_E_ID_TOKEN_NOT_YET_VALID, "id_token_not_yet_valid"},
      {NATIVEAUTH_E_ID_TOKEN_NONCE, "id_token_nonce"},
      {NATIVEAUTH_E_ID_TOKEN_AUTH_TIME, "id_token_auth_time"},
      {NATIVEAUTH_E_JWKS_UNAVAILABLE, "jwks_unavailable"},
      {NATIVEAUTH_E_STORAGE_UNAVAILABLE, "storage_unavailable"},
      {NATIVEAUTH_E_STORAGE_LOCKED, "storage_locked"},
      {NATIVEAUTH_E_STORAGE_CORRUPT, "storage_corrupt"},
      {NATIVEAUTH_E_STORAGE_SLOT_MISMATCH, "storage_slot_mismatch"},
      {NATIVEAUTH_E_SLOT_BUSY, "slot_busy"},
      {NATIVEAUTH_E_KEY_UNAVAILABLE, "key_unavailable"},
      {NATIVEAUTH_E_SIGN_IN_REQUIRED, "sign_in_required"},
      {NATIVEAUTH_E_IN_PROGRESS, "in_progress"},
      {NATIVEAUTH_E_UNSUPPORTED_VERSION, "unsupported_version"},
  };
  return codes;
}

TEST(CapiCodes, NoCxxCodeLacksItsCTwin) {
  // The C++ codes live in 0..999 (ranges per area); to_string() names each one it knows.
  int known = 0;
  for (int n = 0; n < 1000; ++n) {
    const std::string name = nativeauth::to_string(static_cast<nativeauth::ErrorCode>(n));
    if (name == "unknown") continue;
    ++known;
    const auto twin = c_codes().find(-n);
    ASSERT_NE(twin, c_codes().end()) << "C++ code " << n << " (" << name << ") has no C twin " << -n;
    EXPECT_EQ(twin->second, name) << "C code " << -n;
    EXPECT_EQ(nativeauth_error_code_name(-n), name);
  }
  EXPECT_GE(known, 40);
}

TEST(CapiCodes, EveryCCodeIsACxxCodeOrInTheCRange) {
  for (const auto &[code, name] : c_codes()) {
    EXPECT_EQ(nativeauth_error_code_name(code), name) << code;
    EXPECT_LE(code, 0) << name;
    if (code > -1000) {
      EXPECT_EQ(nativeauth::to_string(static_cast<nativeauth::ErrorCode>(-code)), name) << code;
    } else {
      EXPECT_LT(code, -999) << "the C-only codes stay in -10xx";
      EXPECT_GT(code, -1100);
    }
  }
}

}  // namespace
