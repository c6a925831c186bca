/* SPDX-License-Identifier: Apache-2.0 */
/* The nativeauth_host callbacks, each a call into the client's Java HostBridge (open-URL, the slot store,
   the log sink) and the session-event callback. They run on whatever thread nativeauth is working on:
   na_env() attaches nativeauth's own threads. Every call runs in its own local frame (an attached native
   thread has no Java frame that would free local references), and a Java exception never crosses back:
   it is cleared, kept as the cause of the error nativeauth returns, and the callback returns an error. */
#include "jni_support.h"

#include <stdlib.h>

/* Enough for the arguments and results of one call; -Xcheck:jni warns past the frame's capacity. */
#define FRAME_CAPACITY 16

typedef struct upcall {
  JNIEnv *env;
  jobject bridge; /* local reference; NULL when the client is gone */
  const na_client *previous;
} upcall;

/* Opens a local frame and resolves the bridge. 0 when the callback may go on. */
static int begin(upcall *u, na_client *c, int locked) {
  u->env = na_env();
  u->bridge = NULL;
  u->previous = NULL;
  if (!u->env) return -1;
  if ((*u->env)->ExceptionCheck(u->env)) return -1; /* never call Java with an exception pending */
  if ((*u->env)->PushLocalFrame(u->env, FRAME_CAPACITY) != 0) {
    (*u->env)->ExceptionClear(u->env);
    return -1;
  }
  if (locked) u->previous = na_locked_enter(c);
  u->bridge = (*u->env)->NewLocalRef(u->env, c->bridge);
  return 0;
}

static void end(upcall *u, int locked) {
  if (locked) na_locked_leave(u->previous);
  (*u->env)->PopLocalFrame(u->env, NULL);
}

/* The three strings of a slot key, or 0 (exception pending) when the VM could not make them. */
static int key_strings(JNIEnv *env, const nativeauth_slot_key *key, jstring out[3]) {
  out[0] = na_jstring(env, key->issuer);
  out[1] = out[0] ? na_jstring(env, key->client_id) : NULL;
  out[2] = out[1] ? na_jstring(env, key->profile) : NULL;
  return out[2] != NULL;
}

/* After a store call threw: StoreLockedException is STORAGE_LOCKED (transient, passed on as it is),
   anything else STORAGE_UNAVAILABLE. The exception is kept as the cause. */
static int store_failure(JNIEnv *env) {
  jthrowable thrown = (*env)->ExceptionOccurred(env);
  int locked;
  (*env)->ExceptionClear(env);
  locked = (*env)->IsInstanceOf(env, thrown, na_classes.store_locked);
  na_stash_cause(env, thrown);
  return locked ? NATIVEAUTH_E_STORAGE_LOCKED : NATIVEAUTH_E_STORAGE_UNAVAILABLE;
}

static int open_url(const char *url, void *payload) {
  upcall u;
  int rc = -1;
  jstring s;
  if (begin(&u, (na_client *)payload, 1) != 0) return -1;
  s = u.bridge ? na_jstring(u.env, url) : NULL;
  if (s) {
    (*u.env)->CallVoidMethod(u.env, u.bridge, na_classes.bridge_open_url, s);
    rc = na_catch(u.env) ? -1 : 0;
  } else {
    na_catch(u.env);
  }
  end(&u, 1);
  return rc;
}

/* Hands the record the store returned straight from the Java array to nativeauth, which copies it at once:
   no copy of ours that would need wiping. The critical region holds nothing but that copy. */
static int set_record(JNIEnv *env, nativeauth_slot_record *record, jbyteArray bytes) {
  const jsize n = (*env)->GetArrayLength(env, bytes);
  void *data = (*env)->GetPrimitiveArrayCritical(env, bytes, NULL);
  int rc;
  if (!data) {
    na_catch(env); /* OutOfMemoryError */
    return NATIVEAUTH_E_STORAGE_UNAVAILABLE;
  }
  rc = nativeauth_slot_record_set(record, (const char *)data, (size_t)n);
  (*env)->ReleasePrimitiveArrayCritical(env, bytes, data, JNI_ABORT);
  return rc;
}

static int load_slot(nativeauth_slot_record *record, const nativeauth_slot_key *key, void *payload) {
  upcall u;
  jstring k[3];
  int rc = NATIVEAUTH_E_STORAGE_UNAVAILABLE;
  if (begin(&u, (na_client *)payload, 1) != 0) return rc;
  if (u.bridge && key_strings(u.env, key, k)) {
    jbyteArray bytes = (jbyteArray)(*u.env)->CallObjectMethod(u.env, u.bridge, na_classes.bridge_load, k[0], k[1],
                                                              k[2]);
    if ((*u.env)->ExceptionCheck(u.env)) {
      rc = store_failure(u.env);
    } else {
      rc = bytes ? set_record(u.env, record, bytes) : 0; /* null: an empty slot */
    }
  } else {
    na_catch(u.env);
  }
  end(&u, 1);
  return rc;
}

