// SPDX-License-Identifier: Apache-2.0
// Names of error codes and the one-line rendering of an Error.
#include <nativeauth/error.hpp>
#include <nativeauth/version.hpp>

#include "util/quote.hpp"

namespace nativeauth {

const char *version() noexcept { return NATIVEAUTH_VERSION_STRING; }

const char *to_string(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::ok: return "ok";
    case ErrorCode::invalid_argument: return "invalid_argument";
    case ErrorCode::invalid_configuration: return "invalid_configuration";
    case ErrorCode::cancelled: return "cancelled";
    case ErrorCode::timeout: return "timeout";
    case ErrorCode::internal: return "internal";
    case ErrorCode::network: return "network";
    case ErrorCode::tls: return "tls";
    case ErrorCode::http_status: return "http_status";
    case ErrorCode::insecure_url: return "insecure_url";
    case ErrorCode::malformed_response: return "malformed_response";
    case ErrorCode::discovery_failed: return "discovery_failed";
    case ErrorCode::issuer_mismatch: return "issuer_mismatch";
    case ErrorCode::missing_endpoint: return "missing_endpoint";
    case ErrorCode::access_denied: return "access_denied";
    case ErrorCode::authorization_error: return "authorization_error";
    case ErrorCode::state_mismatch: return "state_mismatch";
    case ErrorCode::issuer_param_mismatch: return "issuer_param_mismatch";
    case ErrorCode::browser_unavailable: return "browser_unavailable";
    case ErrorCode::listener_failed: return "listener_failed";
    case ErrorCode::invalid_redirect: return "invalid_redirect";
    case ErrorCode::no_pending_sign_in: return "no_pending_sign_in";
    case ErrorCode::device_code_expired: return "device_code_expired";
    case ErrorCode::token_error: return "token_error";
    case ErrorCode::invalid_grant: return "invalid_grant";
    case ErrorCode::invalid_token_response: return "invalid_token_response";
    case ErrorCode::id_token_malformed: return "id_token_malformed";
    case ErrorCode::id_token_signature: return "id_token_signature";
    case ErrorCode::id_token_algorithm: return "id_token_algorithm";
    case ErrorCode::id_token_unknown_key: return "id_token_unknown_key";
    case ErrorCode::id_token_issuer: return "id_token_issuer";
    case ErrorCode::id_token_audience: return "id_token_audience";
    case ErrorCode::id_token_expired: return "id_token_expired";
    case ErrorCode::id_token_not_yet_valid: return "id_token_not_yet_valid";
    case ErrorCode::id_token_nonce: return "id_token_nonce";
    case ErrorCode::id_token_auth_time: return "id_token_auth_time";
    case ErrorCode::jwks_unavailable: return "jwks_unavailable";
    case ErrorCode::storage_unavailable: return "storage_unavailable";
    case ErrorCode::storage_locked: return "storage_locked";
    case ErrorCode::storage_corrupt: return "storage_corrupt";
    case ErrorCode::storage_slot_mismatch: return "storage_slot_mismatch";
    case ErrorCode::slot_busy: return "slot_busy";
    case ErrorCode::key_unavailable: return "key_unavailable";
    case ErrorCode::sign_in_required: return "sign_in_required";
  }
  return "unknown";
}

std::string Error::to_string() const {
  std::string out = nativeauth::to_string(code);
  out += ": ";
  out += message;
  if (!oauth_error.empty()) {
    // The server's words are untrusted text: shown escaped, so that a log or terminal cannot act on them.
    out += " (server: ";
    out += util::escape_untrusted(oauth_error, false, 200);
    if (!oauth_description.empty()) {
      out += ": ";
      out += util::escape_untrusted(oauth_description, false, 500);
    }
    out += ')';
  }
  return out;
}

}  // namespace nativeauth
