// SPDX-License-Identifier: Apache-2.0
// A session event (the C ABI's nativeauth_event), delivered to subscribers on the client's executor.
package io.nativeauth;

/** Something happened to a session: see {@link NativeAuthClient#subscribe(java.util.function.Consumer)}. */
public final class SessionEvent {
  /** What happened. */
  public enum Kind {
    /** A sign-in stored a new session. */
    SIGNED_IN,
    /** A silent refresh stored new tokens. */
    REFRESHED,
    /** The app signed out. */
    SIGNED_OUT,
    /** The provider ended the session (a refresh was refused): sign-in is required. See {@link #reason()}. */
    ENDED
  }

  private final Kind kind;
  private final SlotKey slot;
  private final String subject;
  private final NativeAuthException reason;

  SessionEvent(Kind kind, SlotKey slot, String subject, NativeAuthException reason) {
    this.kind = kind;
    this.slot = slot;
    this.subject = subject;
    this.reason = reason;
  }

  /** What happened. */
  public Kind kind() {
    return kind;
  }

  /** The slot the event is about. */
  public SlotKey slot() {
    return slot;
  }

  /** The signed-in user's {@code sub}, or null when unknown. */
  public String subject() {
    return subject;
  }

  /** For {@link Kind#ENDED}: what the provider said; null for the other kinds. */
  public NativeAuthException reason() {
    return reason;
  }

  @Override
  public String toString() {
    return "SessionEvent[" + kind + " " + slot + (subject == null ? "" : " " + subject) + "]";
  }
}
