/* SPDX-License-Identifier: Apache-2.0 */
/* Host callbacks: the app supplies the browser (ASWebAuthenticationSession, Custom Tabs), the keychain
   (iOS Keychain, Android Keystore), a log sink and DPoP keys (Secure Enclave, Android Keystore). Every
   callback is optional; absent ones take the desktop defaults of the platform the library was built for. */
#ifndef NATIVEAUTH_C_HOST_H
#define NATIVEAUTH_C_HOST_H

#include <nativeauth_c/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Identifies one stored session: apps of one product never share a slot. UTF-8, never NULL. */
typedef struct nativeauth_slot_key {
  const char *issuer;    /**< The provider's issuer identifier. */
  const char *client_id; /**< The app's client_id. */
  const char *profile;   /**< The account profile within the app ("default" unless the app chose one). */
} nativeauth_slot_key;

/** Where load_slot puts the record it found (opaque; filled with nativeauth_slot_record_set()). */
typedef struct nativeauth_slot_record nativeauth_slot_record;

/** Where list_slots puts the slots it found (opaque; filled with nativeauth_slot_list_add()). */
typedef struct nativeauth_slot_list nativeauth_slot_list;

/**
 * Copies `size` bytes of a stored record into `record` (from inside a load_slot callback only).
 * The library copies the bytes at once; the host may wipe its own copy when this returns.
 * Errors: NATIVEAUTH_E_INVALID_ARGUMENT when an argument is NULL.
 */
NATIVEAUTH_C_API int nativeauth_slot_record_set(nativeauth_slot_record *record, const char *data, size_t size);

/**
 * Adds one slot to `list` (from inside a list_slots callback only); the strings are copied.
 * Errors: NATIVEAUTH_E_INVALID_ARGUMENT when an argument or a field of `key` is NULL.
 */
NATIVEAUTH_C_API int nativeauth_slot_list_add(nativeauth_slot_list *list, const nativeauth_slot_key *key);

/** Log levels, as the C++ nativeauth::LogLevel. */
typedef enum nativeauth_log_level {
  NATIVEAUTH_LOG_TRACE = 0,
  NATIVEAUTH_LOG_DEBUG = 1,
  NATIVEAUTH_LOG_INFO = 2,
  NATIVEAUTH_LOG_WARNING = 3,
  NATIVEAUTH_LOG_ERROR = 4,
  NATIVEAUTH_LOG_OFF = 5
} nativeauth_log_level;

#define NATIVEAUTH_HOST_VERSION 1

/**
 * The host's callbacks. Set `version` with NATIVEAUTH_HOST_INIT; fields are only ever appended, and a
 * struct whose version is newer than the library knows is refused (NATIVEAUTH_E_UNSUPPORTED_VERSION).
 * The library copies the struct in nativeauth_client_new(); `payload` must stay valid until the client
 * (and every sign-in started on it) is freed.
 *
 * Return values: 0 for success, or a negative nativeauth_error_code. For the store callbacks
 * NATIVEAUTH_E_STORAGE_LOCKED (the keychain is locked, e.g. before first unlock on iOS) is passed on as
 * it is; any other negative value becomes NATIVEAUTH_E_STORAGE_UNAVAILABLE, whose message names the
 * callback and the value it returned.
 *
 * Threads: callbacks run on whichever thread the library is working on — the store callbacks on the
 * thread of the call that needs the store (the pending sign-in's library thread when it saves the new
 * session; the caller's thread for access_token, session, sign_out), open_url on the pending sign-in's
 * library thread (sign-in) or on the caller's thread (sign_out), log on any thread. Never two store
 * callbacks at once for one slot of one client, but different clients or slots may overlap.
 * Re-entrancy: from inside a callback the host may call nativeauth_sign_in_cancel(),
 * nativeauth_sign_in_handle_redirect(), nativeauth_sign_in_free() of the sign-in the callback runs for
 * (its on_complete then gets NULL instead of the handle) and the helpers nativeauth_slot_record_set /
 * _list_add; it must not call other functions on the same client (the client holds its locks meanwhile).
 * Callbacks must not throw (C++, Objective-C or Swift errors) through the library.
 */
