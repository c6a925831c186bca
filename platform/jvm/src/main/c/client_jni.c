/* SPDX-License-Identifier: Apache-2.0 */
/* The natives of io.nativeauth.Native that work on a client: create and free it, the access token, the
   session, sign-out, and the binding's own diagnostics. Each is a call of libnativeauth_c's C ABI; a
   failure becomes a NativeAuthException (na_throw_last). Handles travel to Java as jlong. The Java side
   (NativeAuthClient) serialises freeing against use, so no call here sees a freed client. */
#include "jni_support.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static na_client *client_of(jlong handle) { return (na_client *)(intptr_t)handle; }

void na_client_release(JNIEnv *env, na_client *c) {
  if (atomic_fetch_sub(&c->refs, 1) != 1) return;
  nativeauth_client_free(c->client); /* also ends the event subscription */
  na_weak_free(env, c->bridge);
  free(c);
}

typedef struct client_strings {
  char *issuer, *client_id, *redirect_uri, *scopes, *profile;
} client_strings;

static void free_strings(client_strings *s) {
  free(s->issuer);
  free(s->client_id);
  free(s->redirect_uri);
  free(s->scopes);
  free(s->profile);
}

static int read_strings(JNIEnv *env, jobjectArray strings, client_strings *out) {
  char **fields[5];
  int failed = 0, i;
  fields[0] = &out->issuer;
  fields[1] = &out->client_id;
  fields[2] = &out->redirect_uri;
  fields[3] = &out->scopes;
  fields[4] = &out->profile;
  memset(out, 0, sizeof *out);
  for (i = 0; i < 5 && !failed; ++i) {
    static const char *const names[5] = {"issuer", "clientId", "redirectUri", "scopes", "profile"};
    jstring s = (jstring)(*env)->GetObjectArrayElement(env, strings, i);
    *fields[i] = na_utf8(env, s, names[i], &failed);
    (*env)->DeleteLocalRef(env, s);
  }
  return failed ? -1 : 0;
}

/* strings: issuer, clientId, redirectUri, scopes, profile (null: the default). flags: bit 0 open-URL,
   bit 1 slot store, bit 2 log sink given. */
static jlong JNICALL client_new(JNIEnv *env, jclass cls, jobject bridge, jobjectArray strings, jint log_level,
                                jint storage, jint flags) {
  nativeauth_client_options o = NATIVEAUTH_CLIENT_OPTIONS_INIT;
  nativeauth_host host;
  client_strings s;
  na_client *c;
  (void)cls;
  if (read_strings(env, strings, &s) != 0) {
    free_strings(&s);
    return 0;
  }
  c = (na_client *)calloc(1, sizeof *c);
  if (!c) {
    free_strings(&s);
    na_throw(env, NATIVEAUTH_E_INTERNAL, "out of memory");
    return 0;
  }
  atomic_init(&c->refs, 1);
  c->bridge = na_weak(env, bridge);
  host = na_host_callbacks(c, flags & 1, flags & 2, flags & 4);
  o.issuer = s.issuer;
  o.client_id = s.client_id;
  o.redirect_uri = s.redirect_uri;
  o.scopes = s.scopes;
  o.profile = s.profile;
  o.log_level = log_level;
  o.storage = storage;
  o.host = &host;
  if (nativeauth_client_new(&c->client, &o) != 0 ||
      nativeauth_client_subscribe(&c->events, c->client, na_on_event, c) != 0) {
    na_throw_last(env);
    na_client_release(env, c);
    c = NULL;
  }
  na_forget_cause(env);
  free_strings(&s);
  return (jlong)(intptr_t)c;
}

static void JNICALL check_free(JNIEnv *env, jclass cls, jlong handle) {
  (void)cls;
  if (handle != 0) (void)na_refuse_free(env, client_of(handle));
}

static void JNICALL client_free(JNIEnv *env, jclass cls, jlong handle) {
  (void)cls;
  if (handle == 0 || na_refuse_free(env, client_of(handle))) return;
  na_client_release(env, client_of(handle));
}

static jobject JNICALL access_token(JNIEnv *env, jclass cls, jlong handle, jint min_ttl_s, jboolean force) {
  nativeauth_access_token_options o = NATIVEAUTH_ACCESS_TOKEN_OPTIONS_INIT;
  char *token = NULL;
  int64_t expires_at = 0;
  jstring value;
  jobject result;
  (void)cls;
  if (na_refuse_in_callback(env, client_of(handle), "accessToken()")) return NULL;
  o.min_ttl_s = min_ttl_s;
  o.force_refresh = force ? 1 : 0;
  if (nativeauth_client_access_token(&token, &expires_at, client_of(handle)->client, &o) != 0) {
    na_throw_last(env);
    return NULL;
  }
  na_forget_cause(env);
  value = na_jstring(env, token);
  nativeauth_secret_free(token); /* the native copy is wiped; the Java string is the app's from here */
  if (!value) return NULL;
  result = (*env)->NewObject(env, na_classes.access_token, na_classes.access_token_new, value, (jlong)expires_at);
  (*env)->DeleteLocalRef(env, value);
  return result;
}

