// SPDX-License-Identifier: Apache-2.0
// Silent refresh through the Java binding: the provider's client nativeauth-short-lived issues access
// tokens that live 8 s, so the tests wait for a token to really expire (the provider's userinfo then refuses
// it) rather than faking a clock. Refresh grants are counted in the provider's --events-file.
package io.nativeauth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class RefreshTest {
  private static final String CLIENT_ID = "nativeauth-short-lived";
  private static Path dir;
  private static TestProvider provider;
  private static TestSlotStore store;
  private static NativeAuthClient client;
  private static final BlockingQueue<SessionEvent> events = new LinkedBlockingQueue<>();

  @BeforeAll
  static void signIn() throws Exception {
    dir = TestSupport.tempDir();
    provider = new TestProvider(dir);
    store = new TestSlotStore(dir.resolve("slots"));
    TestBrowser browser = new TestBrowser(dir.resolve("browser"));
    client = NativeAuthClient.builder(provider.issuer, CLIENT_ID).urlOpener(browser).slotStore(store).build();
    client.subscribe(events::add);
    client.signIn().get(180, TimeUnit.SECONDS);
    assertEquals(0, browser.awaitExit());
  }

  @AfterAll
  static void stop() throws Exception {
    if (client != null) client.close();
    provider.close();
    TestSupport.removeTree(dir);
  }

  /** The current token, after its expiry has passed on the wall clock: due for a refresh. */
  private static AccessToken expiredToken() throws Exception {
    AccessToken token = client.accessToken();
    assertNotNull(token.expiresAt());
    assertTrue(Duration.between(java.time.Instant.now(), token.expiresAt()).getSeconds() <= 9,
               "not a short-lived token: " + token);
    TestSupport.waitForClockPast(token.expiresAt().plusSeconds(1));
    return token;
  }

  @Test
  void anExpiredAccessTokenIsRefreshedSilentlyAndTheNewOneIsAccepted() throws Exception {
    AccessToken old = expiredToken();
    assertEquals(401, provider.userinfo(old.value()).statusCode(), "the old token has not really expired");
    int grants = provider.grants("refresh_token");
    events.clear();

    AccessToken fresh = client.accessToken();
    assertNotEquals(old.value(), fresh.value());
    assertTrue(fresh.expiresAt().isAfter(old.expiresAt()));
    assertEquals(200, provider.userinfo(fresh.value()).statusCode(), "the refreshed token is refused");
    assertEquals(grants + 1, provider.grants("refresh_token"));
    SessionEvent refreshed = events.poll(30, TimeUnit.SECONDS);
    assertNotNull(refreshed);
    assertEquals(SessionEvent.Kind.REFRESHED, refreshed.kind());
    // From memory now: no further grant.
    assertEquals(fresh.value(), client.accessToken().value());
    assertEquals(grants + 1, provider.grants("refresh_token"));
  }

  /**
   * Two Java threads ask at once for an expired token. The refresh's leader is held inside its read of the
   * store (the Java store, under the slot lock) until the other thread has gone to sleep in nativeauth,
   * waiting for that refresh; then both get the one new token, from one grant and one store read.
   */
  @Test
  void twoJavaThreadsAskingAtOnceCauseOneRefresh() throws Exception {
    expiredToken();
    int grants = provider.grants("refresh_token");
    List<AccessToken> tokens = racingCalls(List.of(client, client));
    assertEquals(tokens.get(0).value(), tokens.get(1).value(), "the two threads got different tokens");
    assertEquals(grants + 1, provider.grants("refresh_token"), "two Java threads caused two refresh grants");
    assertEquals(1, store.loads.get(), "the second thread ran a refresh of its own instead of waiting for the first");
  }

  /**
   * The twin of the test above, proving its store-read count can fail: two clients of one slot have one
   * flight each, so the second does read the store (under the slot lock, after the first stored), then adopts
   * the tokens the first stored: still one grant, but two reads.
   */
  @Test
  void twoClientsOfOneSlotEachReadTheStore() throws Exception {
    expiredToken();
    int grants = provider.grants("refresh_token");
    try (NativeAuthClient second = NativeAuthClient.builder(provider.issuer, CLIENT_ID).slotStore(store)
             .urlOpener(url -> {}).build()) {
      List<AccessToken> tokens = racingCalls(List.of(client, second));
      assertEquals(tokens.get(0).value(), tokens.get(1).value());
      assertEquals(grants + 1, provider.grants("refresh_token"), "the slot lock let two refreshes through");
      assertEquals(2, store.loads.get());
    }
  }

  /** Calls accessToken() on one thread per client at once, the store's first read held as described above. */
  private static List<AccessToken> racingCalls(List<NativeAuthClient> clients) throws Exception {
    store.loads.set(0);
    store.holdLoads();
    CyclicBarrier start = new CyclicBarrier(clients.size());
    List<CompletableFuture<AccessToken>> results = new ArrayList<>();
    List<String> tids = new java.util.concurrent.CopyOnWriteArrayList<>();
    java.util.concurrent.atomic.AtomicInteger entered = new java.util.concurrent.atomic.AtomicInteger();
    for (NativeAuthClient c : clients) {
      CompletableFuture<AccessToken> result = new CompletableFuture<>();
      Thread t = new Thread(() -> {
        try {
          tids.add(Files.readSymbolicLink(Path.of("/proc/thread-self")).getFileName().toString());
          start.await();
          entered.incrementAndGet(); // past the barrier: from here on a sleep is one inside accessToken()
          result.complete(c.accessToken());
        } catch (Throwable e) {
          result.completeExceptionally(e);
        }
      });
      t.start();
      results.add(result);
    }
    assertTrue(store.held.await(60, TimeUnit.SECONDS), "no refresh read the store");
    // Both callers asleep in the kernel past the barrier: the leader in the store's gate, the other waiting
    // for the leader's refresh (or, with two clients, for the slot lock). Nothing signals that, so it is
    // polled; a caller that never sleeps fails the test.
    assertTrue(TestSupport.pollUntil(() -> entered.get() == clients.size() && allAsleep(tids, clients.size()),
                                     Duration.ofSeconds(60)),
               "the other caller never waited for the refresh in progress");
    store.openGate();
    List<AccessToken> tokens = new ArrayList<>();
    for (CompletableFuture<AccessToken> r : results) tokens.add(r.get(60, TimeUnit.SECONDS));
    return tokens;
  }

  /** True when all {@code n} threads in {@code tids} are in state S (sleeping) in /proc. */
  private static boolean allAsleep(List<String> tids, int n) {
    int asleep = 0;
    for (String tid : tids) {
      try {
        String stat = Files.readString(Path.of("/proc/self/task/" + tid + "/stat"));
        if (stat.substring(stat.lastIndexOf(')') + 2).startsWith("S")) ++asleep;
      } catch (java.io.IOException e) {
        return false;
      }
    }
    return tids.size() == n && asleep == n;
  }
}
