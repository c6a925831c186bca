/* SPDX-License-Identifier: Apache-2.0 */
/* What the JNI binding's files share: the VM, per-thread state (attaching nativeauth's own threads and
   detaching them when they end), UTF-8 <-> Java strings, the cached classes and methods, counted global
   references, and turning a nativeauth_error into a NativeAuthException. Only libnativeauth_c's C ABI is
   used: no C++ and no sdk/src header, which is the point of this binding (it proves the C ABI suffices). */
#ifndef NATIVEAUTH_JNI_SUPPORT_H
#define NATIVEAUTH_JNI_SUPPORT_H

#include <nativeauth_c/nativeauth.h>

#include <jni.h>
#include <stdatomic.h>

/* The JNI version the binding needs: Android's (1.6) is enough. */
#define NA_JNI_VERSION JNI_VERSION_1_6

/* One NativeAuthClient's native side. It is the host callbacks' payload, so it lives until the client
   and every sign-in started on it are freed: the Java client holds one reference, each running sign-in
   one more (na_client_release). */
typedef struct na_client {
  nativeauth_client *client;
  jweak bridge;    /* the HostBridge: weak, so a callback object that captures the client is no GC root */
  atomic_int refs; /* owners: the Java client, and each sign-in until its on_complete ran */
  uint64_t events; /* the subscription that forwards session events to the bridge */
} na_client;

/* Classes and methods looked up once in JNI_OnLoad (global references to the classes). */
typedef struct na_cache {
  jclass exception; /* io.nativeauth.NativeAuthException */
  jmethodID exception_new;
  jclass session;
  jmethodID session_new;
  jclass access_token;
  jmethodID access_token_new;
  jclass sign_out_report;
  jmethodID sign_out_report_new;
  jclass store_locked; /* io.nativeauth.StoreLockedException */
  jmethodID bridge_open_url, bridge_load, bridge_save, bridge_erase, bridge_list, bridge_log, bridge_event;
  jmethodID pending_complete;
} na_cache;

extern JavaVM *na_vm;
extern na_cache na_classes;

/* This thread's JNIEnv. A thread the VM does not know (one of nativeauth's) is attached as a daemon
   named "nativeauth" the first time, and detached by a thread-exit hook when it ends. NULL when the VM
   refuses (then the callback fails instead of crashing). */
JNIEnv *na_env(void);

/* What this thread is inside of. A host callback that runs while the client holds its locks (open-URL,
   store, log) must not call that client (it would deadlock): entry points refuse with an exception. A
   sign-in's completion may call anything but nativeauth_client_free() of its client. Enter returns the
   previous value for leave to restore (callbacks of one client may nest inside another's). */
const na_client *na_locked_enter(const na_client *c);
void na_locked_leave(const na_client *previous);
void na_completion_enter(void);
void na_completion_leave(void);
/* Throws (and returns 1) when this thread is inside a locked callback of `c`; `what` names the call. */
int na_refuse_in_callback(JNIEnv *env, const na_client *c, const char *what);
/* Throws (and returns 1) when freeing `c` here is not allowed: inside its callbacks or a completion. */
int na_refuse_free(JNIEnv *env, const na_client *c);

/* Keeps the exception a Java callback threw on this thread (cleared from the VM), so the error nativeauth
   returns for it can carry it as its cause. One is kept; a newer one replaces it. */
void na_stash_cause(JNIEnv *env, jthrowable cause);
/* Takes the kept exception as a local reference (NULL when none) and forgets it. */
jthrowable na_take_cause(JNIEnv *env);
/* Forgets the kept exception of a callback whose failure nativeauth got over (the call succeeded). */
void na_forget_cause(JNIEnv *env);
/* Clears a pending Java exception from a callback: keeps it as the cause and returns 1; 0 when none. */
int na_catch(JNIEnv *env);

/* Global references, counted (na_live_global_refs) so the tests can prove none leaks. */
jobject na_global(JNIEnv *env, jobject obj);
void na_global_free(JNIEnv *env, jobject ref);
jweak na_weak(JNIEnv *env, jobject obj);
void na_weak_free(JNIEnv *env, jweak ref);
int na_live_global_refs(void);

/* UTF-8 (as the C ABI speaks it) to a Java string, decoded here rather than with NewStringUTF, which
   wants modified UTF-8 and is undefined for characters outside the BMP. NULL input gives NULL. */
jstring na_jstring(JNIEnv *env, const char *utf8);
/* A Java string as malloc'ed UTF-8 (free with free()); NULL for a NULL string. Sets *failed (and throws
   OutOfMemoryError or NativeAuthException) when it cannot: an embedded NUL is refused. */
char *na_utf8(JNIEnv *env, jstring s, const char *what, int *failed);

/* A NativeAuthException for `error` (code, name, message, the server's fields); with `with_cause`, this
   thread's kept callback exception becomes its cause. NULL when the VM could not build it (an exception
   is then pending). */
jthrowable na_exception(JNIEnv *env, const nativeauth_error *error, int with_cause);
/* Throws na_exception(nativeauth_error_last()) for a failed call; returns 0 for JNI entry points. */
void na_throw_last(JNIEnv *env);
/* Throws a NativeAuthException of the binding's own (a closed client, a call from a callback). */
void na_throw(JNIEnv *env, int32_t code, const char *message);

/* Drops one owner of `c`; the last one frees the client and the bridge reference. */
void na_client_release(JNIEnv *env, na_client *c);
/* Builds the host callbacks of a client whose bridge has an opener, a store and a log sink as flagged. */
nativeauth_host na_host_callbacks(na_client *c, int has_opener, int has_store, int has_log);
/* The session-event callback (forwards to the bridge). */
void na_on_event(const nativeauth_event *event, void *payload);

/* JNINativeMethod.fnPtr is a void *: POSIX lets a function pointer travel as one, ISO C has no cast for
   it (-Wpedantic), hence the union. */
typedef void (*na_function)(void);
void *na_native_pointer(na_function f);
#define NA_NATIVE(f) na_native_pointer((na_function)(f))

/* How often JNI_OnLoad ran in this process (the Java side loads the library once). */
int na_onload_count(void);

/* Registers the natives of io.nativeauth.Native; 0 on success. */
int na_register_client_natives(JNIEnv *env, jclass native_class);
int na_register_sign_in_natives(JNIEnv *env, jclass native_class);

#endif
