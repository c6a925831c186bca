// SPDX-License-Identifier: Apache-2.0
// One running sign-in: its native handle, its future, and the hand-over from nativeauth's thread.
package io.nativeauth;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * Owns one {@code nativeauth_sign_in}. The native side holds this object (a global reference) until its
 * on_complete ran, which keeps the client, its bridge and so the app's callbacks alive while the browser is
 * open. The handle is freed exactly once: by the completion task, or by the client's close(), whichever comes
 * first; {@code lock} is never held while freeing (freeing joins the sign-in thread, which may be delivering
 * the outcome at that moment).
 */
final class PendingSignIn {
  private final NativeAuthClient client;
  private final Executor executor;
  private final Future future = new Future();
  private final Object lock = new Object();
  private long handle; // guarded by lock; 0 before attach and after release
  private boolean finished; // guarded by lock: release() ran
  private boolean cancelRequested; // guarded by lock: cancel() before the handle arrived

  /** The app's future: cancelling it cancels the sign-in. */
  final class Future extends CompletableFuture<Session> {
    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
      PendingSignIn.this.cancel();
      return super.cancel(mayInterruptIfRunning);
    }
  }

  PendingSignIn(NativeAuthClient client, Executor executor) {
    this.client = client;
    this.executor = executor;
  }

  CompletableFuture<Session> future() {
    return future;
  }

  /** Takes the handle signInStart returned. The sign-in may have finished already (its task freed nothing). */
  void attach(long h) {
    boolean freeNow;
    boolean cancelNow;
    synchronized (lock) {
      freeNow = finished;
      cancelNow = cancelRequested;
      if (!freeNow) handle = h;
    }
    if (freeNow) {
      Native.signInFree(h);
    } else if (cancelNow) {
      cancel();
    }
  }

  /** Ends the sign-in with CANCELLED; true when it was still running. */
  boolean cancel() {
    synchronized (lock) {
      if (finished) return false;
      if (handle == 0) {
        cancelRequested = true;
      } else {
        Native.signInCancel(handle); // returns at once
      }
      return true;
    }
  }

  void handleRedirect(String url) {
    synchronized (lock) {
      if (handle == 0) {
        throw new NativeAuthException(ErrorCode.NO_PENDING_SIGN_IN, "the sign-in has finished: no redirect is awaited");
      }
      Native.signInHandleRedirect(handle, url);
    }
  }

  /** Frees the native sign-in (cancelling and joining it if it still runs). Idempotent. */
  void release() {
    long h;
    synchronized (lock) {
      finished = true;
      h = handle;
      handle = 0;
    }
    if (h != 0) Native.signInFree(h);
  }

  /** Called by the native on_complete, on nativeauth's sign-in thread: nothing of the app runs here. */
  void onComplete(NativeAuthException failure) {
    Runnable task = () -> finish(failure);
    try {
      executor.execute(task);
    } catch (RuntimeException rejected) {
      Thread t = new Thread(task, "nativeauth-completion"); // an executor that was shut down
      t.setDaemon(true);
      t.start();
    }
  }

  private void finish(NativeAuthException failure) {
    release();
    client.finished(this);
    if (failure != null) {
      future.completeExceptionally(failure);
      return;
    }
    try {
      future.complete(client.sessionAfterSignIn());
    } catch (NativeAuthException e) {
      future.completeExceptionally(e);
    }
  }
}
