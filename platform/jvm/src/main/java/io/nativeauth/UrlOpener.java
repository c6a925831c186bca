// SPDX-License-Identifier: Apache-2.0
// The host's browser: opens the authorization (and end-session) URL the way the platform prescribes.
package io.nativeauth;

/**
 * Opens a URL in the user's browser as RFC 8252 §6 requires: on Android a Custom Tab, never a WebView.
 * Called on nativeauth's sign-in thread (a daemon thread named "nativeauth") or, for sign-out, on the
 * caller's thread. Return at once: post the UI work to the main thread and do not wait for the user.
 * Throwing means no browser could be opened: the sign-in fails with {@link ErrorCode#BROWSER_UNAVAILABLE},
 * with what was thrown as the cause. Do not call the client from here, except {@link
 * NativeAuthClient#cancel()} and {@link NativeAuthClient#handleRedirect(String)}.
 */
@FunctionalInterface
public interface UrlOpener {
  /** Asks the browser to open {@code url}. */
  void open(String url) throws Exception;
}
