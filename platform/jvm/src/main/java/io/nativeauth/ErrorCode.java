// SPDX-License-Identifier: Apache-2.0
// The error codes of the C ABI (nativeauth_c/errors.h), as an enum: the same numbers, never renumbered.
package io.nativeauth;

/**
 * What went wrong, as the C ABI numbers it ({@code nativeauth_c/errors.h}): {@code -code / 100} is the
 * area (1 the call, 2 transport, 3 discovery, 4 authorization, 5 token endpoint, 6 ID token, 7 storage,
 * 8 session). A code a newer library adds arrives as {@link #UNKNOWN}, with its number in
 * {@link NativeAuthException#rawCode()}.
 */
public enum ErrorCode {
  /** An argument is missing or malformed, or the client is closed; the message names it. */
  INVALID_ARGUMENT(-100),
  /** The options are inconsistent (e.g. a redirect scheme without a dot). */
  INVALID_CONFIGURATION(-101),
  /** {@link NativeAuthClient#cancel()} (or closing the client) ended the sign-in. */
  CANCELLED(-102),
  /** The browser did not come back within the sign-in timeout. */
  TIMEOUT(-103),
  /** A bug, or out of memory. */
  INTERNAL(-199),
  /** Could not connect, or the connection was lost. Transient. */
  NETWORK(-200),
  TLS(-201),
  HTTP_STATUS(-202),
  INSECURE_URL(-203),
  MALFORMED_RESPONSE(-204),
  DISCOVERY_FAILED(-300),
  ISSUER_MISMATCH(-301),
  MISSING_ENDPOINT(-302),
  /** The user declined, or the provider refused. */
  ACCESS_DENIED(-400),
  AUTHORIZATION_ERROR(-401),
  /** A handed-over redirect carries the state of no pending sign-in. */
  STATE_MISMATCH(-402),
  ISSUER_PARAM_MISMATCH(-403),
  /** The open-URL callback failed (threw). */
  BROWSER_UNAVAILABLE(-404),
  LISTENER_FAILED(-405),
  /** A handed-over URL is not for the configured redirect URI. */
  INVALID_REDIRECT(-406),
  /** A redirect was handed over but no sign-in waits for one. */
  NO_PENDING_SIGN_IN(-407),
  DEVICE_CODE_EXPIRED(-410),
  TOKEN_ERROR(-500),
  /** The token endpoint refused the grant (RFC 6749 §5.2). */
  INVALID_GRANT(-501),
  INVALID_TOKEN_RESPONSE(-502),
  ID_TOKEN_MALFORMED(-600),
  ID_TOKEN_SIGNATURE(-601),
  ID_TOKEN_ALGORITHM(-602),
  ID_TOKEN_UNKNOWN_KEY(-603),
  ID_TOKEN_ISSUER(-604),
  ID_TOKEN_AUDIENCE(-605),
  ID_TOKEN_EXPIRED(-606),
  ID_TOKEN_NOT_YET_VALID(-607),
  ID_TOKEN_NONCE(-608),
  ID_TOKEN_AUTH_TIME(-609),
  JWKS_UNAVAILABLE(-610),
  /** The slot store failed (threw). */
  STORAGE_UNAVAILABLE(-700),
  /** The slot store is locked ({@link StoreLockedException}). Transient. */
  STORAGE_LOCKED(-701),
  STORAGE_CORRUPT(-702),
  STORAGE_SLOT_MISMATCH(-703),
  /** Nobody is signed in, or the provider ended the session: sign in again. */
  SIGN_IN_REQUIRED(-800),
  IN_PROGRESS(-1000),
  UNSUPPORTED_VERSION(-1001),
  /** Another thread or process held the session's lock too long. Transient: try again. */
  SLOT_BUSY(-704),
  /** The session's DPoP key cannot be made or used (gone, or the key store failed): sign in again. */
  KEY_UNAVAILABLE(-705),
  /** A code this binding does not know yet (a newer library); see {@link NativeAuthException#rawCode()}. */
  UNKNOWN(0);

  private final int value;

  ErrorCode(int value) {
    this.value = value;
  }

  /** The C ABI's number (negative), e.g. -800 for {@link #SIGN_IN_REQUIRED}. */
  public int value() {
    return value;
  }

  /** The code of a C ABI number; {@link #UNKNOWN} for one this binding does not know. */
  public static ErrorCode of(int value) {
    for (ErrorCode code : values()) {
      if (code.value == value && code != UNKNOWN) return code;
    }
    return UNKNOWN;
  }
}