static int save_slot(const nativeauth_slot_key *key, const char *data, size_t size, void *payload) {
  upcall u;
  jstring k[3];
  jbyteArray bytes = NULL;
  int rc = NATIVEAUTH_E_STORAGE_UNAVAILABLE;
  if (begin(&u, (na_client *)payload, 1) != 0) return rc;
  if (u.bridge && size <= 0x7fffffff && key_strings(u.env, key, k)) bytes = (*u.env)->NewByteArray(u.env, (jsize)size);
  if (bytes) {
    /* The array goes to the store, which owns it from now on (it holds tokens: see SlotStore). */
    (*u.env)->SetByteArrayRegion(u.env, bytes, 0, (jsize)size, (const jbyte *)data);
    (*u.env)->CallVoidMethod(u.env, u.bridge, na_classes.bridge_save, k[0], k[1], k[2], bytes);
    rc = (*u.env)->ExceptionCheck(u.env) ? store_failure(u.env) : 0;
  } else {
    na_catch(u.env);
  }
  end(&u, 1);
  return rc;
}

static int erase_slot(const nativeauth_slot_key *key, void *payload) {
  upcall u;
  jstring k[3];
  int rc = NATIVEAUTH_E_STORAGE_UNAVAILABLE;
  if (begin(&u, (na_client *)payload, 1) != 0) return rc;
  if (u.bridge && key_strings(u.env, key, k)) {
    (*u.env)->CallVoidMethod(u.env, u.bridge, na_classes.bridge_erase, k[0], k[1], k[2]);
    rc = (*u.env)->ExceptionCheck(u.env) ? store_failure(u.env) : 0;
  } else {
    na_catch(u.env);
  }
  end(&u, 1);
  return rc;
}

/* Adds the pairs of a flattened {client_id, profile, ...} array to `list`. */
static int add_pairs(JNIEnv *env, nativeauth_slot_list *list, const char *issuer, jobjectArray pairs) {
  const jsize n = (*env)->GetArrayLength(env, pairs);
  jsize i;
  int rc = 0, failed = 0;
  for (i = 0; i + 1 < n && rc == 0; i += 2) {
    jstring client_id = (jstring)(*env)->GetObjectArrayElement(env, pairs, i);
    jstring profile = (jstring)(*env)->GetObjectArrayElement(env, pairs, i + 1);
    char *c = na_utf8(env, client_id, "a listed client_id", &failed);
    char *p = failed ? NULL : na_utf8(env, profile, "a listed profile", &failed);
    if (failed || !c || !p) {
      na_catch(env);
      rc = NATIVEAUTH_E_STORAGE_UNAVAILABLE;
    } else {
      nativeauth_slot_key key;
      key.issuer = issuer;
      key.client_id = c;
      key.profile = p;
      rc = nativeauth_slot_list_add(list, &key);
    }
    free(c);
    free(p);
    (*env)->DeleteLocalRef(env, client_id);
    (*env)->DeleteLocalRef(env, profile);
  }
  return rc;
}

static int list_slots(nativeauth_slot_list *list, const char *issuer, void *payload) {
  upcall u;
  jstring s;
  int rc = NATIVEAUTH_E_STORAGE_UNAVAILABLE;
  if (begin(&u, (na_client *)payload, 1) != 0) return rc;
  s = u.bridge ? na_jstring(u.env, issuer) : NULL;
  if (s) {
    jobjectArray pairs = (jobjectArray)(*u.env)->CallObjectMethod(u.env, u.bridge, na_classes.bridge_list, s);
    if ((*u.env)->ExceptionCheck(u.env)) {
      rc = store_failure(u.env);
    } else {
      rc = pairs ? add_pairs(u.env, list, issuer, pairs) : 0;
    }
  } else {
    na_catch(u.env);
  }
  end(&u, 1);
  return rc;
}

static void log_line(int32_t level, const char *message, void *payload) {
  upcall u;
  jstring s;
  if (begin(&u, (na_client *)payload, 1) != 0) return;
  s = u.bridge ? na_jstring(u.env, message) : NULL;
  if (s) (*u.env)->CallVoidMethod(u.env, u.bridge, na_classes.bridge_log, (jint)level, s);
  /* A log sink that throws is ignored, as the SDK ignores one that fails; it is no error's cause. */
  (*u.env)->ExceptionClear(u.env);
  end(&u, 1);
}

void na_on_event(const nativeauth_event *event, void *payload) {
  upcall u;
  jstring k[3], subject;
  jthrowable reason = NULL;
  nativeauth_slot_key key;
  if (begin(&u, (na_client *)payload, 0) != 0) return;
  key.issuer = event->issuer;
  key.client_id = event->client_id;
  key.profile = event->profile;
  if (u.bridge && key_strings(u.env, &key, k) && (subject = na_jstring(u.env, event->subject)) != NULL &&
      (!event->reason || (reason = na_exception(u.env, event->reason, 0)) != NULL)) {
    (*u.env)->CallVoidMethod(u.env, u.bridge, na_classes.bridge_event, (jint)event->kind, k[0], k[1], k[2], subject,
                             reason);
  }
  (*u.env)->ExceptionClear(u.env); /* the bridge hands events to the app's executor; nothing to report */
  end(&u, 0);
}

nativeauth_host na_host_callbacks(na_client *c, int has_opener, int has_store, int has_log) {
  nativeauth_host host = NATIVEAUTH_HOST_INIT;
  host.payload = c;
  if (has_opener) host.open_url = open_url;
  if (has_store) {
    host.load_slot = load_slot;
    host.save_slot = save_slot;
    host.erase_slot = erase_slot;
    host.list_slots = list_slots;
  }
  if (has_log) host.log = log_line;
  return host;
}
