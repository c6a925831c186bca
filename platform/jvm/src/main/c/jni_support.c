/* SPDX-License-Identifier: Apache-2.0 */
/* The binding's plumbing: per-thread state (attach/detach, callback depth, the kept callback exception),
   counted global references, UTF-8 <-> UTF-16 and NativeAuthException. */
#include "jni_support.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

JavaVM *na_vm = NULL;
na_cache na_classes;

static atomic_int live_global_refs;

/* ---- per-thread state ---- */

typedef struct na_thread {
  int attached_here;              /* attached by na_env(): detach when the thread ends */
  const na_client *locked_client; /* na_locked_enter/leave */
  int completing;                 /* na_completion_enter/leave */
  jobject cause;                  /* global reference to the last exception a callback threw here, or NULL */
} na_thread;

static pthread_key_t thread_key;
static pthread_once_t thread_key_once = PTHREAD_ONCE_INIT;

/* Runs when a thread that has state ends. A thread nativeauth started and na_env() attached is detached
   here, so the VM forgets it (its java.lang.Thread ends; the VM never waits for it, being a daemon). */
static void thread_ended(void *value) {
  na_thread *t = (na_thread *)value;
  JNIEnv *env = NULL;
  if (t->attached_here && (*na_vm)->GetEnv(na_vm, (void **)&env, NA_JNI_VERSION) == JNI_OK) {
    if (t->cause) na_global_free(env, t->cause);
    (*na_vm)->DetachCurrentThread(na_vm);
  }
  /* A Java thread's kept cause was taken before its native call returned (na_exception, na_catch's
     callers): nothing to free here, and its JNIEnv is already gone. */
  free(t);
}

static void make_thread_key(void) { (void)pthread_key_create(&thread_key, thread_ended); }

static na_thread *this_thread(void) {
  na_thread *t;
  (void)pthread_once(&thread_key_once, make_thread_key);
  t = (na_thread *)pthread_getspecific(thread_key);
  if (!t) {
    t = (na_thread *)calloc(1, sizeof *t);
    if (!t) return NULL;
    if (pthread_setspecific(thread_key, t) != 0) {
      free(t);
      return NULL;
    }
  }
  return t;
}

JNIEnv *na_env(void) {
  JNIEnv *env = NULL;
  JavaVMAttachArgs args;
  na_thread *t;
  jint rc = (*na_vm)->GetEnv(na_vm, (void **)&env, NA_JNI_VERSION);
  if (rc == JNI_OK) return env;
  if (rc != JNI_EDETACHED) return NULL;
  t = this_thread(); /* first, so the thread-exit hook that detaches exists before we attach */
  if (!t) return NULL;
  args.version = NA_JNI_VERSION;
  args.name = (char *)"nativeauth";
  args.group = NULL;
  /* A daemon: a sign-in thread still running at exit never keeps the VM alive. */
  if ((*na_vm)->AttachCurrentThreadAsDaemon(na_vm, (void **)&env, &args) != JNI_OK) return NULL;
  t->attached_here = 1;
  return env;
}

const na_client *na_locked_enter(const na_client *c) {
  na_thread *t = this_thread();
  const na_client *previous = t ? t->locked_client : NULL;
  if (t) t->locked_client = c;
  return previous;
}

void na_locked_leave(const na_client *previous) {
  na_thread *t = this_thread();
  if (t) t->locked_client = previous;
}

void na_completion_enter(void) {
  na_thread *t = this_thread();
  if (t) ++t->completing;
}

void na_completion_leave(void) {
  na_thread *t = this_thread();
  if (t && t->completing > 0) --t->completing;
}

static na_thread *existing_thread(void) {
  (void)pthread_once(&thread_key_once, make_thread_key);
  return (na_thread *)pthread_getspecific(thread_key);
}

int na_refuse_in_callback(JNIEnv *env, const na_client *c, const char *what) {
  char message[256];
  na_thread *t = existing_thread();
  if (!t || t->locked_client != c) return 0;
  snprintf(message, sizeof message,
           "%s was called from inside one of this client's callbacks (open-URL, slot store or log), which run "
           "while the client holds its locks: call it from another thread",
           what);
  na_throw(env, NATIVEAUTH_E_INVALID_ARGUMENT, message);
  return 1;
}

