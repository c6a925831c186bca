// SPDX-License-Identifier: Apache-2.0
// What the native callbacks call: the app's open-URL, slot store and log sink, and event delivery.
package io.nativeauth;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/**
 * One per client. The native side holds it by a weak reference (the client holds it strongly), so app
 * callbacks that capture the client never keep it from being collected. Exceptions the app's callbacks throw
 * pass through to the native side on purpose: it clears them, returns an error to nativeauth and keeps
 * them as the cause of the error the app then gets.
 */
final class HostBridge {
  private static final LogLevel[] LEVELS = LogLevel.values();

  private final UrlOpener opener;
  private final SlotStore store;
  private final LogSink logSink;
  private final Executor events;
  private final List<Consumer<SessionEvent>> listeners = new CopyOnWriteArrayList<>();

  HostBridge(UrlOpener opener, SlotStore store, LogSink logSink, Executor events) {
    this.opener = opener;
    this.store = store;
    this.logSink = logSink;
    this.events = events;
  }

  int flags() {
    return (opener != null ? 1 : 0) | (store != null ? 2 : 0) | (logSink != null ? 4 : 0);
  }

  void openUrl(String url) throws Exception {
    opener.open(url);
  }

  byte[] loadSlot(String issuer, String clientId, String profile) throws Exception {
    return store.load(new SlotKey(issuer, clientId, profile));
  }

  void saveSlot(String issuer, String clientId, String profile, byte[] record) throws Exception {
    store.save(new SlotKey(issuer, clientId, profile), record);
  }

  void eraseSlot(String issuer, String clientId, String profile) throws Exception {
    store.erase(new SlotKey(issuer, clientId, profile));
  }

  /** Flattened {clientId, profile, ...} of the slots of {@code issuer} the store lists. */
  String[] listSlots(String issuer) throws Exception {
    List<SlotKey> keys = store.list(issuer);
    if (keys == null) return new String[0];
    String[] pairs = new String[keys.size() * 2];
    int i = 0;
    for (SlotKey k : keys) {
      pairs[i++] = k.clientId();
      pairs[i++] = k.profile();
    }
    return pairs;
  }

  void log(int level, String message) {
    logSink.log(LEVELS[Math.max(0, Math.min(level, LEVELS.length - 1))], message);
  }

  Runnable subscribe(Consumer<SessionEvent> listener) {
    listeners.add(listener);
    return () -> listeners.remove(listener);
  }

  /** On the thread whose call caused the event: hands it to the app's executor, in order. */
  void onEvent(int kind, String issuer, String clientId, String profile, String subject, NativeAuthException reason) {
    SessionEvent.Kind[] kinds = SessionEvent.Kind.values();
    if (kind < 0 || kind >= kinds.length || listeners.isEmpty()) return;
    SessionEvent event = new SessionEvent(kinds[kind], new SlotKey(issuer, clientId, profile),
                                          subject.isEmpty() ? null : subject, reason);
    events.execute(() -> {
      for (Consumer<SessionEvent> listener : listeners) {
        try {
          listener.accept(event);
        } catch (RuntimeException e) {
          // One listener's failure must not keep the event from the others.
          if (logSink != null) logSink.log(LogLevel.WARNING, "nativeauth: an event listener threw " + e);
        }
      }
    });
  }
}
