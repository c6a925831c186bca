// SPDX-License-Identifier: Apache-2.0
// Runs tasks one at a time, in order, on another executor: session events keep their order.
package io.nativeauth;

import java.util.ArrayDeque;
import java.util.Queue;
import java.util.concurrent.Executor;

/** The serial executor of {@link Executor}'s documentation: order kept, one task at a time. */
final class SerialExecutor implements Executor {
  private final Queue<Runnable> tasks = new ArrayDeque<>();
  private final Executor executor;
  private Runnable active; // guarded by this

  SerialExecutor(Executor executor) {
    this.executor = executor;
  }

  @Override
  public synchronized void execute(Runnable r) {
    tasks.add(() -> {
      try {
        r.run();
      } finally {
        scheduleNext();
      }
    });
    if (active == null) scheduleNext();
  }

  private synchronized void scheduleNext() {
    if ((active = tasks.poll()) != null) executor.execute(active);
  }
}