int na_refuse_free(JNIEnv *env, const na_client *c) {
  na_thread *t = existing_thread();
  if (na_refuse_in_callback(env, c, "close()")) return 1;
  if (!t || t->completing == 0) return 0;
  na_throw(env, NATIVEAUTH_E_INVALID_ARGUMENT,
           "close() was called on a sign-in's own thread, inside its completion (a callback executor that runs "
           "tasks where they are submitted): give the client an executor that runs them on another thread");
  return 1;
}

void na_stash_cause(JNIEnv *env, jthrowable cause) {
  na_thread *t = this_thread();
  if (!t || !cause) return;
  if (t->cause) na_global_free(env, t->cause);
  t->cause = na_global(env, cause);
}

jthrowable na_take_cause(JNIEnv *env) {
  na_thread *t = existing_thread();
  jthrowable local;
  if (!t || !t->cause) return NULL;
  local = (jthrowable)(*env)->NewLocalRef(env, t->cause);
  na_global_free(env, t->cause);
  t->cause = NULL;
  return local;
}

void na_forget_cause(JNIEnv *env) {
  jthrowable cause = na_take_cause(env);
  if (cause) (*env)->DeleteLocalRef(env, cause);
}

int na_catch(JNIEnv *env) {
  jthrowable thrown;
  if (!(*env)->ExceptionCheck(env)) return 0;
  thrown = (*env)->ExceptionOccurred(env);
  (*env)->ExceptionClear(env);
  na_stash_cause(env, thrown);
  (*env)->DeleteLocalRef(env, thrown);
  return 1;
}

/* ---- global references ---- */

jobject na_global(JNIEnv *env, jobject obj) {
  jobject ref = obj ? (*env)->NewGlobalRef(env, obj) : NULL;
  if (ref) atomic_fetch_add(&live_global_refs, 1);
  return ref;
}

void na_global_free(JNIEnv *env, jobject ref) {
  if (!ref) return;
  (*env)->DeleteGlobalRef(env, ref);
  atomic_fetch_sub(&live_global_refs, 1);
}

jweak na_weak(JNIEnv *env, jobject obj) {
  jweak ref = obj ? (*env)->NewWeakGlobalRef(env, obj) : NULL;
  if (ref) atomic_fetch_add(&live_global_refs, 1);
  return ref;
}

void na_weak_free(JNIEnv *env, jweak ref) {
  if (!ref) return;
  (*env)->DeleteWeakGlobalRef(env, ref);
  atomic_fetch_sub(&live_global_refs, 1);
}

int na_live_global_refs(void) { return atomic_load(&live_global_refs); }

/* ---- strings ---- */

/* One code point from standard UTF-8 at p (n bytes left): its length in *len, or 0xFFFD and 1 byte for
   anything malformed (overlong, surrogate, beyond U+10FFFF, truncated). */
