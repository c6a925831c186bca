// SPDX-License-Identifier: Apache-2.0
// A waiting sign-in cancelled from another Java thread, through its future, and by closing the client.
// No browser: the open-URL callback only records the URL, so the sign-in waits for a redirect that never
// comes, as it does while the user looks at the Custom Tab.
package io.nativeauth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class CancelTest {
  private java.nio.file.Path dir;
  private TestProvider provider;
  private CountDownLatch opened;

  @BeforeEach
  void start() throws Exception {
    dir = TestSupport.tempDir();
    provider = new TestProvider(dir);
    opened = new CountDownLatch(1);
  }

  @AfterEach
  void stop() throws Exception {
    provider.close();
    TestSupport.removeTree(dir);
  }

  private NativeAuthClient client() {
    return NativeAuthClient.builder(provider.issuer, "nativeauth-test")
        .urlOpener(url -> opened.countDown()) // the "browser" shows the page; nobody signs in
        .slotStore(new TestSlotStore(dir.resolve("slots")))
        .build();
  }

  private static NativeAuthException failureOf(CompletableFuture<Session> future) {
    ExecutionException e = assertThrows(ExecutionException.class, () -> future.get(60, TimeUnit.SECONDS));
    return assertInstanceOf(NativeAuthException.class, e.getCause());
  }

  @Test
  void cancelFromAnotherJavaThreadEndsAWaitingSignIn() throws Exception {
    try (NativeAuthClient client = client()) {
      CompletableFuture<Session> future = client.signIn();
      assertTrue(opened.await(60, TimeUnit.SECONDS), "the open-URL callback never ran");
      assertFalse(future.isDone(), "the sign-in did not wait for the redirect");

      AtomicBoolean cancelled = new AtomicBoolean();
      Thread other = new Thread(() -> cancelled.set(client.cancel()), "app-thread");
      other.start();
      other.join(30_000);
      assertTrue(cancelled.get(), "cancel() found no running sign-in");

      NativeAuthException e = failureOf(future);
      assertEquals(ErrorCode.CANCELLED, e.code());
      assertEquals("cancelled", e.name());
      assertFalse(client.cancel(), "cancel() after the sign-in ended claims to have cancelled something");
      assertNull(client.session());
    }
  }

  @Test
  void aSignInThatIsNotCancelledKeepsWaiting() throws Exception {
    // The twin of the test above: without cancel() the same sign-in is still waiting when its short
    // timeout ends it, with TIMEOUT rather than CANCELLED.
    try (NativeAuthClient client = client()) {
      CompletableFuture<Session> future = client.signIn(new SignInOptions().timeoutSeconds(2));
      assertTrue(opened.await(60, TimeUnit.SECONDS));
      assertEquals(ErrorCode.TIMEOUT, failureOf(future).code());
    }
  }

  @Test
  void cancellingTheFutureCancelsTheSignIn() throws Exception {
    try (NativeAuthClient client = client()) {
      CompletableFuture<Session> future = client.signIn();
      assertTrue(opened.await(60, TimeUnit.SECONDS));
      assertTrue(future.cancel(true));
      assertThrows(CancellationException.class, future::join);
      // The native sign-in ended too (cancel() finds nothing to cancel once its completion ran), so a new
      // one may start: one at a time per client.
      assertTrue(TestSupport.pollUntil(() -> !client.cancel(), java.time.Duration.ofSeconds(60)));
      CountDownLatch second = opened = new CountDownLatch(1);
      CompletableFuture<Session> next = client.signIn();
      assertTrue(second.await(60, TimeUnit.SECONDS), "a second sign-in could not start: the first still runs");
      assertTrue(client.cancel());
      assertEquals(ErrorCode.CANCELLED, failureOf(next).code());
    }
  }

  @Test
  void closingTheClientCancelsARunningSignIn() throws Exception {
    NativeAuthClient client = client();
    CompletableFuture<Session> future = client.signIn();
    assertTrue(opened.await(60, TimeUnit.SECONDS));
    client.close();
    assertTrue(client.isClosed());
    assertEquals(ErrorCode.CANCELLED, failureOf(future).code());
    NativeAuthException closed = assertThrows(NativeAuthException.class, client::session);
    assertEquals(ErrorCode.INVALID_ARGUMENT, closed.code());
  }
}