typedef struct nativeauth_host {
  uint32_t version; /**< The struct version the caller was built with (the _VERSION macro); set by _INIT. */
  /** Passed as the last argument of every callback below. */
  void *payload;

  /**
   * Opens `url` in the user's browser, the way the platform prescribes for OAuth (RFC 8252 §6): iOS
   * ASWebAuthenticationSession, Android Custom Tabs. Returns as soon as the browser was asked; never
   * waits for the user. A non-zero return means no browser could be opened: the sign-in then fails
   * with NATIVEAUTH_E_BROWSER_UNAVAILABLE unless the sign-in options have on_authorization_url.
   * NULL: the desktop default ($BROWSER, xdg-open, gio on Linux).
   */
  int (*open_url)(const char *url, void *payload);

  /**
   * Keychain: loads the record of `key` into `record` with nativeauth_slot_record_set(); returns 0
   * without setting it when the slot is empty. Records are opaque UTF-8 text that contains tokens:
   * store them as secrets (iOS Keychain kSecClassGenericPassword, Android Keystore-encrypted).
   * The four store callbacks are all set or all NULL (NULL: the client's `storage` option applies).
   */
  int (*load_slot)(nativeauth_slot_record *record, const nativeauth_slot_key *key, void *payload);
  /** Replaces the record of `key` atomically with `size` bytes at `data` (not NUL-terminated). */
  int (*save_slot)(const nativeauth_slot_key *key, const char *data, size_t size, void *payload);
  /** Empties the slot of `key`; erasing an empty slot succeeds. */
  int (*erase_slot)(const nativeauth_slot_key *key, void *payload);
  /** Adds every non-empty slot of `issuer` to `list` with nativeauth_slot_list_add(). */
  int (*list_slots)(nativeauth_slot_list *list, const char *issuer, void *payload);

  /**
   * Receives one log line (UTF-8, NUL-terminated, already redacted: no token, code or secret ever
   * reaches it) at or above the client's `log_level`. NULL: no logging. Any thread; must not call
   * into the library.
   */
  void (*log)(int32_t level, const char *message, void *payload);
} nativeauth_host;

/* clang-format off */
#define NATIVEAUTH_HOST_INIT { NATIVEAUTH_HOST_VERSION, NULL, NULL, NULL, NULL, NULL, NULL, NULL }
/* clang-format on */

/**
 * Fills `host` with the defaults of `version` (all callbacks NULL).
 * Errors: NATIVEAUTH_E_INVALID_ARGUMENT (NULL), NATIVEAUTH_E_UNSUPPORTED_VERSION.
 */
NATIVEAUTH_C_API int nativeauth_host_init(nativeauth_host *host, uint32_t version);

/**
 * What a DPoP key callback hands back (opaque; valid only during the callback): the key it made
 * (nativeauth_key_result_set_key), the signature it made (nativeauth_key_result_set_signature), or why it
 * failed (nativeauth_key_result_set_error).
 */
typedef struct nativeauth_key_result nativeauth_key_result;

/**
 * From inside create_key only: the key just made. `reference` (`reference_size` bytes, not NUL-terminated)
 * is whatever finds the key again in the host's store (a Keychain application tag, a Secure Enclave key's
 * data representation, an Android Keystore alias); it is kept in the session's record and handed to sign_key
 * and delete_key. `public_jwk` is the public key as a JWK (RFC 7517) JSON object, UTF-8:
 * {"kty":"EC","crv":"P-256","x":"<base64url of X>","y":"<base64url of Y>"}.
 * Ownership: both are copied at once. Thread safety: the callback's own thread.
 * Errors: INVALID_ARGUMENT (NULL, or an empty reference or JWK).
 */
NATIVEAUTH_C_API int nativeauth_key_result_set_key(nativeauth_key_result *result, const uint8_t *reference,
                                                   size_t reference_size, const char *public_jwk);

