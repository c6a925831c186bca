/* SPDX-License-Identifier: Apache-2.0 */
/* A pending sign-in: Authorization Code + PKCE in the host's browser, run on a library thread. */
#ifndef NATIVEAUTH_C_SIGN_IN_H
#define NATIVEAUTH_C_SIGN_IN_H

#include <nativeauth_c/client.h>

#ifdef __cplusplus
extern "C" {
#endif

/** An opaque sign-in in progress. Made by nativeauth_sign_in_start, freed by nativeauth_sign_in_free. */
typedef struct nativeauth_sign_in nativeauth_sign_in;

/**
 * Called once when the sign-in finished, on the sign-in's library thread, after its outcome is
 * recorded (nativeauth_sign_in_poll then answers it). `error` is 0 or a negative code; `detail` is
 * never NULL and valid only during the call. It may call any function of the library, including
 * nativeauth_sign_in_free() on this very sign-in, but not nativeauth_client_free() of its client.
 * `sign_in` is NULL when the host already freed the sign-in from an earlier callback (see
 * nativeauth_sign_in_free()); the callback still runs, so it can release `payload`.
 */
typedef void (*nativeauth_sign_in_complete_cb)(nativeauth_sign_in *sign_in, int error, const nativeauth_error *detail,
                                               void *payload);

/**
 * Called once the authorization URL is ready, on the sign-in's library thread, with whether a browser
 * was opened (host open_url returned 0). The URL is single-use, not secret; show it when no browser
 * was opened. May call nativeauth_sign_in_cancel() or nativeauth_sign_in_free() on its sign-in.
 */
typedef void (*nativeauth_authorization_url_cb)(const char *url, int32_t browser_opened, void *payload);

#define NATIVEAUTH_SIGN_IN_OPTIONS_VERSION 1

/**
 * How one sign-in looks. NULL / 0 fields take the defaults; strings are copied by _start.
 * Initialise with NATIVEAUTH_SIGN_IN_OPTIONS_INIT. Fields are only ever appended.
 */
typedef struct nativeauth_sign_in_options {
  uint32_t version;       /**< The struct version the caller was built with (the _VERSION macro); set by _INIT. */
  const char *scopes;     /**< Space-separated; NULL: the client's scopes. */
  const char *prompt;     /**< e.g. "login", "consent", "select_account". */
  const char *login_hint; /**< OpenID Connect login_hint: the account to suggest. */
  const char *ui_locales; /**< OpenID Connect ui_locales, e.g. "de-CH de". */
  const char *acr_values; /**< OpenID Connect acr_values. */
  int64_t max_age_s;      /**< Negative (INIT): not sent. Also makes auth_time mandatory. Above 2147483647
                               (68 years): 2147483647 is sent and checked. */
  /** Further request parameters as `extra_params_count` name/value pairs: extra_params[2*i] is a
      name, extra_params[2*i+1] its value. Parameters nativeauth owns are refused. */
  const char *const *extra_params;
  size_t extra_params_count; /**< Number of name/value pairs in extra_params. */
  uint32_t timeout_s;        /**< How long to wait for the browser to come back; 0: 300. */
  int32_t no_browser;        /**< Non-zero: do not call open_url; on_authorization_url shows the URL. */
  nativeauth_authorization_url_cb on_authorization_url; /**< May be NULL. */
  nativeauth_sign_in_complete_cb on_complete;           /**< May be NULL. */
  void *payload;                                        /**< Last argument of the two callbacks above. */
} nativeauth_sign_in_options;

/* clang-format off */
#define NATIVEAUTH_SIGN_IN_OPTIONS_INIT \
  { NATIVEAUTH_SIGN_IN_OPTIONS_VERSION, NULL, NULL, NULL, NULL, NULL, -1, NULL, 0, 0, 0, NULL, NULL, NULL }
/* clang-format on */

/** Fills `options` with the defaults of `version`. Errors: INVALID_ARGUMENT, UNSUPPORTED_VERSION. */
NATIVEAUTH_C_API int nativeauth_sign_in_options_init(nativeauth_sign_in_options *options, uint32_t version);

/**
 * Starts signing in on a library thread and returns at once: discovery, PKCE, state and nonce, the
 * browser (host open_url), the redirect (loopback listener, or nativeauth_sign_in_handle_redirect),
 * code exchange, ID token validation, storing the session. `options` may be NULL.
 * Ownership: `*out` belongs to the caller; free it with nativeauth_sign_in_free() (also after it
 * finished). The sign-in keeps the client's internals alive until then.
 * Thread safety: the handle may be used from any thread. One sign-in at a time per client: a second
 * one finishes with NATIVEAUTH_E_INVALID_ARGUMENT.
 * Errors (here): INVALID_ARGUMENT, UNSUPPORTED_VERSION, INTERNAL (no thread could be started). Errors
 * of the sign-in itself come from _wait / _poll and the completion callback.
 */
NATIVEAUTH_C_API int nativeauth_sign_in_start(nativeauth_sign_in **out, nativeauth_client *client,
                                              const nativeauth_sign_in_options *options);

/**
 * Waits up to `timeout_ms` (negative: without limit) for the sign-in to finish. Returns 0 when it
 * succeeded, its negative error when it failed (and this thread's last error holds the details), or
 * NATIVEAUTH_E_IN_PROGRESS when it is still running. Thread safety: any thread, any number of times.
 * Do not wait without limit on the thread that must deliver the redirect or run the browser.
 */
NATIVEAUTH_C_API int nativeauth_sign_in_wait(nativeauth_sign_in *sign_in, int32_t timeout_ms);

/** nativeauth_sign_in_wait(sign_in, 0): never blocks. */
NATIVEAUTH_C_API int nativeauth_sign_in_poll(nativeauth_sign_in *sign_in);

/**
 * Ends the sign-in with NATIVEAUTH_E_CANCELLED (e.g. the user closed the browser sheet); returns at
 * once. No effect when it already finished. Thread safety: any thread, also from inside callbacks.
 * Errors: INVALID_ARGUMENT (NULL).
 */
NATIVEAUTH_C_API int nativeauth_sign_in_cancel(nativeauth_sign_in *sign_in);

/**
 * Hands the redirect URL the host received (custom scheme, RFC 8252 §7.1, or claimed https, §7.2) to
 * the waiting sign-in, which then exchanges the code; the outcome comes from _wait / the callback.
 * Thread safety: any thread (typically the app's main thread, from the browser session's completion).
 * Errors: NO_PENDING_SIGN_IN (it is not waiting for a redirect: finished, cancelled, timed out, or the
 * URL already arrived); INVALID_REDIRECT (another scheme, host or path, or malformed); STATE_MISMATCH
 * (the state belongs to no pending sign-in). A refused URL leaves the sign-in waiting.
 */
NATIVEAUTH_C_API int nativeauth_sign_in_handle_redirect(nativeauth_sign_in *sign_in, const char *url);

/**
 * Frees a sign-in; NULL is ignored. Cancels it first if it is still running, then waits for its thread
 * to end (no thread outlives it), except when called from one of its own callbacks.
 * From its own callbacks (on_authorization_url, on_complete, and the host's open_url or store callbacks
 * while they run for this sign-in): allowed, returns at once. The handle is invalid from then on; a
 * sign-in that had not finished ends with NATIVEAUTH_E_CANCELLED, its thread ends on its own after
 * on_complete, and on_complete gets NULL as its `sign_in` instead of the freed handle.
 * Ownership: the handle is freed; never pass it again, not even to nativeauth_sign_in_free().
 * Thread safety: any thread, once; not while another thread still uses the handle.
 * Errors: none (it cannot fail).
 */
NATIVEAUTH_C_API void nativeauth_sign_in_free(nativeauth_sign_in *sign_in);

#ifdef __cplusplus
}
#endif

#endif /* NATIVEAUTH_C_SIGN_IN_H */
