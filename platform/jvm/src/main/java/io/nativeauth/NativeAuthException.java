// SPDX-License-Identifier: Apache-2.0
// The one exception the binding throws: a C ABI error with its code, message and the server's fields.
package io.nativeauth;

/**
 * A nativeauth call failed. Unchecked, so Kotlin and Java callers catch it where they can act on it
 * (typically {@link ErrorCode#SIGN_IN_REQUIRED}: show sign-in). Everything in it may be logged and shown:
 * no message ever holds a token, code or request/response body.
 *
 * <p>When a callback of the app (open-URL, slot store) threw and that is why the call failed, the thrown
 * exception is this exception's {@link #getCause() cause}.
 */
public class NativeAuthException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int rawCode;
  private final String name;
  private final String oauthError;
  private final String oauthErrorDescription;
  private final String oauthErrorUri;
  private final int httpStatus;
  private final boolean transientFailure;

  /** Made by the native layer (and the binding) with every field of the C ABI's nativeauth_error. */
  NativeAuthException(int rawCode, String name, String message, String oauthError, String oauthErrorDescription,
                      String oauthErrorUri, int httpStatus, boolean transientFailure, Throwable cause) {
    super(message, cause);
    this.rawCode = rawCode;
    this.name = name;
    this.oauthError = oauthError.isEmpty() ? null : oauthError;
    this.oauthErrorDescription = oauthErrorDescription.isEmpty() ? null : oauthErrorDescription;
    this.oauthErrorUri = oauthErrorUri.isEmpty() ? null : oauthErrorUri;
    this.httpStatus = httpStatus;
    this.transientFailure = transientFailure;
  }

  /** An error of the binding itself (a closed client, a call from the wrong thread). */
  NativeAuthException(ErrorCode code, String message) {
    this(code.value(), code.name().toLowerCase(java.util.Locale.ROOT), message, "", "", "", 0, false, null);
  }

  /** The code; {@link ErrorCode#UNKNOWN} for one a newer library added ({@link #rawCode()} has it). */
  public ErrorCode code() {
    return ErrorCode.of(rawCode);
  }

  /** The C ABI's number, negative (e.g. -800). */
  public int rawCode() {
    return rawCode;
  }

  /** The code's stable name, e.g. {@code "sign_in_required"}. */
  public String name() {
    return name;
  }

  /** The server's {@code error} (RFC 6749 §5.2, §4.1.2.1), or null when the server said none. */
  public String oauthError() {
    return oauthError;
  }

  /** The server's {@code error_description}, or null. */
  public String oauthErrorDescription() {
    return oauthErrorDescription;
  }

  /** The server's {@code error_uri}, or null. */
  public String oauthErrorUri() {
    return oauthErrorUri;
  }

  /** The HTTP status of the failing response, 0 when there was none. */
  public int httpStatus() {
    return httpStatus;
  }

  /** True when trying again later may succeed (network, 5xx, a locked store, a busy slot). */
  public boolean isTransient() {
    return transientFailure;
  }

  @Override
  public String toString() {
    String server = oauthError == null ? "" : " [" + oauthError
        + (oauthErrorDescription == null ? "" : ": " + oauthErrorDescription) + "]";
    return "NativeAuthException(" + name + " " + rawCode + "): " + getMessage() + server;
  }
}
