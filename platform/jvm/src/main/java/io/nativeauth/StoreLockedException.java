// SPDX-License-Identifier: Apache-2.0
// Thrown by a SlotStore that cannot be read now (the device is locked): a transient STORAGE_LOCKED.
package io.nativeauth;

/** A {@link SlotStore} is locked for now (e.g. before the first unlock): the call fails with the transient
 * {@link ErrorCode#STORAGE_LOCKED} instead of {@link ErrorCode#STORAGE_UNAVAILABLE}. */
public class StoreLockedException extends Exception {
  private static final long serialVersionUID = 1L;

  /** With a message saying what is locked. */
  public StoreLockedException(String message) {
    super(message);
  }

  /** With a message and the store's own failure. */
  public StoreLockedException(String message, Throwable cause) {
    super(message, cause);
  }
}
