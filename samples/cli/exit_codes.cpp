// SPDX-License-Identifier: Apache-2.0
// SDK error → CLI exit code, by cause: what a script should do next (sign in, retry, fix the store).
#include "exit_codes.hpp"

namespace cli {

const std::vector<ExitCodeDoc> &exit_code_docs() {
  static const std::vector<ExitCodeDoc> docs{
      {kOk, "done: signed in, token printed, signed out, redirect handed over"},
      {kFailure, "anything else: a malformed provider answer, a failed ID-token check, a bug"},
      {kUsage, "usage: bad flags, a missing issuer or client id, an http issuer that is not loopback"},
      {kSignInNeeded, "sign-in needed: declined, timed out, cancelled, no session, or the provider ended it"},
      {kUnreachable, "the provider or the network could not be reached (TLS failures and 5xx included)"},
      {kStorage, "the session store cannot be used now: the keyring is locked or no Secret Service runs"},
      {kBusy, "another nativeauth process was still busy with this session: try again"},
  };
  return docs;
}

int exit_code_for(const nativeauth::Error &error) {
  using nativeauth::ErrorCode;
  switch (error.code) {
    case ErrorCode::invalid_argument:
    case ErrorCode::invalid_configuration:
    case ErrorCode::insecure_url: return kUsage;
    case ErrorCode::access_denied:
    case ErrorCode::timeout:
    case ErrorCode::device_code_expired:
    case ErrorCode::cancelled:
    case ErrorCode::sign_in_required:
    case ErrorCode::invalid_grant:
    case ErrorCode::key_unavailable: return kSignInNeeded;  // the session's DPoP key is gone: sign in again
    case ErrorCode::network:
    case ErrorCode::tls:
    case ErrorCode::discovery_failed: return kUnreachable;
    // The session is fine; where it is kept is not usable now. Signing in again would not help.
    case ErrorCode::storage_unavailable:
    case ErrorCode::storage_locked: return kStorage;
    // Another process held the slot lock past the wait: neither "sign in again" nor "unreachable".
    case ErrorCode::slot_busy: return kBusy;
    case ErrorCode::http_status:
    case ErrorCode::jwks_unavailable: return error.transient ? kUnreachable : kFailure;
    default: return error.transient ? kUnreachable : kFailure;
  }
}

}  // namespace cli