static uint32_t decode_utf8(const unsigned char *p, size_t n, size_t *len) {
  static const uint32_t min_for_len[5] = {0, 0, 0x80, 0x800, 0x10000};
  uint32_t cp;
  size_t need, i;
  if (p[0] < 0x80) {
    *len = 1;
    return p[0];
  }
  if ((p[0] & 0xE0) == 0xC0) {
    need = 2, cp = p[0] & 0x1Fu;
  } else if ((p[0] & 0xF0) == 0xE0) {
    need = 3, cp = p[0] & 0x0Fu;
  } else if ((p[0] & 0xF8) == 0xF0) {
    need = 4, cp = p[0] & 0x07u;
  } else {
    *len = 1;
    return 0xFFFD;
  }
  *len = 1;
  if (need > n) return 0xFFFD;
  for (i = 1; i < need; ++i) {
    if ((p[i] & 0xC0) != 0x80) return 0xFFFD;
    cp = (cp << 6) | (p[i] & 0x3Fu);
  }
  if (cp < min_for_len[need] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0xFFFD;
  *len = need;
  return cp;
}

jstring na_jstring(JNIEnv *env, const char *utf8) {
  const unsigned char *p = (const unsigned char *)utf8;
  size_t n, k = 0, used;
  jchar small[128], *units;
  jstring s;
  if (!utf8) return NULL;
  n = strlen(utf8);
  /* UTF-16 never needs more units than UTF-8 has bytes. */
  units = n <= sizeof small / sizeof small[0] ? small : (jchar *)malloc(n * sizeof(jchar));
  if (!units) {
    (*env)->ThrowNew(env, (*env)->FindClass(env, "java/lang/OutOfMemoryError"), "nativeauth: string");
    return NULL;
  }
  while (n > 0) {
    uint32_t cp = decode_utf8(p, n, &used);
    if (cp >= 0x10000) {
      cp -= 0x10000;
      units[k++] = (jchar)(0xD800 + (cp >> 10));
      units[k++] = (jchar)(0xDC00 + (cp & 0x3FF));
    } else {
      units[k++] = (jchar)cp;
    }
    p += used;
    n -= used;
  }
  s = (*env)->NewString(env, units, (jsize)k);
  if (units != small) free(units);
  return s;
}

static size_t encode_utf8(uint32_t cp, unsigned char *out) {
  if (cp < 0x80) {
    out[0] = (unsigned char)cp;
    return 1;
  }
  if (cp < 0x800) {
    out[0] = (unsigned char)(0xC0 | (cp >> 6));
    out[1] = (unsigned char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = (unsigned char)(0xE0 | (cp >> 12));
    out[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    out[2] = (unsigned char)(0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = (unsigned char)(0xF0 | (cp >> 18));
  out[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
  out[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
  out[3] = (unsigned char)(0x80 | (cp & 0x3F));
  return 4;
}

char *na_utf8(JNIEnv *env, jstring s, const char *what, int *failed) {
  jsize len, i;
  jchar *units;
  unsigned char *out;
  size_t k = 0;
  if (!s) return NULL;
  len = (*env)->GetStringLength(env, s);
  units = (jchar *)malloc(((size_t)len + 1) * sizeof(jchar));
  out = (unsigned char *)malloc((size_t)len * 3 + 1); /* a BMP unit: at most 3 bytes; a pair: 4 for 2 */
  if (!units || !out) {
    free(units);
    free(out);
    *failed = 1;
    (*env)->ThrowNew(env, (*env)->FindClass(env, "java/lang/OutOfMemoryError"), "nativeauth: string");
    return NULL;
  }
  (*env)->GetStringRegion(env, s, 0, len, units);
  for (i = 0; i < len; ++i) {
    uint32_t cp = units[i];
    if (cp == 0) {
      char message[160];
      free(units);
      free(out);
      *failed = 1;
      snprintf(message, sizeof message, "%s contains a NUL character", what);
      na_throw(env, NATIVEAUTH_E_INVALID_ARGUMENT, message);
      return NULL;
    }
    if (cp >= 0xD800 && cp <= 0xDBFF && i + 1 < len && units[i + 1] >= 0xDC00 && units[i + 1] <= 0xDFFF) {
      cp = 0x10000 + ((cp - 0xD800) << 10) + (units[i + 1] - 0xDC00u);
      ++i;
    } else if (cp >= 0xD800 && cp <= 0xDFFF) {
      cp = 0xFFFD; /* a lone surrogate */
    }
    k += encode_utf8(cp, out + k);
  }
  out[k] = '\0';
  free(units);
  return (char *)out;
}

/* ---- exceptions ---- */

jthrowable na_exception(JNIEnv *env, const nativeauth_error *e, int with_cause) {
  jthrowable result = NULL, cause;
  if ((*env)->PushLocalFrame(env, 16) != 0) return NULL;
  cause = with_cause ? na_take_cause(env) : NULL;
  {
    jstring name = na_jstring(env, e->name);
    jstring message = name ? na_jstring(env, e->message) : NULL;
    jstring oauth = message ? na_jstring(env, e->oauth_error) : NULL;
    jstring description = oauth ? na_jstring(env, e->oauth_error_description) : NULL;
    jstring uri = description ? na_jstring(env, e->oauth_error_uri) : NULL;
    if (uri) {
      result = (jthrowable)(*env)->NewObject(env, na_classes.exception, na_classes.exception_new, (jint)e->code, name,
                                             message, oauth, description, uri, (jint)e->http_status,
                                             e->transient ? JNI_TRUE : JNI_FALSE, cause);
    }
  }
  return (jthrowable)(*env)->PopLocalFrame(env, result);
}

static void throw_error(JNIEnv *env, const nativeauth_error *error) {
  jthrowable e = na_exception(env, error, 1);
  if (e) {
    (*env)->Throw(env, e);
    (*env)->DeleteLocalRef(env, e);
  }
}

void na_throw_last(JNIEnv *env) { throw_error(env, nativeauth_error_last()); }

void na_throw(JNIEnv *env, int32_t code, const char *message) {
  nativeauth_error e;
  memset(&e, 0, sizeof e);
  e.code = code;
  e.name = nativeauth_error_code_name(code);
  e.message = message;
  e.oauth_error = "";
  e.oauth_error_description = "";
  e.oauth_error_uri = "";
  throw_error(env, &e);
}