static jobject session_object(JNIEnv *env, const nativeauth_session_info *i) {
  jobject result = NULL;
  jstring s[7];
  const char *fields[7];
  int k;
  fields[0] = i->issuer;
  fields[1] = i->client_id;
  fields[2] = i->profile;
  fields[3] = i->subject;
  fields[4] = i->name;
  fields[5] = i->scopes;
  fields[6] = i->claims_json;
  if ((*env)->PushLocalFrame(env, 16) != 0) return NULL;
  for (k = 0; k < 7; ++k) {
    s[k] = na_jstring(env, fields[k]);
    if (!s[k]) return (*env)->PopLocalFrame(env, NULL);
  }
  result = (*env)->NewObject(env, na_classes.session, na_classes.session_new, s[0], s[1], s[2], s[3], s[4], s[5], s[6],
                             (jlong)i->access_token_expiry, (jlong)i->issued_at,
                             i->has_refresh_token ? JNI_TRUE : JNI_FALSE);
  return (*env)->PopLocalFrame(env, result);
}

static jobject JNICALL session(JNIEnv *env, jclass cls, jlong handle) {
  nativeauth_session_info *info = NULL;
  jobject result;
  (void)cls;
  if (na_refuse_in_callback(env, client_of(handle), "session()")) return NULL;
  if (nativeauth_client_session(&info, client_of(handle)->client) != 0) {
    na_throw_last(env);
    return NULL;
  }
  na_forget_cause(env);
  if (!info) return NULL; /* nobody is signed in */
  result = session_object(env, info);
  nativeauth_session_info_free(info);
  return result;
}

static jobject JNICALL sign_out(JNIEnv *env, jclass cls, jlong handle, jboolean everywhere) {
  nativeauth_sign_out_options o = NATIVEAUTH_SIGN_OUT_OPTIONS_INIT;
  nativeauth_sign_out_report *report = NULL;
  jobject result = NULL;
  jstring problems;
  (void)cls;
  if (na_refuse_in_callback(env, client_of(handle), "signOut()")) return NULL;
  o.local_only = everywhere ? 0 : 1;
  if (nativeauth_client_sign_out(&report, client_of(handle)->client, &o) != 0) {
    na_throw_last(env);
    return NULL;
  }
  na_forget_cause(env);
  problems = na_jstring(env, report->problems);
  if (problems) {
    result = (*env)->NewObject(env, na_classes.sign_out_report, na_classes.sign_out_report_new,
                               (jint)report->slots_erased, (jint)report->tokens_revoked,
                               report->provider_session_ended ? JNI_TRUE : JNI_FALSE, problems);
    (*env)->DeleteLocalRef(env, problems);
  }
  nativeauth_sign_out_report_free(report);
  return result;
}

static jint JNICALL live_global_refs(JNIEnv *env, jclass cls) {
  (void)env;
  (void)cls;
  return na_live_global_refs();
}

static jint JNICALL onload_count(JNIEnv *env, jclass cls) {
  (void)env;
  (void)cls;
  return na_onload_count();
}

static jstring JNICALL version(JNIEnv *env, jclass cls) {
  (void)cls;
  return na_jstring(env, nativeauth_version());
}

int na_register_client_natives(JNIEnv *env, jclass native_class) {
  const JNINativeMethod methods[] = {
      {"clientNew", "(Lio/nativeauth/HostBridge;[Ljava/lang/String;III)J", NA_NATIVE(client_new)},
      {"checkFree", "(J)V", NA_NATIVE(check_free)},
      {"clientFree", "(J)V", NA_NATIVE(client_free)},
      {"accessToken", "(JIZ)Lio/nativeauth/AccessToken;", NA_NATIVE(access_token)},
      {"session", "(J)Lio/nativeauth/Session;", NA_NATIVE(session)},
      {"signOut", "(JZ)Lio/nativeauth/SignOutReport;", NA_NATIVE(sign_out)},
      {"liveGlobalRefs", "()I", NA_NATIVE(live_global_refs)},
      {"onLoadCount", "()I", NA_NATIVE(onload_count)},
      {"version", "()Ljava/lang/String;", NA_NATIVE(version)},
  };
  return (*env)->RegisterNatives(env, native_class, methods, (jint)(sizeof methods / sizeof methods[0]));
}
