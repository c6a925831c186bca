// SPDX-License-Identifier: Apache-2.0
// An access token and its expiry, which never prints its value.
package io.nativeauth;

import java.time.Instant;

/**
 * A valid access token. {@link #toString()} never shows the value, so logging this object leaks nothing;
 * put {@link #value()} only into the {@code Authorization: Bearer} header. (The native copy was wiped when
 * this object was made; a Java string cannot be wiped, so keep it no longer than the request.)
 */
public final class AccessToken {
  private final String value;
  private final long expiresAt;

  AccessToken(String value, long expiresAt) {
    this.value = value;
    this.expiresAt = expiresAt;
  }

  /** The token, for the {@code Authorization: Bearer} header. */
  public String value() {
    return value;
  }

  /** When it expires, or null when the provider did not say. */
  public Instant expiresAt() {
    return expiresAt == 0 ? null : Instant.ofEpochSecond(expiresAt);
  }

  @Override
  public String toString() {
    return "AccessToken[redacted, expires " + (expiresAt == 0 ? "unknown" : expiresAt().toString()) + "]";
  }
}
