// SPDX-License-Identifier: Apache-2.0
// The app's handle on nativeauth: sign-in, tokens, session, sign-out, events, over the C ABI (JNI).
package io.nativeauth;

import java.lang.ref.Cleaner;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * One app's connection to one provider: a {@code nativeauth_client} of the C ABI.
 *
 * <pre>{@code
 * NativeAuthClient client = NativeAuthClient.builder("https://login.example.com", "example-android")
 *     .redirectUri("com.example.app:/callback")
 *     .urlOpener(url -> mainThread.execute(() -> customTabs.launchUrl(activity, Uri.parse(url))))
 *     .slotStore(keystoreStore)
 *     .callbackExecutor(mainExecutor)
 *     .build();
 * client.signIn().thenAccept(session -> show(session.name()));
 * // RedirectActivity: client.handleRedirect(intent.getData().toString());
 * String bearer = client.accessToken().value();   // off the main thread: it may refresh over the network
 * }</pre>
 *
 * <p><b>Errors</b> are {@link NativeAuthException} (unchecked), with an {@link ErrorCode} and the server's
 * {@code error} / {@code error_description}. Lookups that may find nothing return null ({@link #session()}).
 *
 * <p><b>Threads</b>: any thread may call any method; {@link #accessToken()}, {@link #session()} and {@link
 * #signOut(boolean)} block (store, network), so keep them off the main thread. Sign-in completions and session
 * events run on the callback executor (default: {@link ForkJoinPool#commonPool()}), never on nativeauth's
 * thread. The app's {@link UrlOpener}, {@link SlotStore} and {@link LogSink} run on nativeauth's threads and
 * must not call this client (it holds its locks then); only {@link #cancel()} and {@link
 * #handleRedirect(String)} are allowed there, anything else throws.
 *
 * <p><b>Lifetime</b>: {@link #close()} frees the native client (cancelling a running sign-in first); a
 * client nobody references any more is freed by a {@link Cleaner}. Either way it is freed exactly once, and
 * every call on a closed client throws {@link ErrorCode#INVALID_ARGUMENT}. A running sign-in keeps its
 * client alive.
 */
public final class NativeAuthClient implements AutoCloseable {
  private static final Cleaner CLEANER = Cleaner.create();

  private final State state;
  private final HostBridge bridge; // strong here; the native side holds it weakly
  private final Executor executor;
  private final String issuer;
  private final String clientId;

  /** A subscription to session events; {@link #close()} ends it. */
  public interface Subscription extends AutoCloseable {
    /** Stops the deliveries (one already handed to the executor may still arrive). */
    @Override
    void close();
  }

  /**
   * The native handle, and the lock that keeps it from being freed while a call uses it: calls hold the
   * read lock, freeing takes the write lock. It is also the Cleaner's action, so it references no client.
   */
  private static final class State implements Runnable {
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private volatile long handle;
    private final Deque<PendingSignIn> running = new ArrayDeque<>(); // started, not finished; guarded by `this`

    State(long handle) {
      this.handle = handle;
    }

    long acquire() {
      lock.readLock().lock();
      if (handle == 0) {
        lock.readLock().unlock();
        throw closed();
      }
      return handle;
    }

    void done() {
      lock.readLock().unlock();
    }

    synchronized void started(PendingSignIn pending) {
      running.addLast(pending);
    }

    synchronized void finished(PendingSignIn pending) {
      running.remove(pending);
    }

    synchronized PendingSignIn latest() {
      return running.peekLast();
    }

    synchronized List<PendingSignIn> takeRunning() {
      List<PendingSignIn> all = new ArrayList<>(running);
      running.clear();
      return all;
    }

    synchronized List<PendingSignIn> running() {
      return new ArrayList<>(running);
    }

    /** Frees the native client, once; the Cleaner calls it for a client nobody closed. */
    @Override
    public void run() {
      long h = handle;
      if (h == 0) return;
      Native.checkFree(h); // from inside this client's callbacks the write lock below would never come
      lock.writeLock().lock();
      try {
        if (handle == 0) return;
        for (PendingSignIn pending : takeRunning()) pending.release(); // cancels it and joins its thread
        Native.clientFree(handle);
        handle = 0;
      } finally {
        lock.writeLock().unlock();
      }
    }
  }

  private NativeAuthClient(Builder b) {
    Native.load();
    this.issuer = b.issuer;
    this.clientId = b.clientId;
    this.executor = b.executor != null ? b.executor : ForkJoinPool.commonPool();
    this.bridge = new HostBridge(b.opener, b.store, b.logSink, new SerialExecutor(executor));
    String[] strings = {b.issuer, b.clientId, b.redirectUri, b.scopes, b.profile};
    long handle = Native.clientNew(bridge, strings, b.logSink != null ? b.logLevel.ordinal() : LogLevel.OFF.ordinal(),
                                   0, bridge.flags());
    this.state = new State(handle);
    CLEANER.register(this, state);
  }

  /** A builder for a client of {@code issuer} (https, or http on loopback) and {@code clientId}. */
  public static Builder builder(String issuer, String clientId) {
    return new Builder(issuer, clientId);
  }

  /** The version of the native nativeauth library loaded, e.g. "0.1.0". */
  public static String libraryVersion() {
    Native.load();
    return Native.version();
  }

  private static NativeAuthException closed() {
    return new NativeAuthException(ErrorCode.INVALID_ARGUMENT, "this NativeAuthClient is closed");
  }

  /** Starts a sign-in with the default options: see {@link #signIn(SignInOptions)}. */
  public CompletableFuture<Session> signIn() {
    return signIn(new SignInOptions());
  }

  /**
   * Starts signing in and returns at once: the {@link UrlOpener} gets the authorization URL, and the future
   * completes with the stored session, or exceptionally with a {@link NativeAuthException} ({@link
   * ErrorCode#CANCELLED} after {@link #cancel()}). With a custom-scheme or claimed-https redirect URI, hand
   * the redirect the OS delivers to {@link #handleRedirect(String)}. One sign-in at a time: a second one
   * fails with {@link ErrorCode#INVALID_ARGUMENT}. Cancelling the future cancels the sign-in.
   */
  public CompletableFuture<Session> signIn(SignInOptions options) {
    Objects.requireNonNull(options, "options");
    PendingSignIn pending = new PendingSignIn(this, executor);
    long h = state.acquire();
    try {
      String[] strings = {options.scopes, options.prompt, options.loginHint};
      state.started(pending); // before it starts: its completion (maybe at once) removes it
      long signIn;
      try {
        signIn = Native.signInStart(h, pending, strings, options.timeoutSeconds);
      } catch (RuntimeException e) {
        state.finished(pending);
        throw e;
      }
      pending.attach(signIn);
    } finally {
      state.done();
    }
    return pending.future();
  }

  /** Starts a sign-in; {@code callback} gets the session or the error (the other is null) on the executor. */
  public void signIn(SignInOptions options, BiConsumer<Session, NativeAuthException> callback) {
    Objects.requireNonNull(callback, "callback");
    signIn(options).whenComplete((session, error) -> {
      Throwable e = error;
      while (e instanceof java.util.concurrent.CompletionException && e.getCause() != null) e = e.getCause();
      callback.accept(session, e == null ? null
          : e instanceof NativeAuthException ? (NativeAuthException) e
          : new NativeAuthException(ErrorCode.CANCELLED, "the sign-in's future was cancelled"));
    });
  }

  /** Ends the running sign-in with {@link ErrorCode#CANCELLED} and returns at once; false when none runs. */
  public boolean cancel() {
    boolean any = false;
    for (PendingSignIn pending : state.running()) any |= pending.cancel();
    return any;
  }

  /**
   * Hands the redirect the OS delivered (the intent's data on Android, the ASWebAuthenticationSession
   * callback URL on iOS) to the waiting sign-in. A URL for another scheme or a stale state is refused
   * ({@link ErrorCode#INVALID_REDIRECT}, {@link ErrorCode#STATE_MISMATCH}) and the sign-in keeps waiting;
   * when none waits: {@link ErrorCode#NO_PENDING_SIGN_IN}.
   */
  public void handleRedirect(String url) {
    Objects.requireNonNull(url, "url");
    PendingSignIn pending = state.latest();
    if (pending == null) {
      throw new NativeAuthException(ErrorCode.NO_PENDING_SIGN_IN, "no sign-in of this client waits for a redirect");
    }
    pending.handleRedirect(url);
  }

  /** A valid access token, refreshed silently when due: see {@link #accessToken(boolean)}. */
  public AccessToken accessToken() {
    return accessToken(false);
  }

  /**
   * A valid access token: from memory while it has more than the refresh margin left, else refreshed
   * silently (one refresh at a time across threads and processes). {@code forceRefresh}: refresh even so
   * (the API rejected the token). Blocks; call it off the main thread. Throws {@link
   * ErrorCode#SIGN_IN_REQUIRED} when nobody is signed in or the provider ended the session; transient
   * errors ({@link NativeAuthException#isTransient()}) keep the session.
   */
  public AccessToken accessToken(boolean forceRefresh) {
    long h = state.acquire();
    try {
      return Native.accessToken(h, -1, forceRefresh);
    } finally {
      state.done();
    }
  }

  /** The stored session (no secrets), or null when nobody is signed in. Reads the store; no network. */
  public Session session() {
    long h = state.acquire();
    try {
      return Native.session(h);
    } finally {
      state.done();
    }
  }

  /** A sign-in's completion ran: it no longer needs cancelling or freeing by close(). */
  void finished(PendingSignIn pending) {
    state.finished(pending);
  }

  /** The session right after a sign-in, on the executor: a client closed meanwhile is an error. */
  Session sessionAfterSignIn() {
    if (!state.lock.readLock().tryLock()) throw closed(); // close() is freeing it (and may be joining us)
    try {
      if (state.handle == 0) throw closed();
      return Native.session(state.handle);
    } finally {
      state.lock.readLock().unlock();
    }
  }

  /**
   * Signs out. {@code everywhere}: revoke the refresh token, end the provider's session in the browser
   * (the {@link UrlOpener} opens the end-session URL) and erase the slot; otherwise only forget the session on
   * this device. Local state is erased even when a remote step fails (listed in the report).
   */
  public SignOutReport signOut(boolean everywhere) {
    long h = state.acquire();
    try {
      return Native.signOut(h, everywhere);
    } finally {
      state.done();
    }
  }

  /** Calls {@code listener} with every session event of this client, in order, on the callback executor. */
  public Subscription subscribe(Consumer<SessionEvent> listener) {
    Objects.requireNonNull(listener, "listener");
    state.acquire(); // a closed client refuses
    state.done();
    Runnable remove = bridge.subscribe(listener);
    return remove::run;
  }

  /** True once {@link #close()} ran (or the Cleaner freed it). */
  public boolean isClosed() {
    return state.handle == 0;
  }

  /**
   * Frees the native client, cancelling a running sign-in first (its future completes with {@link
   * ErrorCode#CANCELLED}). Idempotent. Not from inside this client's {@link UrlOpener}, {@link SlotStore}
   * or {@link LogSink} (throws).
   */
  @Override
  public void close() {
    state.run();
  }

  @Override
  public String toString() {
    return "NativeAuthClient[" + clientId + " at " + issuer + (isClosed() ? ", closed]" : "]");
  }

  /** How a client is made; {@link #build()} validates (no network). */
  public static final class Builder {
    private final String issuer;
    private final String clientId;
    private String redirectUri;
    private String scopes;
    private String profile;
    private UrlOpener opener;
    private SlotStore store;
    private LogSink logSink;
    private LogLevel logLevel = LogLevel.INFO;
    private Executor executor;

    private Builder(String issuer, String clientId) {
      this.issuer = Objects.requireNonNull(issuer, "issuer");
      this.clientId = Objects.requireNonNull(clientId, "clientId");
    }

    /** The registered redirect URI: a private-use scheme ("com.example.app:/callback"), claimed https, or
     * loopback. Unset: a loopback redirect nativeauth listens for (desktop). */
    public Builder redirectUri(String redirectUri) {
      this.redirectUri = redirectUri;
      return this;
    }

    /** Space-separated scopes; unset: "openid profile offline_access". */
    public Builder scopes(String scopes) {
      this.scopes = scopes;
      return this;
    }

    /** Names the slot together with issuer and client_id; unset: "default". */
    public Builder profile(String profile) {
      this.profile = profile;
      return this;
    }

    /** The browser (Android: Custom Tabs). Unset: the desktop default ($BROWSER, xdg-open). */
    public Builder urlOpener(UrlOpener opener) {
      this.opener = opener;
      return this;
    }

    /** Where sessions live (Android: Keystore-encrypted storage). Unset: the desktop keychain. */
    public Builder slotStore(SlotStore store) {
      this.store = store;
      return this;
    }

    /** Receives log lines (already redacted) at or above {@code level}. */
    public Builder logSink(LogSink sink, LogLevel level) {
      this.logSink = sink;
      this.logLevel = Objects.requireNonNull(level, "level");
      return this;
    }

    /** Where sign-in completions and session events run (Android: the main executor). It must run tasks on
     * another thread than the one that submits them. Unset: {@link ForkJoinPool#commonPool()}. */
    public Builder callbackExecutor(Executor executor) {
      this.executor = executor;
      return this;
    }

    /** The client. Throws {@link ErrorCode#INVALID_ARGUMENT} or {@link ErrorCode#INVALID_CONFIGURATION}
     * (e.g. a redirect scheme that is not a reverse domain name, RFC 8252 §7.1). */
    public NativeAuthClient build() {
      return new NativeAuthClient(this);
    }
  }
}
