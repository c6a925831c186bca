// SPDX-License-Identifier: Apache-2.0
// The binding's own rules, without a provider (creating a client touches no network): a handle freed
// exactly once (close() or the Cleaner), a closed client refusing calls, the library loaded once, no JNI
// global reference left behind, the error codes equal to the C header's, strings beyond ASCII both ways.
package io.nativeauth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CyclicBarrier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class LifetimeTest {
  private static final String ISSUER = "http://127.0.0.1:9"; // never contacted: no call here needs the network

  private static NativeAuthClient client(SlotStore store) {
    return NativeAuthClient.builder(ISSUER, "nativeauth-test").slotStore(store).urlOpener(url -> {}).build();
  }

  private static SlotStore emptyStore() {
    return new TestSlotStore(Path.of("/nonexistent/never-written"));
  }

  @Test
  void aClosedClientRefusesEveryCallAndClosingTwiceIsHarmless() {
    NativeAuthClient client = client(emptyStore());
    assertNull(client.session());
    client.close();
    client.close();
    assertTrue(client.isClosed());
    List<org.junit.jupiter.api.function.Executable> calls = List.of(client::session, client::accessToken,
        () -> client.signOut(false), client::signIn, () -> client.subscribe(e -> {}));
    for (org.junit.jupiter.api.function.Executable call : calls) {
      NativeAuthException e = assertThrows(NativeAuthException.class, call);
      assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
      assertTrue(e.getMessage().contains("closed"), e.getMessage());
    }
    assertFalse(client.cancel());
  }

  @Test
  void theCleanerFreesClientsNobodyClosedAndCloseFreesAtOnce() {
    int before = Native.liveGlobalRefs();
    List<NativeAuthClient> clients = new ArrayList<>();
    for (int i = 0; i < 20; ++i) {
      // Half of them with a store that captures its own client, as app callbacks often do: the native side
      // holds the callbacks weakly, so that cycle does not pin the client through a JNI global reference.
      TestSlotStore store = new TestSlotStore(Path.of("/nonexistent/never-written"));
      NativeAuthClient c = client(store);
      if (i % 2 == 1) store.onLoad = () -> c.isClosed();
      clients.add(c);
    }
    assertEquals(before + 20, Native.liveGlobalRefs(), "one (weak) reference per client to its bridge");
    clients.get(0).close();
    assertEquals(before + 19, Native.liveGlobalRefs(), "close() did not free the client at once");
    clients.clear(); // the other 19 become unreachable: the Cleaner frees each exactly once
    assertTrue(TestSupport.pollUntil(() -> {
      System.gc();
      return Native.liveGlobalRefs() == before;
    }, Duration.ofSeconds(60)), "unreachable clients were not freed: " + (Native.liveGlobalRefs() - before) + " left");
  }

  @Test
  void callbacksThatFailLeaveNoGlobalReferenceBehind() {
    int before = Native.liveGlobalRefs();
    TestSlotStore store = new TestSlotStore(Path.of("/nonexistent/never-written"));
    try (NativeAuthClient client = client(store)) {
      for (int i = 0; i < 2000; ++i) {
        // Every other load throws: the exception is kept as a cause (a global reference) and handed over.
        store.failLoad = i % 2 == 0 ? () -> new IllegalStateException("store down") : null;
        if (i % 2 == 0) {
          assertEquals(ErrorCode.STORAGE_UNAVAILABLE, assertThrows(NativeAuthException.class, client::session).code());
        } else {
          assertNull(client.session());
        }
      }
      assertEquals(before + 1, Native.liveGlobalRefs(), "global references leaked (the client's own is 1)");
    }
    assertEquals(before, Native.liveGlobalRefs());
  }

  @Test
  void theLibraryIsLoadedOncePerProcessWhateverTheThreads() throws Exception {
    CyclicBarrier start = new CyclicBarrier(8);
    Set<String> versions = java.util.Collections.synchronizedSet(new HashSet<>());
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < 8; ++i) {
      Thread t = new Thread(() -> {
        try {
          start.await();
          versions.add(NativeAuthClient.libraryVersion());
          client(emptyStore()).close();
        } catch (Exception e) {
          versions.add("failed: " + e);
        }
      });
      threads.add(t);
      t.start();
    }
    for (Thread t : threads) t.join(60_000);
    assertEquals(1, versions.size(), versions.toString());
    assertTrue(versions.iterator().next().matches("\\d+\\.\\d+\\.\\d+.*"), versions.toString());
    assertEquals(1, Native.onLoadCount(), "JNI_OnLoad ran more than once");
  }

  @Test
  void badOptionsAreTheCAbiErrorsWithTheirNames() {
    NativeAuthException scheme = assertThrows(NativeAuthException.class,
        () -> NativeAuthClient.builder(ISSUER, "nativeauth-test").redirectUri("myapp:/callback").build());
    assertEquals(ErrorCode.INVALID_CONFIGURATION, scheme.code()); // RFC 8252 §7.1: a reverse domain name
    assertEquals("invalid_configuration", scheme.name());
    assertEquals(-101, scheme.rawCode());
    NativeAuthException http = assertThrows(NativeAuthException.class,
        () -> NativeAuthClient.builder("http://login.example.com", "app").build());
    assertEquals(ErrorCode.INSECURE_URL, http.code(), http.toString());
    NativeAuthException nul = assertThrows(NativeAuthException.class,
        () -> NativeAuthClient.builder(ISSUER, "nativeauth\0test").build());
    assertEquals(ErrorCode.INVALID_ARGUMENT, nul.code());
    assertTrue(nul.getMessage().contains("clientId"), nul.getMessage());
  }

  @Test
  void stringsBeyondAsciiCrossTheBoundaryIntact() throws Exception {
    // A profile outside the BMP (modified UTF-8, which NewStringUTF expects, differs from UTF-8 there):
    // it goes down as UTF-8 and comes back in the slot key the store is given.
    String profile = "gr\u00fc\u00dfe-\ud83d\ude00";
    java.util.concurrent.atomic.AtomicReference<String> seen = new java.util.concurrent.atomic.AtomicReference<>();
    SlotStore spy = new SlotStore() {
      public byte[] load(SlotKey key) throws Exception {
        seen.set(key.profile());
        return null;
      }

      public void save(SlotKey key, byte[] record) {}

      public void erase(SlotKey key) {}

      public List<SlotKey> list(String issuer) {
        return List.of();
      }
    };
    try (NativeAuthClient client = NativeAuthClient.builder(ISSUER, "nativeauth-test").profile(profile)
             .slotStore(spy).build()) {
      assertNull(client.session());
      assertEquals(profile, seen.get());
    }
  }

  @Test
  void theErrorCodesAreTheCHeadersNumbers() throws Exception {
    String header = Files.readString(Path.of(System.getProperty("nativeauth.test.errors_h")));
    Matcher m = Pattern.compile("NATIVEAUTH_E_([A-Z_]+) = (-\\d+)").matcher(header);
    Set<ErrorCode> seen = new HashSet<>();
    while (m.find()) {
      ErrorCode code = ErrorCode.valueOf(m.group(1)); // throws for a C code the enum lacks
      assertEquals(Integer.parseInt(m.group(2)), code.value(), code.name());
      assertEquals(code, ErrorCode.of(code.value()));
      seen.add(code);
    }
    assertTrue(seen.size() > 40, "the header was not read: " + seen.size());
    for (ErrorCode code : ErrorCode.values()) {
      if (code != ErrorCode.UNKNOWN) assertTrue(seen.contains(code), code + " is not in nativeauth_c/errors.h");
    }
    assertEquals(ErrorCode.UNKNOWN, ErrorCode.of(-99999));
    assertNotNull(ErrorCode.of(0));
  }
}
