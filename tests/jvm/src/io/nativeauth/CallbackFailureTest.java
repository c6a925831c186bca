// SPDX-License-Identifier: Apache-2.0
// Java callbacks that throw (open-URL, slot store, log sink) and callbacks that call back into the client:
// each becomes an error return with the thrown exception as its cause, never a crash, and -Xcheck:jni
// stays quiet (run-jvm-test.sh fails on any JNI warning).
package io.nativeauth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class CallbackFailureTest {
  private java.nio.file.Path dir;
  private TestProvider provider;
  private TestSlotStore store;

  @BeforeEach
  void start() throws Exception {
    dir = TestSupport.tempDir();
    provider = new TestProvider(dir);
    store = new TestSlotStore(dir.resolve("slots"));
  }

  @AfterEach
  void stop() throws Exception {
    provider.close();
    TestSupport.removeTree(dir);
  }

  private NativeAuthClient.Builder client(UrlOpener opener) {
    return NativeAuthClient.builder(provider.issuer, "nativeauth-test").urlOpener(opener).slotStore(store);
  }

  private static NativeAuthException signInFailure(NativeAuthClient client) {
    ExecutionException e = assertThrows(ExecutionException.class, () -> client.signIn().get(180, TimeUnit.SECONDS));
    return assertInstanceOf(NativeAuthException.class, e.getCause());
  }

  @Test
  void anOpenUrlCallbackThatThrowsFailsTheSignInWithWhatItThrew() throws Exception {
    IllegalStateException thrown = new IllegalStateException("no browser that supports Custom Tabs");
    try (NativeAuthClient client = client(url -> {
           throw thrown;
         }).build()) {
      NativeAuthException e = signInFailure(client);
      assertEquals(ErrorCode.BROWSER_UNAVAILABLE, e.code());
      assertSame(thrown, e.getCause(), "the callback's exception is not the error's cause");
      // The client is still usable after its callback threw on nativeauth's thread.
      assertNull(client.session());
    }
  }

  @Test
  void aStoreThatThrowsOnSaveFailsTheSignInAndKeepsNothing() throws Exception {
    TestBrowser browser = new TestBrowser(dir.resolve("browser"));
    store.failSave = () -> new java.io.IOException("disk full");
    try (NativeAuthClient client = client(browser).build()) {
      NativeAuthException e = signInFailure(client);
      assertEquals(0, browser.awaitExit());
      assertEquals(ErrorCode.STORAGE_UNAVAILABLE, e.code());
      assertInstanceOf(java.io.IOException.class, e.getCause());
      assertEquals("disk full", e.getCause().getMessage());
      store.failSave = null;
      assertNull(client.session(), "a session was kept although the store refused it");
    }
  }

  @Test
  void aLockedStoreIsATransientStorageLockedWithItsCause() {
    StoreLockedException locked = new StoreLockedException("the device has not been unlocked since boot");
    store.failLoad = () -> locked;
    try (NativeAuthClient client = client(url -> {}).build()) {
      NativeAuthException e = assertThrows(NativeAuthException.class, client::session);
      assertEquals(ErrorCode.STORAGE_LOCKED, e.code());
      assertTrue(e.isTransient());
      assertSame(locked, e.getCause());
      // Any other exception is STORAGE_UNAVAILABLE, not transient.
      RuntimeException broken = new IllegalArgumentException("corrupt keystore entry");
      store.failLoad = () -> broken;
      NativeAuthException other = assertThrows(NativeAuthException.class, client::accessToken);
      assertEquals(ErrorCode.STORAGE_UNAVAILABLE, other.code());
      assertFalse(other.isTransient());
      assertSame(broken, other.getCause());
      // And once the store works again, so does the client (nobody signed in).
      store.failLoad = null;
      assertNull(client.session());
    }
  }

  @Test
  void aLogSinkThatThrowsIsIgnored() throws Exception {
    TestSupport.LogCapture log = new TestSupport.LogCapture();
    log.toThrow = new IllegalStateException("the sink is broken");
    java.util.concurrent.CountDownLatch opened = new java.util.concurrent.CountDownLatch(1);
    try (NativeAuthClient client = client(url -> opened.countDown()).logSink(log, LogLevel.TRACE).build()) {
      // A sign-in logs (discovery, the authorization URL) on nativeauth's thread, through the throwing sink.
      java.util.concurrent.CompletableFuture<Session> future = client.signIn();
      assertTrue(opened.await(60, TimeUnit.SECONDS), "the sign-in did not get as far as the browser");
      assertTrue(client.cancel());
      ExecutionException e = assertThrows(ExecutionException.class, () -> future.get(60, TimeUnit.SECONDS));
      NativeAuthException failure = assertInstanceOf(NativeAuthException.class, e.getCause());
      assertEquals(ErrorCode.CANCELLED, failure.code(), "a throwing log sink changed the outcome");
      assertNull(failure.getCause(), "a log sink's exception became the cause of an unrelated error");
      assertFalse(log.lines.isEmpty(), "the sink was never called, so this proves nothing");
    }
  }

  @Test
  void callingTheClientFromItsStoreCallbackIsRefusedNotADeadlock() {
    AtomicReference<NativeAuthClient> self = new AtomicReference<>();
    AtomicReference<RuntimeException> refused = new AtomicReference<>();
    store.onLoad = () -> {
      try {
        self.get().close(); // the client holds its slot lock while it reads the store
      } catch (RuntimeException e) {
        refused.set(e);
        throw e;
      }
    };
    try (NativeAuthClient client = client(url -> {}).build()) {
      self.set(client);
      NativeAuthException e = assertThrows(NativeAuthException.class, client::session);
      assertEquals(ErrorCode.STORAGE_UNAVAILABLE, e.code());
      NativeAuthException inner = assertInstanceOf(NativeAuthException.class, e.getCause());
      assertSame(refused.get(), inner);
      assertEquals(ErrorCode.INVALID_ARGUMENT, inner.code());
      assertTrue(inner.getMessage().contains("callbacks"), inner.getMessage());
      assertFalse(client.isClosed(), "close() from inside its own callback went through");
      store.onLoad = () -> self.get().accessToken();
      NativeAuthException again = assertThrows(NativeAuthException.class, client::session);
      assertEquals(ErrorCode.INVALID_ARGUMENT, assertInstanceOf(NativeAuthException.class, again.getCause()).code());
      store.onLoad = null;
      assertNull(client.session());
    }
  }
}
