// SPDX-License-Identifier: Apache-2.0
// SDK error → CLI exit code, by cause: what a script should do next (sign in, retry, fix the store).
#include "exit_codes.hpp"

namespace cli {

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
    case ErrorCode::invalid_grant: return kSignInNeeded;
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
