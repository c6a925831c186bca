// SPDX-License-Identifier: Apache-2.0
// The stored session, without its secrets (the C ABI's nativeauth_session_info).
package io.nativeauth;

import java.time.Instant;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/** Who is signed in: the validated ID token's claims and what was granted. Holds no token. */
public final class Session {
  private final String issuer;
  private final String clientId;
  private final String profile;
  private final String subject;
  private final String name;
  private final List<String> scopes;
  private final String claimsJson;
  private final long accessTokenExpiry;
  private final long issuedAt;
  private final boolean hasRefreshToken;

  Session(String issuer, String clientId, String profile, String subject, String name, String scopes,
          String claimsJson, long accessTokenExpiry, long issuedAt, boolean hasRefreshToken) {
    this.issuer = issuer;
    this.clientId = clientId;
    this.profile = profile;
    this.subject = subject;
    this.name = name.isEmpty() ? null : name;
    this.scopes = scopes.isEmpty() ? Collections.emptyList()
                                   : Collections.unmodifiableList(Arrays.asList(scopes.split(" ")));
    this.claimsJson = claimsJson;
    this.accessTokenExpiry = accessTokenExpiry;
    this.issuedAt = issuedAt;
    this.hasRefreshToken = hasRefreshToken;
  }

  /** The provider's issuer identifier. */
  public String issuer() {
    return issuer;
  }

  /** The app's client_id: with issuer and profile, the slot this session lives in. */
  public String clientId() {
    return clientId;
  }

  /** The slot's profile name. */
  public String profile() {
    return profile;
  }

  /** {@code sub} of the ID token. */
  public String subject() {
    return subject;
  }

  /** The {@code name} claim, or null when absent. */
  public String name() {
    return name;
  }

  /** The granted scopes. */
  public List<String> scopes() {
    return scopes;
  }

  /** Every claim of the validated ID token (and UserInfo where it added some), as a compact JSON object. */
  public String claimsJson() {
    return claimsJson;
  }

  /** When the current access token expires, or null when the provider did not say. */
  public Instant accessTokenExpiry() {
    return accessTokenExpiry == 0 ? null : Instant.ofEpochSecond(accessTokenExpiry);
  }

  /** When the session was issued (this device's clock). */
  public Instant issuedAt() {
    return Instant.ofEpochSecond(issuedAt);
  }

  /** True when a silent refresh is possible. */
  public boolean hasRefreshToken() {
    return hasRefreshToken;
  }

  @Override
  public String toString() {
    return "Session[" + subject + " at " + issuer + ", client " + clientId + ", profile " + profile + "]";
  }
}
