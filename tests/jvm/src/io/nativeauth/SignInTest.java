// SPDX-License-Identifier: Apache-2.0
// Sign-in through the Java binding against the dev provider and the headless browser, every host callback
// in Java: the open-URL callback starts the browser, a Java store keeps the session, a Java sink the log.
package io.nativeauth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class SignInTest {
  private java.nio.file.Path dir;
  private TestProvider provider;
  private TestBrowser browser;
  private TestSlotStore store;
  private TestSupport.LogCapture log;

  @BeforeEach
  void start() throws Exception {
    dir = TestSupport.tempDir();
    provider = new TestProvider(dir);
    browser = new TestBrowser(dir.resolve("browser"));
    store = new TestSlotStore(dir.resolve("slots"));
    log = new TestSupport.LogCapture();
  }

  @AfterEach
  void stop() throws Exception {
    provider.close();
    TestSupport.removeTree(dir);
  }

  private NativeAuthClient.Builder client() {
    return NativeAuthClient.builder(provider.issuer, "nativeauth-test").urlOpener(browser).slotStore(store)
        .logSink(log, LogLevel.TRACE);
  }

  @Test
  void signsInThroughTheJavaOpenUrlCallbackGetsAnAcceptedTokenAndSignsOutEverywhere() throws Exception {
    try (NativeAuthClient client = client().build()) {
      BlockingQueue<SessionEvent> events = new LinkedBlockingQueue<>();
      client.subscribe(e -> {
        throw new IllegalStateException("a listener that throws must not keep the event from the next one");
      });
      client.subscribe(events::add);
      assertNull(client.session(), "nobody is signed in yet");

      Session session = client.signIn().get(180, TimeUnit.SECONDS);
      assertEquals(0, browser.awaitExit(), "the headless browser did not finish the login");
      assertEquals("alice", session.subject());
      assertEquals("Alice Example", session.name());
      assertEquals(provider.issuer, session.issuer());
      assertEquals("nativeauth-test", session.clientId());
      assertTrue(session.scopes().contains("openid"), session.scopes().toString());
      assertTrue(session.hasRefreshToken());
      assertTrue(session.claimsJson().contains("\"sub\":\"alice\""), session.claimsJson());
      SessionEvent signedIn = events.poll(30, TimeUnit.SECONDS);
      assertNotNull(signedIn, "no SIGNED_IN event");
      assertEquals(SessionEvent.Kind.SIGNED_IN, signedIn.kind());
      assertEquals("alice", signedIn.subject());

      // The open-URL callback ran on nativeauth's own thread, attached to the VM as a daemon; that thread
      // was detached when it ended (else its java.lang.Thread would stay alive for ever).
      Thread nativeThread = browser.calledOn;
      assertNotNull(nativeThread);
      assertNotSame(Thread.currentThread(), nativeThread);
      assertEquals("nativeauth", nativeThread.getName());
      assertTrue(nativeThread.isDaemon());
      nativeThread.join(30_000);
      assertFalse(nativeThread.isAlive(), "nativeauth's sign-in thread is still attached to the VM after it ended");

      // The session is in the Java store, and its file is private to the user.
      assertEquals(1, store.size());
      assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(store.file())));
      assertEquals("alice", client.session().subject());

      // The access token is one the provider's userinfo endpoint accepts; a made-up one it refuses.
      AccessToken token = client.accessToken();
      HttpResponse<String> me = provider.userinfo(token.value());
      assertEquals(200, me.statusCode(), me.body());
      assertTrue(me.body().contains("\"sub\":\"alice\""), me.body());
      assertEquals(401, provider.userinfo("not-a-token-of-this-provider").statusCode());
      assertFalse(token.toString().contains(token.value()), "AccessToken.toString() shows the token");
      assertNotNull(token.expiresAt());

      browser.action = "logout";
      SignOutReport report = client.signOut(true);
      assertEquals(0, browser.awaitExit(), "the browser did not finish the provider's logout");
      assertEquals(1, report.slotsErased());
      assertEquals(1, report.tokensRevoked());
      assertTrue(report.providerSessionEnded(), report.toString());
      assertTrue(report.problems().isEmpty(), report.problems().toString());
      SessionEvent signedOut = events.poll(30, TimeUnit.SECONDS);
      assertNotNull(signedOut, "no SIGNED_OUT event");
      assertEquals(SessionEvent.Kind.SIGNED_OUT, signedOut.kind());
      assertEquals(0, store.size());
      assertNull(client.session());
      NativeAuthException e = assertThrows(NativeAuthException.class, client::accessToken);
      assertEquals(ErrorCode.SIGN_IN_REQUIRED, e.code());
      assertEquals("sign_in_required", e.name());
      assertEquals(-800, e.rawCode());

      assertFalse(log.lines.isEmpty(), "the Java log sink got nothing at trace level");
      assertFalse(log.text().contains(token.value()), "the access token reached the log sink");
      assertTrue(log.text().contains("event listener threw"), "the throwing listener was not reported to the log");
    }
  }

  @Test
  void aCustomSchemeRedirectIsHandedBackByTheAppAndWrongOnesAreRefused() throws Exception {
    try (NativeAuthClient client = client().redirectUri("com.example.app:/callback").build()) {
      var future = client.signIn();
      // The browser ends on com.example.app:/callback?code=...: the OS would hand it to the app's
      // RedirectActivity, which calls handleRedirect.
      assertEquals(0, browser.awaitExit());
      Matcher m = Pattern.compile("\"redirect_url\":\\s*\"([^\"]+)\"").matcher(browser.result());
      assertTrue(m.find(), browser.result());
      String url = m.group(1).replace("\\u0026", "&");
      assertTrue(url.startsWith("com.example.app:/callback?"), url);
      assertFalse(future.isDone());

      NativeAuthException other = assertThrows(NativeAuthException.class,
          () -> client.handleRedirect(url.replace("com.example.app:", "com.other.app:")));
      assertEquals(ErrorCode.INVALID_REDIRECT, other.code());
      NativeAuthException stale = assertThrows(NativeAuthException.class,
          () -> client.handleRedirect(url.replaceAll("state=[^&]+", "state=not-the-pending-state")));
      assertEquals(ErrorCode.STATE_MISMATCH, stale.code());
      assertFalse(future.isDone(), "a refused redirect ended the sign-in");

      client.handleRedirect(url);
      assertEquals("alice", future.get(60, TimeUnit.SECONDS).subject());
      NativeAuthException late = assertThrows(NativeAuthException.class, () -> client.handleRedirect(url));
      assertEquals(ErrorCode.NO_PENDING_SIGN_IN, late.code());

      SignOutReport local = client.signOut(false);
      assertEquals(1, local.slotsErased());
      assertEquals(0, local.tokensRevoked(), "a local sign-out revoked at the provider");
      assertNull(client.session());
    }
  }
}
