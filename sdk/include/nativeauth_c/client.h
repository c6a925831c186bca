/* SPDX-License-Identifier: Apache-2.0 */
/* nativeauth_client: one app's connection to one provider — tokens, session info, sign-out, events. */
#ifndef NATIVEAUTH_C_CLIENT_H
#define NATIVEAUTH_C_CLIENT_H

#include <nativeauth_c/common.h>
#include <nativeauth_c/errors.h>
#include <nativeauth_c/host.h>

#ifdef __cplusplus
extern "C" {
#endif

/** An opaque client (a nativeauth::Client). Made by nativeauth_client_new, freed by nativeauth_client_free. */
typedef struct nativeauth_client nativeauth_client;

/** Where sessions persist when no host store callbacks are given. */
typedef enum nativeauth_storage {
  NATIVEAUTH_STORAGE_KEYCHAIN = 0, /**< The platform keychain (default); never falls back silently. */
  NATIVEAUTH_STORAGE_FILE = 1,     /**< Explicit opt-in: 0600 files, protected by permissions only. */
  NATIVEAUTH_STORAGE_MEMORY = 2    /**< Nothing persists beyond the process. */
} nativeauth_storage;

/**
 * When a sign-in first pushes its authorization request to the provider (Pushed Authorization Requests,
 * RFC 9126): the browser then gets only client_id and a request_uri, none of the request's parameters.
 */
typedef enum nativeauth_pushed_authorization {
  /** Only when the provider's metadata sets require_pushed_authorization_requests (the default). */
  NATIVEAUTH_PUSHED_AUTHORIZATION_WHEN_REQUIRED = 0,
  /** Always; a provider without a pushed_authorization_request_endpoint fails the sign-in (MISSING_ENDPOINT). */
  NATIVEAUTH_PUSHED_AUTHORIZATION_ALWAYS = 1
} nativeauth_pushed_authorization;

/**
 * Whether sessions are sender-constrained with DPoP (RFC 9449): the provider binds the refresh token and the
 * access tokens to a key pair of the session, so a copied token is useless without the key.
 */
typedef enum nativeauth_dpop {
  NATIVEAUTH_DPOP_OFF = 0, /**< Bearer tokens (the default). */
  /** Bind when the provider's metadata lists ES256 in dpop_signing_alg_values_supported; else Bearer. */
  NATIVEAUTH_DPOP_WHEN_OFFERED = 1,
  /** Always bind; a provider that does not offer it, or answers with a Bearer token, fails the sign-in. */
  NATIVEAUTH_DPOP_REQUIRED = 2
} nativeauth_dpop;

/**
 * Version 2 appended `pushed_authorization`, version 3 `dpop` and `host_keys`; an older struct ends before
 * them and is read as such.
 */
#define NATIVEAUTH_CLIENT_OPTIONS_VERSION 3

/**
 * Who the client is and where it signs in. Strings are UTF-8 and copied by nativeauth_client_new();
 * NULL (or 0 for numbers) means the default. Initialise with NATIVEAUTH_CLIENT_OPTIONS_INIT or
 * nativeauth_client_options_init(). Fields are only ever appended.
 */
typedef struct nativeauth_client_options {
  uint32_t version;      /**< The struct version the caller was built with (the _VERSION macro); set by _INIT. */
  const char *issuer;    /**< Required. https, or http on a loopback host (development). */
  const char *client_id; /**< Required. */
  /** NULL: a loopback redirect (http://127.0.0.1:PORT/callback, nativeauth listens). Otherwise the
      registered redirect URI: loopback, a private-use scheme such as "com.example.app:/callback", or a
      claimed https URL — the last two are handed back with nativeauth_sign_in_handle_redirect(). */
  const char *redirect_uri;
  const char *scopes;               /**< Space-separated; NULL: "openid profile offline_access". */
  const char *profile;              /**< Names the slot with issuer and client_id; NULL: "default". */
  int32_t storage;                  /**< nativeauth_storage; ignored when the host supplies store callbacks. */
  const char *file_store_directory; /**< For NATIVEAUTH_STORAGE_FILE; NULL: $XDG_STATE_HOME/nativeauth. */
  const char *app_name;             /**< Shown in keychain item labels; NULL: the client_id. */
  const char *ca_bundle;            /**< PEM CA bundle instead of the system's; NULL: system. TLS is always verified. */
  int32_t refresh_margin_s;         /**< Refresh when less than this is left; 0: 60. */
  int32_t clock_leeway_s;           /**< ID token time checks leeway; 0: 120. */
  int32_t request_timeout_ms;       /**< Whole HTTP request; 0: 30000. */
  int32_t log_level;                /**< nativeauth_log_level for host->log; 0 is trace: set it. INIT: info. */
  const nativeauth_host *host;      /**< Host callbacks (copied); NULL: the desktop defaults. */
  /* version 2 */
  int32_t pushed_authorization; /**< nativeauth_pushed_authorization; 0: when the provider requires it. */
  /* version 3 */
  int32_t dpop; /**< nativeauth_dpop; 0: off. */
  /** Where DPoP keys are made (copied): the host's (Secure Enclave, Android Keystore). NULL: the platform's
      (Linux: a TPM 2.0, else a software key kept in the session's record). */
  const nativeauth_host_keys *host_keys;
} nativeauth_client_options;

/* clang-format off */
#define NATIVEAUTH_CLIENT_OPTIONS_INIT \
  { NATIVEAUTH_CLIENT_OPTIONS_VERSION, NULL, NULL, NULL, NULL, NULL, NATIVEAUTH_STORAGE_KEYCHAIN, NULL, NULL, \
    NULL, 0, 0, 0, NATIVEAUTH_LOG_INFO, NULL, NATIVEAUTH_PUSHED_AUTHORIZATION_WHEN_REQUIRED, NATIVEAUTH_DPOP_OFF, \
    NULL }
/* clang-format on */

/**
 * Fills `options` with the defaults of `version`, writing only the fields that version has (an app built
 * against version 1 passes a smaller struct). Errors: INVALID_ARGUMENT, UNSUPPORTED_VERSION.
 */
NATIVEAUTH_C_API int nativeauth_client_options_init(nativeauth_client_options *options, uint32_t version);

/**
 * Creates a client: validates the options, no network.
 * Ownership: `*out` belongs to the caller; free it with nativeauth_client_free(). `*out` is NULL on failure.
 * Thread safety: a client may be used from several threads at once; one sign-in at a time.
 * Errors: INVALID_ARGUMENT (NULL `out`/`options`, missing issuer or client_id, bad scope ...),
 * INVALID_CONFIGURATION (e.g. an unsafe redirect URI), UNSUPPORTED_VERSION (options or host struct).
 */
NATIVEAUTH_C_API int nativeauth_client_new(nativeauth_client **out, const nativeauth_client_options *options);

/**
 * Frees a client; NULL is ignored. A sign-in still pending on it keeps what it needs alive until that
 * sign-in is freed, so the two may be freed in either order. Do not call it from a callback of this
 * client. Thread safety: no other thread may use the client meanwhile.
 */
NATIVEAUTH_C_API void nativeauth_client_free(nativeauth_client *client);

/**
 * Hands a redirect URL this process received (the OS started it with a custom-scheme redirect, RFC 8252
 * §7.1) to the process whose sign-in waits for it: the one with the same issuer, client_id and profile
 * as `options`, through a private per-user channel (Linux: a Unix socket; Windows: a named pipe). The C
 * twin of nativeauth::forward_redirect(). The URL is checked against `options->redirect_uri` first when
 * set. No client is created and nothing is stored.
 * Thread safety: any thread. Ownership: nothing is kept after the call.
 * Errors: INVALID_ARGUMENT (NULL arguments), UNSUPPORTED_VERSION, NO_PENDING_SIGN_IN (no sign-in waits),
 * and the waiting sign-in's verdict: INVALID_REDIRECT, STATE_MISMATCH.
 */
NATIVEAUTH_C_API int nativeauth_forward_redirect(const nativeauth_client_options *options, const char *url);

#define NATIVEAUTH_ACCESS_TOKEN_OPTIONS_VERSION 1

/** Per-call options of nativeauth_client_access_token(). Initialise with NATIVEAUTH_ACCESS_TOKEN_OPTIONS_INIT. */
typedef struct nativeauth_access_token_options {
  uint32_t version;      /**< The struct version the caller was built with (the _VERSION macro); set by _INIT. */
  int32_t min_ttl_s;     /**< Refresh unless valid for this long; negative: the client's refresh margin. */
  int32_t force_refresh; /**< Non-zero: refresh even if the token in hand is valid (the API rejected it). */
} nativeauth_access_token_options;

/* clang-format off */
#define NATIVEAUTH_ACCESS_TOKEN_OPTIONS_INIT { NATIVEAUTH_ACCESS_TOKEN_OPTIONS_VERSION, -1, 0 }
/* clang-format on */

/**
 * A valid access token: from memory while it has more than the margin left, else refreshed silently
 * (one refresh at a time across threads and processes; rotated tokens are stored first).
 * `out_expires_at` (may be NULL) receives the expiry in seconds since 1970, 0 when unknown.
 * `options` may be NULL (defaults).
 * Ownership: `*out_token` is a secret: release it with nativeauth_secret_free(), which wipes it.
 * Thread safety: any thread. Errors: SIGN_IN_REQUIRED (no session, or the provider ended it: the slot
 * is cleared and an NATIVEAUTH_EVENT_ENDED event fires); NETWORK and other transient errors keep the
 * session, as does SLOT_BUSY (another thread or process held the session's lock past the wait: retry);
 * STORAGE_* from the store.
 */
NATIVEAUTH_C_API int nativeauth_client_access_token(char **out_token, int64_t *out_expires_at,
                                                    nativeauth_client *client,
                                                    const nativeauth_access_token_options *options);

/**
 * The headers a `method` request to `url` must carry: the C twin of nativeauth::Client::authorize(). Gets a
 * valid access token as nativeauth_client_access_token() does (refreshing silently), then for a DPoP-bound
 * session signs a proof for exactly this method and URL (RFC 9449 §7; its query and fragment are not part of
 * it) with the session's key and the last DPoP-Nonce that URL's server gave.
 * `*out_authorization` receives the Authorization header's value ("DPoP <token>", or "Bearer <token>" for a
 * session that is not bound); `*out_dpop` the DPoP header's value, or NULL for a Bearer session (send no
 * DPoP header then). A proof is single-use: call this for every request. `out_expires_at` (may be NULL)
 * receives the token's expiry in seconds since 1970, 0 when unknown. `options` may be NULL (defaults).
 * Ownership: both strings are secrets: release each with nativeauth_secret_free(), which wipes it. Both are
 * NULL on failure.
 * Thread safety: any thread. Errors: those of nativeauth_client_access_token(); INVALID_ARGUMENT (NULL
 * arguments, a method that is not an HTTP token, a URL that is not absolute http(s)); KEY_UNAVAILABLE when
 * the session's key is gone or the host's sign_key callback failed (the message says which): sign in again.
 */
NATIVEAUTH_C_API int nativeauth_client_authorize(char **out_authorization, char **out_dpop, int64_t *out_expires_at,
                                                 nativeauth_client *client, const char *method, const char *url,
                                                 const nativeauth_access_token_options *options);

/**
 * The stored session, without its secrets. Every string is UTF-8 and never NULL ("" when absent).
 * Library-allocated and freed with nativeauth_session_info_free(); fields are only ever appended.
 */
typedef struct nativeauth_session_info {
  char *issuer;                /**< The provider's issuer identifier. */
  char *client_id;             /**< The app's client_id: with issuer and profile, the slot. */
  char *profile;               /**< The slot's profile name. */
  char *subject;               /**< `sub` of the ID token. */
  char *name;                  /**< The `name` claim, "" when absent. */
  char *scopes;                /**< Granted scopes, space-separated. */
  char *claims_json;           /**< Every claim of the validated ID token, as a compact JSON object. */
  int64_t access_token_expiry; /**< Seconds since 1970; 0 when the provider did not say. */
  int64_t issued_at;           /**< Seconds since 1970 (this device's clock). */
  int32_t has_refresh_token;   /**< 1 when a silent refresh is possible. */
} nativeauth_session_info;

/**
 * The session stored in the client's slot; `*out` is NULL (and 0 returned) when nobody is signed in.
 * No network. Ownership: free `*out` with nativeauth_session_info_free(). Thread safety: any thread.
 * Errors: STORAGE_CORRUPT / STORAGE_SLOT_MISMATCH (the record is left untouched), STORAGE_UNAVAILABLE,
 * STORAGE_LOCKED.
 */
NATIVEAUTH_C_API int nativeauth_client_session(nativeauth_session_info **out, nativeauth_client *client);

/** Frees session info; NULL is ignored. */
NATIVEAUTH_C_API void nativeauth_session_info_free(nativeauth_session_info *info);

#define NATIVEAUTH_SIGN_OUT_OPTIONS_VERSION 1

/**
 * Options of nativeauth_client_sign_out(). Initialise with NATIVEAUTH_SIGN_OUT_OPTIONS_INIT; fields are only ever
 * appended.
 */
typedef struct nativeauth_sign_out_options {
  uint32_t version; /**< The struct version the caller was built with (the _VERSION macro); set by _INIT. */
  /** Non-zero: only forget the session on this device ("sign out locally"): no revocation, no browser. */
  int32_t local_only;
  /** Non-zero: every app of this issuer on this device, not just this client's slot. */
  int32_t all_apps;
  /** Non-zero (INIT): end the provider's session in the browser (RP-initiated logout) when it can. */
  int32_t end_provider_session;
  uint32_t timeout_s; /**< For the browser leg; 0: 120. */
} nativeauth_sign_out_options;

/* clang-format off */
#define NATIVEAUTH_SIGN_OUT_OPTIONS_INIT { NATIVEAUTH_SIGN_OUT_OPTIONS_VERSION, 0, 0, 1, 0 }
/* clang-format on */

/** What sign-out did. Library-allocated; freed with nativeauth_sign_out_report_free(); only grows. */
typedef struct nativeauth_sign_out_report {
  int32_t slots_erased;           /**< Local sessions forgotten. */
  int32_t tokens_revoked;         /**< Refresh tokens revoked at the provider (RFC 7009). */
  int32_t provider_session_ended; /**< 1 when the browser came back from the end-session endpoint. */
  int32_t problem_count;          /**< Remote steps that failed; local state was erased anyway. */
  char *problems;                 /**< Their messages, one per line; "" when none. */
} nativeauth_sign_out_report;

/**
 * Signs out: revokes the refresh token, ends the provider session in the browser (host open_url) and
 * erases the slot, per `options` (NULL: everything, "sign out everywhere"). Local state is erased even
 * when a remote step fails (listed in the report). `out_report` may be NULL.
 * Ownership: free `*out_report` with nativeauth_sign_out_report_free(). Thread safety: any thread.
 * Errors: STORAGE_* when the local erase failed; INVALID_ARGUMENT.
 */
NATIVEAUTH_C_API int nativeauth_client_sign_out(nativeauth_sign_out_report **out_report, nativeauth_client *client,
                                                const nativeauth_sign_out_options *options);

/** Frees a sign-out report; NULL is ignored. */
NATIVEAUTH_C_API void nativeauth_sign_out_report_free(nativeauth_sign_out_report *report);

/** Session event kinds, as nativeauth::SessionEventKind. */
typedef enum nativeauth_event_kind {
  NATIVEAUTH_EVENT_SIGNED_IN = 0,
  NATIVEAUTH_EVENT_REFRESHED = 1,
  NATIVEAUTH_EVENT_SIGNED_OUT = 2,
  NATIVEAUTH_EVENT_ENDED = 3 /**< The provider ended the session: sign-in is required. */
} nativeauth_event_kind;

/** One session event. Valid only during the callback; strings UTF-8, never NULL. Only grows. */
typedef struct nativeauth_event {
  int32_t kind;                   /**< nativeauth_event_kind */
  const char *issuer;             /**< The slot the event is about: issuer, */
  const char *client_id;          /**< client_id */
  const char *profile;            /**< and profile. */
  const char *subject;            /**< "" when unknown. */
  const nativeauth_error *reason; /**< For NATIVEAUTH_EVENT_ENDED: what the provider said; else NULL. */
} nativeauth_event;

/**
 * Event callback. Runs on the thread whose call caused the event (the pending sign-in's library thread
 * for SIGNED_IN), after the library released its locks: it may call back into the client, except
 * starting and waiting for a sign-in.
 */
typedef void (*nativeauth_event_cb)(const nativeauth_event *event, void *payload);

/**
 * Subscribes `callback` to the client's session events; `*out_id` identifies it for unsubscribe.
 * `payload` must stay valid until unsubscribed or the client is freed. Thread safety: any thread.
 * Errors: INVALID_ARGUMENT.
 */
NATIVEAUTH_C_API int nativeauth_client_subscribe(uint64_t *out_id, nativeauth_client *client,
                                                 nativeauth_event_cb callback, void *payload);

/** Removes a subscription; unknown ids are ignored. Errors: INVALID_ARGUMENT (NULL client). */
NATIVEAUTH_C_API int nativeauth_client_unsubscribe(nativeauth_client *client, uint64_t id);

#ifdef __cplusplus
}
#endif

#endif /* NATIVEAUTH_C_CLIENT_H */
