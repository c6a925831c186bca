// SPDX-License-Identifier: Apache-2.0
// The natives (platform/jvm/src/main/c), registered by JNI_OnLoad. Loading this class loads the library.
package io.nativeauth;

/**
 * The JNI surface, one method per C ABI call the binding needs. Handles are the C pointers as longs; the
 * callers (NativeAuthClient, PendingSignIn) make sure none is used after it was freed. Errors are thrown
 * as {@link NativeAuthException}.
 */
final class Native {
  /** System property: the absolute path of libnativeauth_jni (tests, apps that unpack it themselves). */
  static final String LIBRARY_PROPERTY = "io.nativeauth.library";

  static {
    // Once per class loader, so once per process for an app: class initialisation runs once. A second
    // class loader loading it again fails in System.load (the JVM's rule for JNI libraries).
    String path = System.getProperty(LIBRARY_PROPERTY);
    if (path != null && !path.isEmpty()) {
      System.load(path);
    } else {
      System.loadLibrary("nativeauth_jni"); // Android: lib/<abi>/libnativeauth_jni.so in the APK
    }
  }

  private Native() {}

  /** Makes sure the library is loaded (class initialisation does it). */
  static void load() {}

  /** strings: issuer, clientId, redirectUri, scopes, profile; flags: 1 opener, 2 store, 4 log sink. */
  static native long clientNew(HostBridge bridge, String[] strings, int logLevel, int storage, int flags);

  /** Throws when freeing the client here would deadlock or is not allowed (inside its callbacks). */
  static native void checkFree(long client);

  static native void clientFree(long client);

  static native AccessToken accessToken(long client, int minTtlSeconds, boolean forceRefresh);

  static native Session session(long client);

  static native SignOutReport signOut(long client, boolean everywhere);

  /** strings: scopes, prompt, loginHint. */
  static native long signInStart(long client, PendingSignIn pending, String[] strings, int timeoutSeconds);

  static native void signInCancel(long signIn);

  static native void signInHandleRedirect(long signIn, String url);

  static native void signInFree(long signIn);

  /** Global references the binding holds now (the cached classes, and one or two per client and sign-in). */
  static native int liveGlobalRefs();

  /** How often JNI_OnLoad ran in this process. */
  static native int onLoadCount();

  static native String version();
}
