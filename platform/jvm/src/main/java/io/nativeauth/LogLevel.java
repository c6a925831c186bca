// SPDX-License-Identifier: Apache-2.0
// Log levels, in the C ABI's order (nativeauth_log_level).
package io.nativeauth;

/** How much nativeauth tells the {@link LogSink}. */
public enum LogLevel {
  /** The rhythm of loops (polls, waits). */
  TRACE,
  /** Each request, its URL redacted. */
  DEBUG,
  /** Steps a user would recognise ("access token refreshed"). The default. */
  INFO,
  /** Something degraded that goes on. */
  WARNING,
  /** Unused by the SDK today: failures are returned, not logged. */
  ERROR,
  /** Nothing. */
  OFF
}
