/* SPDX-License-Identifier: Apache-2.0 */
/* JNI_OnLoad: runs once when io.nativeauth.NativeLibrary loads libnativeauth_jni. Looks up every class
   and method the binding calls (so no callback, on any thread, ever calls FindClass: on a thread nativeauth
   started it would see the system class loader, not the app's), and registers the natives explicitly, so
   the library exports only JNI_OnLoad. */
#include "jni_support.h"

#include <stdio.h>
#include <string.h>

static jclass global_class(JNIEnv *env, const char *name) {
  jclass local = (*env)->FindClass(env, name);
  jclass global;
  if (!local) return NULL;
  global = (jclass)na_global(env, local);
  (*env)->DeleteLocalRef(env, local);
  return global;
}

static int find_classes(JNIEnv *env) {
  na_cache *k = &na_classes;
  k->exception = global_class(env, "io/nativeauth/NativeAuthException");
  k->session = k->exception ? global_class(env, "io/nativeauth/Session") : NULL;
  k->access_token = k->session ? global_class(env, "io/nativeauth/AccessToken") : NULL;
  k->sign_out_report = k->access_token ? global_class(env, "io/nativeauth/SignOutReport") : NULL;
  k->store_locked = k->sign_out_report ? global_class(env, "io/nativeauth/StoreLockedException") : NULL;
  return k->store_locked ? 0 : -1;
}

static int find_constructors(JNIEnv *env) {
  na_cache *k = &na_classes;
  k->exception_new = (*env)->GetMethodID(env, k->exception, "<init>",
                                         "(ILjava/lang/String;Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;"
                                         "Ljava/lang/String;IZLjava/lang/Throwable;)V");
  if (!k->exception_new) return -1;
  k->session_new = (*env)->GetMethodID(env, k->session, "<init>",
                                       "(Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;"
                                       "Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;JJZ)V");
  if (!k->session_new) return -1;
  k->access_token_new = (*env)->GetMethodID(env, k->access_token, "<init>", "(Ljava/lang/String;J)V");
  if (!k->access_token_new) return -1;
  k->sign_out_report_new = (*env)->GetMethodID(env, k->sign_out_report, "<init>", "(IIZLjava/lang/String;)V");
  return k->sign_out_report_new ? 0 : -1;
}

static int find_callbacks(JNIEnv *env) {
  na_cache *k = &na_classes;
  const char *key = "(Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;";
  jclass bridge = (*env)->FindClass(env, "io/nativeauth/HostBridge");
  jclass pending = bridge ? (*env)->FindClass(env, "io/nativeauth/PendingSignIn") : NULL;
  char signature[160];
  if (!pending) return -1;
  k->bridge_open_url = (*env)->GetMethodID(env, bridge, "openUrl", "(Ljava/lang/String;)V");
  snprintf(signature, sizeof signature, "%s)[B", key);
  k->bridge_load = k->bridge_open_url ? (*env)->GetMethodID(env, bridge, "loadSlot", signature) : NULL;
  snprintf(signature, sizeof signature, "%s[B)V", key);
  k->bridge_save = k->bridge_load ? (*env)->GetMethodID(env, bridge, "saveSlot", signature) : NULL;
  snprintf(signature, sizeof signature, "%s)V", key);
  k->bridge_erase = k->bridge_save ? (*env)->GetMethodID(env, bridge, "eraseSlot", signature) : NULL;
  k->bridge_list = k->bridge_erase
                       ? (*env)->GetMethodID(env, bridge, "listSlots", "(Ljava/lang/String;)[Ljava/lang/String;")
                       : NULL;
  k->bridge_log = k->bridge_list ? (*env)->GetMethodID(env, bridge, "log", "(ILjava/lang/String;)V") : NULL;
  k->bridge_event = k->bridge_log ? (*env)->GetMethodID(env, bridge, "onEvent",
                                                        "(ILjava/lang/String;Ljava/lang/String;Ljava/lang/String;"
                                                        "Ljava/lang/String;Lio/nativeauth/NativeAuthException;)V")
                                  : NULL;
  k->pending_complete = k->bridge_event
                            ? (*env)->GetMethodID(env, pending, "onComplete", "(Lio/nativeauth/NativeAuthException;)V")
                            : NULL;
  (*env)->DeleteLocalRef(env, bridge);
  (*env)->DeleteLocalRef(env, pending);
  return k->pending_complete ? 0 : -1;
}

void *na_native_pointer(na_function f) {
  union {
    na_function f;
    void *p;
  } u;
  u.f = f;
  return u.p;
}

static atomic_int onload_count;

int na_onload_count(void) { return atomic_load(&onload_count); }

JNIEXPORT jint JNICALL JNI_OnLoad(JavaVM *vm, void *reserved) {
  JNIEnv *env = NULL;
  jclass native_class;
  int rc;
  (void)reserved;
  atomic_fetch_add(&onload_count, 1);
  na_vm = vm;
  if ((*vm)->GetEnv(vm, (void **)&env, NA_JNI_VERSION) != JNI_OK) return JNI_ERR;
  memset(&na_classes, 0, sizeof na_classes);
  if (find_classes(env) != 0 || find_constructors(env) != 0 || find_callbacks(env) != 0) return JNI_ERR;
  native_class = (*env)->FindClass(env, "io/nativeauth/Native");
  if (!native_class) return JNI_ERR;
  rc = na_register_client_natives(env, native_class);
  if (rc == 0) rc = na_register_sign_in_natives(env, native_class);
  (*env)->DeleteLocalRef(env, native_class);
  return rc == 0 ? NA_JNI_VERSION : JNI_ERR;
}