/**
 * From inside sign_key only: the signature, for ES256 exactly 64 bytes, R then S, 32 bytes each, big-endian
 * (RFC 7518 §3.4): not the DER that iOS and Android produce (docs/mobile.md shows the conversion).
 * Ownership: copied at once. Thread safety: the callback's own thread.
 * Errors: INVALID_ARGUMENT (NULL `result` or `signature`).
 */
NATIVEAUTH_C_API int nativeauth_key_result_set_signature(nativeauth_key_result *result, const uint8_t *signature,
                                                         size_t size);

/**
 * From inside any key callback that fails: a message a person can act on (UTF-8; never key material), which
 * the library puts into NATIVEAUTH_E_KEY_UNAVAILABLE's message. Ownership: copied at once.
 * Thread safety: the callback's own thread. Errors: INVALID_ARGUMENT (NULL).
 */
NATIVEAUTH_C_API int nativeauth_key_result_set_error(nativeauth_key_result *result, const char *message);

#define NATIVEAUTH_HOST_KEYS_VERSION 1

/**
 * DPoP keys (RFC 9449) kept by the host app where no process can export them (iOS Secure Enclave, Android
 * Keystore): the library never sees the private key. Set through nativeauth_client_options.host_keys (version
 * 3); used when the options' `dpop` binds sessions. One key per session: made at sign-in, deleted at sign-out
 * and when the next sign-in replaces it. Initialise with NATIVEAUTH_HOST_KEYS_INIT; fields are only ever
 * appended; all three callbacks are required. The library copies the struct in nativeauth_client_new();
 * `payload` must stay valid until the client is freed.
 *
 * Return values: 0 for success; anything else fails the call with NATIVEAUTH_E_KEY_UNAVAILABLE, whose message
 * names the callback, the value and the message the callback gave with nativeauth_key_result_set_error().
 *
 * Threads: any thread the library works on (the sign-in thread for create_key; the caller's thread for
 * nativeauth_client_authorize and refreshes); sign_key may run on several threads at once. Callbacks must
 * not call into the client, and must not throw through the library.
 */
typedef struct nativeauth_host_keys {
  uint32_t version; /**< The struct version the caller was built with (the _VERSION macro); set by _INIT. */
  void *payload;    /**< Passed as the last argument of every callback below. */
  /**
   * Makes a new key pair for `slot` that signs with `algorithm` ("ES256": ECDSA on P-256 with SHA-256), and
   * hands it over with nativeauth_key_result_set_key().
   */
  int (*create_key)(nativeauth_key_result *result, const nativeauth_slot_key *slot, const char *algorithm,
                    void *payload);
  /**
   * Signs `input` (`input_size` bytes: hash it, SHA-256 for ES256, as iOS's
   * ecdsaSignatureMessageX962SHA256 and Android's "SHA256withECDSA" do) with the key `reference` names, and
   * hands the signature over with nativeauth_key_result_set_signature().
   */
  int (*sign_key)(nativeauth_key_result *result, const nativeauth_slot_key *slot, const uint8_t *reference,
                  size_t reference_size, const uint8_t *input, size_t input_size, void *payload);
  /** Deletes the key `reference` names for good; a key already gone is not an error (return 0). */
  int (*delete_key)(nativeauth_key_result *result, const nativeauth_slot_key *slot, const uint8_t *reference,
                    size_t reference_size, void *payload);
} nativeauth_host_keys;

/* clang-format off */
#define NATIVEAUTH_HOST_KEYS_INIT { NATIVEAUTH_HOST_KEYS_VERSION, NULL, NULL, NULL, NULL }
/* clang-format on */

/**
 * Fills `keys` with the defaults of `version` (all callbacks NULL), for languages that cannot use the _INIT
 * macro (Swift). Thread safety: any thread.
 * Errors: NATIVEAUTH_E_INVALID_ARGUMENT (NULL), NATIVEAUTH_E_UNSUPPORTED_VERSION.
 */
NATIVEAUTH_C_API int nativeauth_host_keys_init(nativeauth_host_keys *keys, uint32_t version);

#ifdef __cplusplus
}
#endif

#endif /* NATIVEAUTH_C_HOST_H */
