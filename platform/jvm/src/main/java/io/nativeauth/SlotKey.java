// SPDX-License-Identifier: Apache-2.0
// Names one stored session: issuer, client_id and profile (the C ABI's nativeauth_slot_key).
package io.nativeauth;

import java.util.Objects;

/** Identifies one stored session; apps of one product never share a slot. */
public final class SlotKey {
  private final String issuer;
  private final String clientId;
  private final String profile;

  /** A key; none of the three may be null. */
  public SlotKey(String issuer, String clientId, String profile) {
    this.issuer = Objects.requireNonNull(issuer, "issuer");
    this.clientId = Objects.requireNonNull(clientId, "clientId");
    this.profile = Objects.requireNonNull(profile, "profile");
  }

  /** The provider's issuer identifier. */
  public String issuer() {
    return issuer;
  }

  /** The app's client_id. */
  public String clientId() {
    return clientId;
  }

  /** The account profile within the app ("default" unless the app chose one). */
  public String profile() {
    return profile;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof SlotKey)) return false;
    SlotKey k = (SlotKey) o;
    return issuer.equals(k.issuer) && clientId.equals(k.clientId) && profile.equals(k.profile);
  }

  @Override
  public int hashCode() {
    return Objects.hash(issuer, clientId, profile);
  }

  @Override
  public String toString() {
    return issuer + " " + clientId + " " + profile;
  }
}
