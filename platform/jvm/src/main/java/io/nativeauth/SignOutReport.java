// SPDX-License-Identifier: Apache-2.0
// What sign-out did (the C ABI's nativeauth_sign_out_report).
package io.nativeauth;

import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/** What {@link NativeAuthClient#signOut(boolean)} did. Local state is erased even when a remote step failed. */
public final class SignOutReport {
  private final int slotsErased;
  private final int tokensRevoked;
  private final boolean providerSessionEnded;
  private final List<String> problems;

  SignOutReport(int slotsErased, int tokensRevoked, boolean providerSessionEnded, String problems) {
    this.slotsErased = slotsErased;
    this.tokensRevoked = tokensRevoked;
    this.providerSessionEnded = providerSessionEnded;
    this.problems = problems.isEmpty() ? Collections.emptyList()
                                       : Collections.unmodifiableList(Arrays.asList(problems.split("\n")));
  }

  /** Local sessions forgotten. */
  public int slotsErased() {
    return slotsErased;
  }

  /** Refresh tokens revoked at the provider (RFC 7009). */
  public int tokensRevoked() {
    return tokensRevoked;
  }

  /** True when the browser came back from the provider's end-session endpoint. */
  public boolean providerSessionEnded() {
    return providerSessionEnded;
  }

  /** The remote steps that failed, one message each; empty when none. */
  public List<String> problems() {
    return problems;
  }

  @Override
  public String toString() {
    return "SignOutReport[erased " + slotsErased + ", revoked " + tokensRevoked + ", provider session ended "
        + providerSessionEnded + ", problems " + problems + "]";
  }
}
