// SPDX-License-Identifier: Apache-2.0
// How one sign-in looks: scopes, prompt, login hint, timeout (a subset of nativeauth_sign_in_options).
package io.nativeauth;

/** Options of one sign-in; every field is optional. */
public final class SignInOptions {
  String scopes;
  String prompt;
  String loginHint;
  int timeoutSeconds;

  /** The defaults: the client's scopes, no prompt, no hint, 300 s. */
  public SignInOptions() {}

  /** Space-separated scopes instead of the client's. */
  public SignInOptions scopes(String scopes) {
    this.scopes = scopes;
    return this;
  }

  /** OpenID Connect {@code prompt}, e.g. "login", "consent", "select_account". */
  public SignInOptions prompt(String prompt) {
    this.prompt = prompt;
    return this;
  }

  /** OpenID Connect {@code login_hint}: the account to suggest. */
  public SignInOptions loginHint(String loginHint) {
    this.loginHint = loginHint;
    return this;
  }

  /** How long to wait for the browser to come back; 0: 300 s. */
  public SignInOptions timeoutSeconds(int timeoutSeconds) {
    this.timeoutSeconds = timeoutSeconds;
    return this;
  }
}
