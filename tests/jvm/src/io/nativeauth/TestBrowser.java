// SPDX-License-Identifier: Apache-2.0
// The app's open-URL callback in the tests: the headless test browser (tests/support/browser/browser.js).
package io.nativeauth;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A {@link UrlOpener} that starts {@code node browser.js URL} with the environment the C tests give it
 * (action, profile, result file, log file) and returns at once, as Custom Tabs would. It remembers the
 * thread it was called on, so the tests can see nativeauth's thread attached and later detached.
 */
final class TestBrowser implements UrlOpener {
  private final Path dir;
  private final BlockingQueue<Process> started = new LinkedBlockingQueue<>();
  volatile String action = "login";
  volatile Thread calledOn;
  volatile String lastUrl;

  TestBrowser(Path dir) throws Exception {
    this.dir = dir;
    Files.createDirectories(dir.resolve("profile"));
  }

  Path resultFile() {
    return dir.resolve("result.json");
  }

  @Override
  public void open(String url) throws Exception {
    calledOn = Thread.currentThread();
    lastUrl = url;
    Files.deleteIfExists(resultFile());
    String script = TestSupport.supportDir().resolve("browser/browser.js").toString();
    ProcessBuilder pb = new ProcessBuilder("node", script, url);
    Map<String, String> env = pb.environment();
    env.keySet().removeIf(k -> k.startsWith("NATIVEAUTH_TEST_BROWSER_"));
    env.remove("LD_PRELOAD"); // the sanitizer build preloads ASan into this JVM, not into Node and Chromium
    env.put("NATIVEAUTH_TEST_BROWSER_ACTION", action);
    env.put("NATIVEAUTH_TEST_BROWSER_PROFILE", dir.resolve("profile").toString());
    env.put("NATIVEAUTH_TEST_BROWSER_RESULT", resultFile().toString());
    env.put("NATIVEAUTH_TEST_BROWSER_LOG", dir.resolve("browser.log").toString());
    pb.redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD);
    started.add(pb.start());
  }

  /** Waits (bounded) for the next browser this opener started, then for it to exit; its exit code. */
  int awaitExit() throws Exception {
    Process p = started.poll(90, TimeUnit.SECONDS);
    if (p == null) throw new AssertionError("the open-URL callback started no browser within 90 s");
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("the browser did not finish within 120 s");
    }
    return p.exitValue();
  }

  /** The browser's result file (written after Chromium exited). */
  String result() throws Exception {
    return Files.readString(resultFile());
  }
}
