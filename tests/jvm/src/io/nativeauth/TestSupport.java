// SPDX-License-Identifier: Apache-2.0
// Shared helpers of the JVM tests: paths the runner passes, temporary directories, a log capture.
package io.nativeauth;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

final class TestSupport {
  private TestSupport() {}

  /** tests/support, from -Dnativeauth.test.support (tests/jvm/run-jvm-test.sh sets it). */
  static Path supportDir() {
    return Path.of(System.getProperty("nativeauth.test.support", "tests/support"));
  }

  /** The provider's start budget: $NATIVEAUTH_TEST_PROVIDER_START_S, else 120 s (as the C and C++ harnesses). */
  static long providerStartSeconds() {
    try {
      long s = Long.parseLong(System.getenv().getOrDefault("NATIVEAUTH_TEST_PROVIDER_START_S", "120"));
      return s > 0 && s <= 3600 ? s : 120;
    } catch (NumberFormatException e) {
      return 120;
    }
  }

  static Path tempDir() throws IOException {
    return Files.createTempDirectory("nativeauth-jvm-");
  }

  static void removeTree(Path dir) throws IOException {
    if (dir == null || !Files.exists(dir)) return;
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) Files.deleteIfExists(p);
    }
  }

  /** Polls a condition nothing signals (a collected object, a thread the kernel put to sleep) until a deadline. */
  static boolean pollUntil(BooleanSupplier condition, Duration limit) {
    Instant deadline = Instant.now().plus(limit);
    while (!condition.getAsBoolean()) {
      if (Instant.now().isAfter(deadline)) return false;
      java.util.concurrent.locks.LockSupport.parkNanos(2_000_000); // a poll interval, not a wait for an event
    }
    return true;
  }

  /**
   * Waits until the wall clock is past {@code instant}: for tests whose subject is time itself (an access
   * token that really expired at the provider), not for synchronising with another thread.
   */
  static void waitForClockPast(Instant instant) throws InterruptedException {
    for (long left; (left = Duration.between(Instant.now(), instant).toMillis()) >= 0;) Thread.sleep(left + 1);
  }

  /** A LogSink that keeps every line (and can be told to throw). */
  static final class LogCapture implements LogSink {
    final List<String> lines = new CopyOnWriteArrayList<>();
    volatile RuntimeException toThrow;

    @Override
    public void log(LogLevel level, String message) {
      lines.add(level + " " + message);
      if (toThrow != null) throw toThrow;
    }

    String text() {
      return String.join("\n", lines);
    }
  }
}
