/* SPDX-License-Identifier: Apache-2.0 */
/* Error codes of the C ABI (the C++ ErrorCode numbers, negated) and the per-thread last error. */
#ifndef NATIVEAUTH_C_ERRORS_H
#define NATIVEAUTH_C_ERRORS_H

#include <nativeauth_c/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * What every fallible call returns: 0, or one of these negative codes. Each is the negation of the C++
 * nativeauth::ErrorCode with the same name (so the two can never drift apart); numbers are never changed
 * or reused, retired codes keep theirs. `-code / 100` tells the area: 1 the call, 2 transport,
 * 3 discovery, 4 authorization (browser leg), 5 token endpoint, 6 ID token, 7 storage, 8 session.
 * The -10xx range belongs to the C ABI alone. Treat unknown negative values as errors: newer
 * libraries may add codes.
 */
typedef enum nativeauth_error_code {
  NATIVEAUTH_OK = 0,

  NATIVEAUTH_E_INVALID_ARGUMENT = -100,      /**< An argument is NULL or malformed; the message names it. */
  NATIVEAUTH_E_INVALID_CONFIGURATION = -101, /**< Options are inconsistent (e.g. a non-loopback http issuer). */
  NATIVEAUTH_E_CANCELLED = -102,             /**< nativeauth_sign_in_cancel() (or _free) ended the sign-in. */
  NATIVEAUTH_E_TIMEOUT = -103,               /**< The browser did not come back within the sign-in timeout. */
  NATIVEAUTH_E_INTERNAL = -199,              /**< A bug, or out of memory; the message says what broke. */

  NATIVEAUTH_E_NETWORK = -200, /**< Could not connect, or the connection was lost. Transient. */
  NATIVEAUTH_E_TLS = -201,
  NATIVEAUTH_E_HTTP_STATUS = -202,
  NATIVEAUTH_E_INSECURE_URL = -203,
  NATIVEAUTH_E_MALFORMED_RESPONSE = -204,

  NATIVEAUTH_E_DISCOVERY_FAILED = -300,
  NATIVEAUTH_E_ISSUER_MISMATCH = -301,
  NATIVEAUTH_E_MISSING_ENDPOINT = -302,

  NATIVEAUTH_E_ACCESS_DENIED = -400, /**< The user declined, or the provider refused. */
  NATIVEAUTH_E_AUTHORIZATION_ERROR = -401,
  NATIVEAUTH_E_STATE_MISMATCH = -402, /**< A handed-over redirect carries the state of no pending sign-in. */
  NATIVEAUTH_E_ISSUER_PARAM_MISMATCH = -403,
  NATIVEAUTH_E_BROWSER_UNAVAILABLE = -404, /**< open_url failed and nobody was told the URL. */
  NATIVEAUTH_E_LISTENER_FAILED = -405,
  NATIVEAUTH_E_INVALID_REDIRECT = -406,    /**< A handed-over URL is not for the configured redirect URI. */
  NATIVEAUTH_E_NO_PENDING_SIGN_IN = -407,  /**< A redirect was handed over but no sign-in waits for one. */
  NATIVEAUTH_E_DEVICE_CODE_EXPIRED = -410, /**< Device flow (RFC 8628): the code expired before the user finished. */

  NATIVEAUTH_E_TOKEN_ERROR = -500,
  NATIVEAUTH_E_INVALID_GRANT = -501,
  NATIVEAUTH_E_INVALID_TOKEN_RESPONSE = -502,

  NATIVEAUTH_E_ID_TOKEN_MALFORMED = -600,
  NATIVEAUTH_E_ID_TOKEN_SIGNATURE = -601,
  NATIVEAUTH_E_ID_TOKEN_ALGORITHM = -602,
  NATIVEAUTH_E_ID_TOKEN_UNKNOWN_KEY = -603,
  NATIVEAUTH_E_ID_TOKEN_ISSUER = -604,
  NATIVEAUTH_E_ID_TOKEN_AUDIENCE = -605,
  NATIVEAUTH_E_ID_TOKEN_EXPIRED = -606,
  NATIVEAUTH_E_ID_TOKEN_NOT_YET_VALID = -607,
  NATIVEAUTH_E_ID_TOKEN_NONCE = -608,
  NATIVEAUTH_E_ID_TOKEN_AUTH_TIME = -609,
  NATIVEAUTH_E_JWKS_UNAVAILABLE = -610,

  NATIVEAUTH_E_STORAGE_UNAVAILABLE = -700, /**< The store (or a host store callback) failed. */
  NATIVEAUTH_E_STORAGE_LOCKED = -701,
  NATIVEAUTH_E_STORAGE_CORRUPT = -702,
  NATIVEAUTH_E_STORAGE_SLOT_MISMATCH = -703,

  NATIVEAUTH_E_SIGN_IN_REQUIRED = -800, /**< No session, or the provider ended it. */

  /* -10xx: the C ABI only. */
  NATIVEAUTH_E_IN_PROGRESS = -1000,         /**< nativeauth_sign_in_wait/_poll: not finished yet. */
  NATIVEAUTH_E_UNSUPPORTED_VERSION = -1001, /**< A struct's `version` is 0 or newer than this library. */

  /* Appended later (enumerators are only ever appended, never renumbered): */
  /** Another thread or process held the session's slot lock (refreshing, signing in or out) longer than
      the client waits. Transient: the session is untouched; try again. */
  NATIVEAUTH_E_SLOT_BUSY = -704,
  /** The session's DPoP key cannot be made or used (gone, or no key store works here): sign in again. */
  NATIVEAUTH_E_KEY_UNAVAILABLE = -705
} nativeauth_error_code;

/**
 * What went wrong, in detail. Every string is UTF-8 and never NULL ("" when absent); none ever holds a
 * token, code or request/response body, so all of it may be logged and shown.
 * Only ever grows at the end: read fields beyond `http_status` only after checking the library version.
 */
typedef struct nativeauth_error {
  int32_t code;                        /**< 0 or a negative nativeauth_error_code. */
  const char *name;                    /**< Stable name of the code, e.g. "access_denied". */
  const char *message;                 /**< A sentence a person can act on. */
  const char *oauth_error;             /**< The server's `error` (RFC 6749 §5.2), "" if none. */
  const char *oauth_error_description; /**< The server's `error_description`, "" if none. */
  const char *oauth_error_uri;         /**< The server's `error_uri`, "" if none. */
  int32_t http_status;                 /**< HTTP status of the failing response, 0 if none. */
  int32_t transient;                   /**< 1 when retrying later may succeed (network, 5xx, ...). */
} nativeauth_error;

/**
 * The outcome of the most recent nativeauth call on this thread: every call (except this one,
 * nativeauth_error_code_name and the _free functions) resets it on entry and fills it when it fails.
 * Ownership: the library's; valid until the next nativeauth call on this thread. Never NULL (code 0,
 * message "no error" after a success). Thread safety: per thread by design.
 */
NATIVEAUTH_C_API const nativeauth_error *nativeauth_error_last(void);

/** Resets this thread's last error to "no error". Thread safety: per thread. */
NATIVEAUTH_C_API void nativeauth_error_clear(void);

/**
 * The stable name of a code ("access_denied", "in_progress", ...); "unknown" for codes this library
 * does not know. Ownership: static; never free. Thread safety: any thread.
 */
NATIVEAUTH_C_API const char *nativeauth_error_code_name(int32_t code);

#ifdef __cplusplus
}
#endif

#endif /* NATIVEAUTH_C_ERRORS_H */
