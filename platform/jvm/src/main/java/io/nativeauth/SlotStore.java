// SPDX-License-Identifier: Apache-2.0
// The host's session store: where the opaque session records live (Android: Keystore-encrypted files).
package io.nativeauth;

import java.util.List;

/**
 * Keeps one opaque record per {@link SlotKey}. Records contain the tokens: store them as secrets (on
 * Android, encrypted with a Keystore key, in no-backup storage; see docs/mobile.md). The arrays given to
 * {@link #save} belong to the store from then on.
 *
 * <p>Called on the thread of the call that needs the store: the sign-in thread when it saves a new session,
 * the caller's thread for {@code accessToken()}, {@code session()} and {@code signOut()}. Never twice at once
 * for one slot of one client. Do not call the client from here (it holds its locks).
 *
 * <p>Failures: throw {@link StoreLockedException} when the store cannot be read now but may be later (the
 * device is locked): the call fails with the transient {@link ErrorCode#STORAGE_LOCKED}. Anything else thrown
 * fails it with {@link ErrorCode#STORAGE_UNAVAILABLE}, and is that error's cause.
 */
public interface SlotStore {
  /** The record of {@code key}, or null when the slot is empty. */
  byte[] load(SlotKey key) throws Exception;

  /** Replaces the record of {@code key}, atomically. */
  void save(SlotKey key, byte[] record) throws Exception;

  /** Empties the slot of {@code key}; erasing an empty slot succeeds. */
  void erase(SlotKey key) throws Exception;

  /** Every non-empty slot of {@code issuer}. */
  List<SlotKey> list(String issuer) throws Exception;
}
