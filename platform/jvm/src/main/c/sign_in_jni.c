/* SPDX-License-Identifier: Apache-2.0 */
/* The natives of io.nativeauth.Native that work on a sign-in: start it on nativeauth's library thread,
   cancel it, hand it a redirect, free it. The outcome reaches Java through on_complete, which runs on
   that library thread (attached to the VM by na_env) and tells the Java PendingSignIn, which completes
   the app's future on the app's executor, never on this thread. */
#include "jni_support.h"

#include <stdint.h>
#include <stdlib.h>

/* A running sign-in's payload: it owns one reference to its client and one to its PendingSignIn, both
   dropped once on_complete has told Java (on_complete runs exactly once per started sign-in). */
typedef struct na_sign_in {
  na_client *client;
  jobject pending; /* global reference to io.nativeauth.PendingSignIn */
} na_sign_in;

static nativeauth_sign_in *sign_in_of(jlong handle) { return (nativeauth_sign_in *)(intptr_t)handle; }

static void deliver(JNIEnv *env, na_sign_in *s, int error, const nativeauth_error *detail) {
  jthrowable failure = NULL;
  if ((*env)->ExceptionCheck(env) || (*env)->PushLocalFrame(env, 16) != 0) {
    (*env)->ExceptionClear(env);
    return;
  }
  if (error != 0) {
    failure = na_exception(env, detail, 1); /* with the exception a callback threw, if one did */
  } else {
    na_forget_cause(env);
  }
  if (error == 0 || failure) {
    na_completion_enter();
    (*env)->CallVoidMethod(env, s->pending, na_classes.pending_complete, failure);
    na_completion_leave();
  }
  (*env)->ExceptionClear(env);
  (*env)->PopLocalFrame(env, NULL);
}

static void on_complete(nativeauth_sign_in *sign_in, int error, const nativeauth_error *detail, void *payload) {
  na_sign_in *s = (na_sign_in *)payload;
  JNIEnv *env = na_env();
  (void)sign_in;
  if (env) {
    deliver(env, s, error, detail);
    na_global_free(env, s->pending);
    na_client_release(env, s->client);
  }
  free(s);
}

/* strings: scopes, prompt, loginHint (null: not sent). */
static jlong JNICALL sign_in_start(JNIEnv *env, jclass cls, jlong client, jobject pending, jobjectArray strings,
                                   jint timeout_s) {
  nativeauth_sign_in_options o = NATIVEAUTH_SIGN_IN_OPTIONS_INIT;
  nativeauth_sign_in *handle = NULL;
  na_client *c = (na_client *)(intptr_t)client;
  char *text[3] = {NULL, NULL, NULL};
  static const char *const names[3] = {"scopes", "prompt", "loginHint"};
  na_sign_in *s;
  int failed = 0, i;
  (void)cls;
  if (na_refuse_in_callback(env, c, "signIn()")) return 0;
  for (i = 0; i < 3 && !failed; ++i) {
    jstring v = (jstring)(*env)->GetObjectArrayElement(env, strings, i);
    text[i] = na_utf8(env, v, names[i], &failed);
    (*env)->DeleteLocalRef(env, v);
  }
  s = failed ? NULL : (na_sign_in *)calloc(1, sizeof *s);
  if (s) {
    s->client = c;
    s->pending = na_global(env, pending);
    atomic_fetch_add(&c->refs, 1);
    o.scopes = text[0];
    o.prompt = text[1];
    o.login_hint = text[2];
    o.timeout_s = timeout_s > 0 ? (uint32_t)timeout_s : 0;
    o.on_complete = on_complete;
    o.payload = s;
    if (nativeauth_sign_in_start(&handle, c->client, &o) != 0) {
      na_throw_last(env);
      na_global_free(env, s->pending);
      na_client_release(env, c);
      free(s);
    }
  } else if (!failed) {
    na_throw(env, NATIVEAUTH_E_INTERNAL, "out of memory");
  }
  for (i = 0; i < 3; ++i) free(text[i]);
  return (jlong)(intptr_t)handle;
}

static void JNICALL sign_in_cancel(JNIEnv *env, jclass cls, jlong handle) {
  (void)env;
  (void)cls;
  (void)nativeauth_sign_in_cancel(sign_in_of(handle));
}

static void JNICALL sign_in_handle_redirect(JNIEnv *env, jclass cls, jlong handle, jstring url) {
  int failed = 0;
  char *text = na_utf8(env, url, "url", &failed);
  (void)cls;
  if (failed) return;
  if (nativeauth_sign_in_handle_redirect(sign_in_of(handle), text) != 0) {
    na_throw_last(env);
  } else {
    na_forget_cause(env);
  }
  free(text);
}

static void JNICALL sign_in_free(JNIEnv *env, jclass cls, jlong handle) {
  (void)env;
  (void)cls;
  /* Cancels it if still running and joins its thread (which on_complete has told Java by then); from the
     sign-in's own thread (a direct executor) it detaches instead, as the C ABI allows. */
  nativeauth_sign_in_free(sign_in_of(handle));
}

int na_register_sign_in_natives(JNIEnv *env, jclass native_class) {
  const JNINativeMethod methods[] = {
      {"signInStart", "(JLio/nativeauth/PendingSignIn;[Ljava/lang/String;I)J", NA_NATIVE(sign_in_start)},
      {"signInCancel", "(J)V", NA_NATIVE(sign_in_cancel)},
      {"signInHandleRedirect", "(JLjava/lang/String;)V", NA_NATIVE(sign_in_handle_redirect)},
      {"signInFree", "(J)V", NA_NATIVE(sign_in_free)},
  };
  return (*env)->RegisterNatives(env, native_class, methods, (jint)(sizeof methods / sizeof methods[0]));
}
