// SPDX-License-Identifier: Apache-2.0
// Receives nativeauth's log lines (already redacted), e.g. for android.util.Log.
package io.nativeauth;

/**
 * Receives one log line at or above the client's level. Lines are already redacted: no token, code or
 * secret ever reaches it. Any thread; must not call the client. What it throws is ignored.
 */
@FunctionalInterface
public interface LogSink {
  /** One line, e.g. {@code "nativeauth: access token refreshed"}. */
  void log(LogLevel level, String message);
}
