/* SPDX-License-Identifier: Apache-2.0 */
/* Error paths through the C ABI, compiled as C: each a documented code and message, never a crash
   (ctest runs it under ASan/UBSan in the sanitizer build).
     capi_errors_test args    bad struct versions, NULL arguments, invalid options, version functions (no network)
     capi_errors_test store   host store callbacks that fail (no network)
     capi_errors_test cancel  a sign-in cancelled while it waits, cancelled before it started, freed while
                         running, timed out (the real provider; no browser)
     capi_errors_test max_age  max_age_s at INT64_MAX is sent clamped, a negative one not at all (the real
                         provider; no browser; UBSan in the sanitizer build)
     capi_errors_test free_in_callback  a sign-in freed from its on_authorization_url and from the host's
                         open_url, before it finished: on_complete still runs, with no handle to touch (the
                         real provider; no browser; ASan in the sanitizer build sees any use after free) */
#define _XOPEN_SOURCE 700
#include <nativeauth_c/nativeauth.h>

#include "host_store.h"
#include "support.h"

#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A loopback issuer nobody listens on: creating a client needs no network. */
static const char *const kIssuer = "http://127.0.0.1:9/";

static int last_mentions(const char *text) { return strstr(nativeauth_error_last()->message, text) != NULL; }

static int no_key(nativeauth_key_result *r, const nativeauth_slot_key *s, const char *a, void *p) {
  (void)r, (void)s, (void)a, (void)p;
  return -1;
}

/* Version 3 of the options (dpop, host_keys): an older caller's struct ends before them, so nothing is
   written there by _init and whatever lies there is never read; a version 3 struct is checked. */
static void options_version_3(void) {
  nativeauth_client_options init;
  nativeauth_client_options o = NATIVEAUTH_CLIENT_OPTIONS_INIT;
  nativeauth_host_keys keys = NATIVEAUTH_HOST_KEYS_INIT;
  nativeauth_client *c = NULL;
  char *auth = (char *)&o, *dpop = (char *)&o;

  memset(&init, 0xAB, sizeof init);
  NA_CHECK_RC(nativeauth_client_options_init(&init, 2), 0);
  NA_CHECK(init.version == 2 && init.pushed_authorization == NATIVEAUTH_PUSHED_AUTHORIZATION_WHEN_REQUIRED);
  {
    const unsigned char *bytes = (const unsigned char *)&init;
    size_t i, untouched = 0;
    for (i = offsetof(nativeauth_client_options, dpop); i < sizeof init; ++i) untouched += bytes[i] == 0xAB;
    NA_CHECK(untouched == sizeof init - offsetof(nativeauth_client_options, dpop));
  }
  NA_CHECK_RC(nativeauth_client_options_init(&init, 3), 0);
  NA_CHECK(init.version == 3 && init.dpop == NATIVEAUTH_DPOP_OFF && init.host_keys == NULL);

  o.issuer = kIssuer;
  o.client_id = "nativeauth-test";
  o.storage = NATIVEAUTH_STORAGE_MEMORY;
  o.dpop = 9;
  o.host_keys = (const nativeauth_host_keys *)(uintptr_t)1; /* never dereferenced unless version 3 */
  NA_CHECK_RC(nativeauth_client_new(&c, &o), NATIVEAUTH_E_INVALID_ARGUMENT);
  NA_CHECK(last_mentions("dpop 9 is not a nativeauth_dpop"));
  o.version = 2; /* an app built against version 2: dpop off, whatever the bytes after its struct hold */
  NA_CHECK_RC(nativeauth_client_new(&c, &o), 0);
  nativeauth_client_free(c);
  c = NULL;
  o.version = 1;
  NA_CHECK_RC(nativeauth_client_new(&c, &o), 0);
  nativeauth_client_free(c);
  c = NULL;

  o.version = NATIVEAUTH_CLIENT_OPTIONS_VERSION;
  o.dpop = NATIVEAUTH_DPOP_REQUIRED;
  o.host_keys = &keys;
  keys.version = 7;
  NA_CHECK_RC(nativeauth_client_new(&c, &o), NATIVEAUTH_E_UNSUPPORTED_VERSION);
  NA_CHECK(last_mentions("nativeauth_host_keys.version is 7"));
  NA_CHECK_RC(nativeauth_host_keys_init(&keys, 2), NATIVEAUTH_E_UNSUPPORTED_VERSION);
  NA_CHECK_RC(nativeauth_host_keys_init(NULL, 1), NATIVEAUTH_E_INVALID_ARGUMENT);
  NA_CHECK_RC(nativeauth_host_keys_init(&keys, NATIVEAUTH_HOST_KEYS_VERSION), 0);
  NA_CHECK(keys.version == NATIVEAUTH_HOST_KEYS_VERSION && keys.sign_key == NULL);
  keys.create_key = no_key; /* sign_key and delete_key missing */
  NA_CHECK_RC(nativeauth_client_new(&c, &o), NATIVEAUTH_E_INVALID_ARGUMENT);
  NA_CHECK(last_mentions("create_key, sign_key and delete_key must be set"));
  NA_CHECK(c == NULL);
  o.host_keys = NULL;
  NA_CHECK_RC(nativeauth_client_new(&c, &o), 0);

  NA_CHECK_RC(nativeauth_client_authorize(NULL, &dpop, NULL, c, "GET", kIssuer, NULL), NATIVEAUTH_E_INVALID_ARGUMENT);
  NA_CHECK_RC(nativeauth_client_authorize(&auth, &dpop, NULL, NULL, "GET", kIssuer, NULL),
              NATIVEAUTH_E_INVALID_ARGUMENT);
  NA_CHECK(auth == NULL && dpop == NULL);
  NA_CHECK_RC(nativeauth_client_authorize(&auth, &dpop, NULL, c, "GET", kIssuer, NULL), NATIVEAUTH_E_SIGN_IN_REQUIRED);
  NA_CHECK(auth == NULL && dpop == NULL);
  NA_CHECK_RC(nativeauth_key_result_set_key(NULL, (const uint8_t *)"k", 1, "{}"), NATIVEAUTH_E_INVALID_ARGUMENT);
  NA_CHECK_RC(nativeauth_key_result_set_signature(NULL, (const uint8_t *)"s", 1), NATIVEAUTH_E_INVALID_ARGUMENT);
  NA_CHECK_RC(nativeauth_key_result_set_error(NULL, "x"), NATIVEAUTH_E_INVALID_ARGUMENT);
  nativeauth_client_free(c);
}

static void args(void) {
  nativeauth_client_options o = NATIVEAUTH_CLIENT_OPTIONS_INIT;
  nativeauth_client_options init;
  nativeauth_host host = NATIVEAUTH_HOST_INIT;
  nativeauth_client *c = (nativeauth_client *)&o; /* must be reset to NULL on failure */
  nativeauth_sign_in *p = NULL;
  nativeauth_sign_in_options so = NATIVEAUTH_SIGN_IN_OPTIONS_INIT;
  nativeauth_access_token_options ao = NATIVEAUTH_ACCESS_TOKEN_OPTIONS_INIT;
  nativeauth_sign_out_options oo = NATIVEAUTH_SIGN_OUT_OPTIONS_INIT;
  char *token = NULL;
  uint64_t id = 0;
  nativeauth_session_info *info = NULL;

  NA_CHECK(strlen(nativeauth_version()) > 0);
  NA_CHECK(nativeauth_c_abi_version() == NATIVEAUTH_C_ABI_VERSION);
  NA_CHECK(nativeauth_error_last() != NULL);
  NA_CHECK(strcmp(nativeauth_error_code_name(NATIVEAUTH_E_ACCESS_DENIED), "access_denied") == 0);
  NA_CHECK(strcmp(nativeauth_error_code_name(NATIVEAUTH_E_IN_PROGRESS), "in_progress") == 0);
  NA_CHECK(strcmp(nativeauth_error_code_name(-99999), "unknown") == 0);
  NA_CHECK(strcmp(nativeauth_error_code_name(12), "unknown") == 0);

  /* Struct versions: 0 (never initialised) and newer than this library are refused. */
  o.issuer = kIssuer;
  o.client_id = "nativeauth-test";
  o.storage = NATIVEAUTH_STORAGE_MEMORY;
  o.version = 0;
  NA_CHECK_RC(nativeauth_client_new(&c, &o), NATIVEAUTH_E_UNSUPPORTED_VERSION);
  NA_CHECK(c == NULL);
  NA_CHECK(last_mentions("_INIT"));
  NA_CHECK(strcmp(nativeauth_error_last()->name, "unsupported_version") == 0);
  o.version = NATIVEAUTH_CLIENT_OPTIONS_VERSION + 1;
  NA_CHECK_RC(nativeauth_client_new(&c, &o), NATIVEAUTH_E_UNSUPPORTED_VERSION);
  NA_CHECK(last_mentions("newer"));
  o.version = NATIVEAUTH_CLIENT_OPTIONS_VERSION;
  host.version = 7;
  o.host = &host;
  NA_CHECK_RC(nativeauth_client_new(&c, &o), NATIVEAUTH_E_UNSUPPORTED_VERSION);
  NA_CHECK(last_mentions("nativeauth_host.version is 7"));
  NA_CHECK_RC(nativeauth_client_options_init(&init, 4), NATIVEAUTH_E_UNSUPPORTED_VERSION);
  /* Version 1 callers have a struct that ends before pushed_authorization: nothing is written there. */
  memset(&init, 0xAB, sizeof init);
  NA_CHECK_RC(nativeauth_client_options_init(&init, 1), 0);
  NA_CHECK(init.version == 1 && init.log_level == NATIVEAUTH_LOG_INFO && init.issuer == NULL);
  NA_CHECK(init.pushed_authorization == (int32_t)0xABABABABu);
  NA_CHECK_RC(nativeauth_client_options_init(&init, 2), 0);
  NA_CHECK(init.version == 2 && init.pushed_authorization == NATIVEAUTH_PUSHED_AUTHORIZATION_WHEN_REQUIRED);
  NA_CHECK_RC(nativeauth_host_init(&host, 99), NATIVEAUTH_E_UNSUPPORTED_VERSION);
  NA_CHECK_RC(nativeauth_host_init(&host, NATIVEAUTH_HOST_VERSION), 0);
  NA_CHECK_RC(nativeauth_sign_in_options_init(&so, 0), NATIVEAUTH_E_UNSUPPORTED_VERSION);
  NA_CHECK_RC(nativeauth_sign_in_options_init(&so, 1), 0);
  NA_CHECK(so.max_age_s < 0);
  {
    /* pushed_authorization (version 2): an unknown value is refused; a version 1 struct has no such field,
       so whatever lies there is never read. */
    nativeauth_client_options po = NATIVEAUTH_CLIENT_OPTIONS_INIT;
    nativeauth_client *pc = NULL;
    po.issuer = kIssuer;
    po.client_id = "nativeauth-test";
    po.storage = NATIVEAUTH_STORAGE_MEMORY;
    po.pushed_authorization = 7;
    NA_CHECK_RC(nativeauth_client_new(&pc, &po), NATIVEAUTH_E_INVALID_ARGUMENT);
    NA_CHECK(last_mentions("pushed_authorization 7"));
    po.version = 1;
    NA_CHECK_RC(nativeauth_client_new(&pc, &po), 0);
    nativeauth_client_free(pc);
    pc = NULL;
    po.version = NATIVEAUTH_CLIENT_OPTIONS_VERSION;
    po.pushed_authorization = NATIVEAUTH_PUSHED_AUTHORIZATION_ALWAYS;
    NA_CHECK_RC(nativeauth_client_new(&pc, &po), 0);
    nativeauth_client_free(pc);
  }

  options_version_3();

  /* Store callbacks come as a set of four. */
  host.load_slot = NULL;
  host.save_slot = NULL;
  {
    test_host h;
    nativeauth_host partial;
    NA_CHECK(test_host_init(&h) == 0);
    partial = test_host_callbacks(&h);
    partial.list_slots = NULL;
    o.host = &partial;
    NA_CHECK_RC(nativeauth_client_new(&c, &o), NATIVEAUTH_E_INVALID_ARGUMENT);
    NA_CHECK(last_mentions("all set or all NULL"));
    test_host_destroy(&h);
  }
  o.host = NULL;

  /* NULL arguments. */
  NA_CHECK_RC(nativeauth_client_new(NULL, &o), NATIVEAUTH_E_INVALID_ARGUMENT);
  NA_CHECK(last_mentions("out is NULL"));
  NA_CHECK_RC(nativeauth_client_new(&c, NULL), NATIVEAUTH_E_INVALID_ARGUMENT);
  NA_CHECK(last_mentions("options is NULL"));
  NA_CHECK_RC(nativeauth_client_options_init(NULL, 1), NATIVEAUTH_E_INVALID_ARGUMENT);
  NA_CHECK_RC(nativeauth_sign_in_start(&p, NULL, NULL), NATIVEAUTH_E_INVALID_ARGUMENT);
  NA_CHECK(p == NULL);
  NA_CHECK_RC(nativeauth_sign_in_wait(NULL, 0), NATIVEAUTH_E_INVALID_ARGUMENT);
  NA_CHECK_RC(nativeauth_sign_in_poll(NULL), NATIVEAUTH_E_INVALID_ARGUMENT);
  NA_CHECK_RC(nativeauth_sign_in_cancel(NULL), NATIVEAUTH_E_INVALID_ARGUMENT);
  NA_CHECK_RC(nativeauth_sign_in_handle_redirect(NULL, "com.example.app:/callback"), NATIVEAUTH_E_INVALID_ARGUMENT);
  NA_CHECK_RC(nativeauth_forward_redirect(NULL, "com.example.app:/callback"), NATIVEAUTH_E_INVALID_ARGUMENT);
  NA_CHECK_RC(nativeauth_forward_redirect(&o, NULL), NATIVEAUTH_E_INVALID_ARGUMENT);
  NA_CHECK_RC(nativeauth_client_access_token(NULL, NULL, NULL, NULL), NATIVEAUTH_E_INVALID_ARGUMENT);
  NA_CHECK_RC(nativeauth_client_access_token(&token, NULL, NULL, NULL), NATIVEAUTH_E_INVALID_ARGUMENT);
  NA_CHECK_RC(nativeauth_client_session(NULL, NULL), NATIVEAUTH_E_INVALID_ARGUMENT);
  NA_CHECK_RC(nativeauth_client_sign_out(NULL, NULL, NULL), NATIVEAUTH_E_INVALID_ARGUMENT);
  NA_CHECK_RC(nativeauth_client_subscribe(&id, NULL, test_host_on_event, NULL), NATIVEAUTH_E_INVALID_ARGUMENT);
  NA_CHECK_RC(nativeauth_client_unsubscribe(NULL, 1), NATIVEAUTH_E_INVALID_ARGUMENT);
  NA_CHECK_RC(nativeauth_slot_record_set(NULL, "x", 1), NATIVEAUTH_E_INVALID_ARGUMENT);
  NA_CHECK_RC(nativeauth_slot_list_add(NULL, NULL), NATIVEAUTH_E_INVALID_ARGUMENT);
  /* Every _free accepts NULL. */
  nativeauth_client_free(NULL);
  nativeauth_sign_in_free(NULL);
  nativeauth_session_info_free(NULL);
  nativeauth_sign_out_report_free(NULL);
  nativeauth_string_free(NULL);
  nativeauth_secret_free(NULL);

  /* Invalid options: the C++ validation's code and message come through. */
  o.issuer = NULL;
  NA_CHECK_RC(nativeauth_client_new(&c, &o), NATIVEAUTH_E_INVALID_ARGUMENT);
  NA_CHECK(last_mentions("issuer is required"));
  o.issuer = "http://example.com";
  NA_CHECK_RC(nativeauth_client_new(&c, &o), NATIVEAUTH_E_INSECURE_URL);
  o.issuer = kIssuer;
  o.redirect_uri = "myapp:/callback";
  NA_CHECK_RC(nativeauth_client_new(&c, &o), NATIVEAUTH_E_INVALID_CONFIGURATION);
  o.redirect_uri = NULL;
  o.storage = 9;
  NA_CHECK_RC(nativeauth_client_new(&c, &o), NATIVEAUTH_E_INVALID_ARGUMENT);
  NA_CHECK(last_mentions("storage 9"));
  o.storage = NATIVEAUTH_STORAGE_MEMORY;
  o.log_level = 42;
  NA_CHECK_RC(nativeauth_client_new(&c, &o), NATIVEAUTH_E_INVALID_ARGUMENT);
  o.log_level = NATIVEAUTH_LOG_OFF;
  o.scopes = "openid bad\"scope";
  NA_CHECK_RC(nativeauth_client_new(&c, &o), NATIVEAUTH_E_INVALID_ARGUMENT);
  o.scopes = NULL;

  /* A valid client, then bad per-call options. */
  NA_CHECK_RC(nativeauth_client_new(&c, &o), 0);
  NA_CHECK(nativeauth_error_last()->code == 0); /* a success resets the last error */
  NA_CHECK(strcmp(nativeauth_error_last()->message, "no error") == 0);
  so.version = 9;
  NA_CHECK_RC(nativeauth_sign_in_start(&p, c, &so), NATIVEAUTH_E_UNSUPPORTED_VERSION);
  NA_CHECK(p == NULL);
  so.version = NATIVEAUTH_SIGN_IN_OPTIONS_VERSION;
  so.extra_params_count = 1;
  NA_CHECK_RC(nativeauth_sign_in_start(&p, c, &so), NATIVEAUTH_E_INVALID_ARGUMENT);
  so.extra_params_count = 0;
  ao.version = 0;
  NA_CHECK_RC(nativeauth_client_access_token(&token, NULL, c, &ao), NATIVEAUTH_E_UNSUPPORTED_VERSION);
  oo.version = 2;
  NA_CHECK_RC(nativeauth_client_sign_out(NULL, c, &oo), NATIVEAUTH_E_UNSUPPORTED_VERSION);
  NA_CHECK_RC(nativeauth_client_subscribe(&id, c, NULL, NULL), NATIVEAUTH_E_INVALID_ARGUMENT);
  /* Nobody signed in: no session (not an error), and no token (an error). */
  NA_CHECK_RC(nativeauth_client_session(&info, c), 0);
  NA_CHECK(info == NULL);
  NA_CHECK_RC(nativeauth_client_access_token(&token, NULL, c, NULL), NATIVEAUTH_E_SIGN_IN_REQUIRED);
  NA_CHECK(token == NULL);
  nativeauth_client_free(c);
}

static void store(void) {
  test_host h;
  nativeauth_host callbacks;
  nativeauth_client_options o = NATIVEAUTH_CLIENT_OPTIONS_INIT;
  nativeauth_client *c = NULL;
  nativeauth_session_info *info = NULL;
  char *token = NULL;

  NA_CHECK(test_host_init(&h) == 0);
  callbacks = test_host_callbacks(&h);
  o.issuer = kIssuer;
  o.client_id = "nativeauth-test";
  o.host = &callbacks;
  NA_CHECK_RC(nativeauth_client_new(&c, &o), 0);
  if (!c) goto out;

  h.fail_load = -1; /* a host failure that is no nativeauth code */
  NA_CHECK_RC(nativeauth_client_session(&info, c), NATIVEAUTH_E_STORAGE_UNAVAILABLE);
  NA_CHECK(info == NULL);
  NA_CHECK(last_mentions("load_slot callback failed (returned -1)"));
  NA_CHECK(h.loads == 1);
  NA_CHECK_RC(nativeauth_client_access_token(&token, NULL, c, NULL), NATIVEAUTH_E_STORAGE_UNAVAILABLE);
  NA_CHECK(token == NULL);

  h.fail_load = NATIVEAUTH_E_STORAGE_LOCKED; /* e.g. iOS before first unlock: passed on as it is */
  NA_CHECK_RC(nativeauth_client_session(&info, c), NATIVEAUTH_E_STORAGE_LOCKED);
  NA_CHECK(nativeauth_error_last()->transient == 1);

  h.fail_load = 0;
  NA_CHECK_RC(nativeauth_client_session(&info, c), 0);
  NA_CHECK(info == NULL);
  /* Sign-out reads the slot first: a failing store fails it, a working empty one lets it succeed. */
  {
    nativeauth_sign_out_options local = NATIVEAUTH_SIGN_OUT_OPTIONS_INIT;
    nativeauth_sign_out_report *report = NULL;
    local.local_only = 1;
    h.fail_load = -5;
    NA_CHECK_RC(nativeauth_client_sign_out(&report, c, &local), NATIVEAUTH_E_STORAGE_UNAVAILABLE);
    NA_CHECK(report == NULL);
    NA_CHECK(last_mentions("returned -5"));
    h.fail_load = 0;
    NA_CHECK_RC(nativeauth_client_sign_out(&report, c, &local), 0);
    NA_CHECK(report && report->slots_erased == 0 && strcmp(report->problems, "") == 0);
    nativeauth_sign_out_report_free(report);
  }
  nativeauth_client_free(c);
out:
  test_host_destroy(&h);
}

static void free_from_callback(nativeauth_sign_in *sign_in, int error, const nativeauth_error *detail, void *payload) {
  test_host *h = (test_host *)payload;
  (void)detail;
  nativeauth_sign_in_free(sign_in); /* allowed: the thread ends right after */
  test_host_on_complete(NULL, error, detail, h);
}

static void cancel(void) {
  na_provider provider;
  test_host h;
  nativeauth_host callbacks;
  nativeauth_client_options o = NATIVEAUTH_CLIENT_OPTIONS_INIT;
  nativeauth_client *c = NULL;
  nativeauth_sign_in *p = NULL;
  nativeauth_sign_in_options so = NATIVEAUTH_SIGN_IN_OPTIONS_INIT;
  int i;

  if (na_provider_start(&provider) != 0) {
    ++na_failures;
    return;
  }
  NA_CHECK(test_host_init(&h) == 0);
  callbacks = test_host_callbacks(&h);
  o.issuer = provider.issuer;
  o.client_id = "nativeauth-test";
  o.redirect_uri = "com.example.app:/callback";
  o.host = &callbacks;
  NA_CHECK_RC(nativeauth_client_new(&c, &o), 0);
  if (!c) goto out;
  so.no_browser = 1; /* the app shows the URL itself: on_authorization_url tells the test it waits */
  so.on_authorization_url = test_host_on_url;
  so.on_complete = test_host_on_complete;
  so.payload = &h;

  /* Cancelled while it waits for the redirect. */
  NA_CHECK_RC(nativeauth_sign_in_start(&p, c, &so), 0);
  NA_CHECK(test_host_wait_url_shown(&h) == 0);
  NA_CHECK_RC(nativeauth_sign_in_poll(p), NATIVEAUTH_E_IN_PROGRESS);
  NA_CHECK_RC(nativeauth_sign_in_cancel(p), 0);
  NA_CHECK_RC(nativeauth_sign_in_wait(p, -1), NATIVEAUTH_E_CANCELLED);
  NA_CHECK(last_mentions("cancelled"));
  NA_CHECK_RC(nativeauth_sign_in_handle_redirect(p, "com.example.app:/callback?code=x&state=y"),
              NATIVEAUTH_E_NO_PENDING_SIGN_IN);
  nativeauth_sign_in_free(p);
  NA_CHECK(h.completed == 1 && h.complete_rc == NATIVEAUTH_E_CANCELLED);
  NA_CHECK(strcmp(h.complete_name, "cancelled") == 0);
  NA_CHECK(h.browsers_started == 0);

  /* Cancelled right after start, before Client::sign_in() may even have begun: never lost. */
  for (i = 0; i < 5; ++i) {
    NA_CHECK_RC(nativeauth_sign_in_start(&p, c, &so), 0);
    NA_CHECK_RC(nativeauth_sign_in_cancel(p), 0);
    NA_CHECK_RC(nativeauth_sign_in_wait(p, 60000), NATIVEAUTH_E_CANCELLED);
    nativeauth_sign_in_free(p);
  }

  /* Freed while running: cancels and joins, nothing outlives it; then freed from its own callback. */
  NA_CHECK_RC(nativeauth_sign_in_start(&p, c, &so), 0);
  nativeauth_sign_in_free(p);
  so.on_complete = free_from_callback;
  h.completed = 0;
  NA_CHECK_RC(nativeauth_sign_in_start(&p, c, &so), 0);
  NA_CHECK_RC(nativeauth_sign_in_cancel(p), 0);
  pthread_mutex_lock(&h.mutex);
  while (!h.completed) pthread_cond_wait(&h.cond, &h.mutex);
  pthread_mutex_unlock(&h.mutex);
  so.on_complete = test_host_on_complete;

  /* One sign-in at a time per client. */
  h.url_shown = 0;
  {
    nativeauth_sign_in *second = NULL;
    NA_CHECK_RC(nativeauth_sign_in_start(&p, c, &so), 0);
    NA_CHECK(test_host_wait_url_shown(&h) == 0);
    NA_CHECK_RC(nativeauth_sign_in_start(&second, c, NULL), 0);
    NA_CHECK_RC(nativeauth_sign_in_wait(second, -1), NATIVEAUTH_E_INVALID_ARGUMENT);
    NA_CHECK(last_mentions("already in progress"));
    nativeauth_sign_in_free(second);
    NA_CHECK_RC(nativeauth_sign_in_poll(p), NATIVEAUTH_E_IN_PROGRESS); /* the first one still waits */
    nativeauth_sign_in_free(p);
  }

  /* Nobody hands the redirect back in time (the real clock: the wait itself is what is tested). */
  so.timeout_s = 1;
  NA_CHECK_RC(nativeauth_sign_in_start(&p, c, &so), 0);
  NA_CHECK_RC(nativeauth_sign_in_wait(p, -1), NATIVEAUTH_E_TIMEOUT);
  NA_CHECK(last_mentions("did not return"));
  nativeauth_sign_in_free(p);

  /* No browser, and nobody to show the URL to. */
  so.timeout_s = 0;
  so.on_authorization_url = NULL;
  NA_CHECK_RC(nativeauth_sign_in_start(&p, c, &so), 0);
  NA_CHECK_RC(nativeauth_sign_in_wait(p, -1), NATIVEAUTH_E_BROWSER_UNAVAILABLE);
  nativeauth_sign_in_free(p);
  nativeauth_client_free(c);
out:
  test_host_destroy(&h);
  na_provider_stop(&provider);
}

/* One sign-in that shows its URL (no browser) and is cancelled; the URL's max_age parameter into `out`. */
static void max_age_sent(nativeauth_client *c, test_host *h, int64_t max_age_s, char *out, size_t size) {
  nativeauth_sign_in_options so = NATIVEAUTH_SIGN_IN_OPTIONS_INIT;
  nativeauth_sign_in *p = NULL;
  so.no_browser = 1;
  so.on_authorization_url = test_host_on_url;
  so.payload = h;
  so.max_age_s = max_age_s;
  h->url_shown = 0;
  out[0] = '\0';
  NA_CHECK_RC(nativeauth_sign_in_start(&p, c, &so), 0);
  if (!p) return;
  NA_CHECK(test_host_wait_url_shown(h) == 0);
  pthread_mutex_lock(&h->mutex);
  snprintf(out, size, "%s", h->url_max_age);
  pthread_mutex_unlock(&h->mutex);
  NA_CHECK_RC(nativeauth_sign_in_cancel(p), 0);
  NA_CHECK_RC(nativeauth_sign_in_wait(p, -1), NATIVEAUTH_E_CANCELLED);
  nativeauth_sign_in_free(p);
}

static void max_age(void) {
  na_provider provider;
  test_host h;
  nativeauth_client_options o = NATIVEAUTH_CLIENT_OPTIONS_INIT;
  nativeauth_client *c = NULL;
  char sent[32];

  if (na_provider_start(&provider) != 0) {
    ++na_failures;
    return;
  }
  NA_CHECK(test_host_init(&h) == 0);
  o.issuer = provider.issuer;
  o.client_id = "nativeauth-test";
  o.redirect_uri = "com.example.app:/callback";
  o.storage = NATIVEAUTH_STORAGE_MEMORY;
  NA_CHECK_RC(nativeauth_client_new(&c, &o), 0);
  if (c) {
    max_age_sent(c, &h, INT64_MAX, sent, sizeof sent); /* 68 years: what a 32-bit integer holds */
    NA_CHECK(strcmp(sent, "2147483647") == 0);
    max_age_sent(c, &h, 600, sent, sizeof sent);
    NA_CHECK(strcmp(sent, "600") == 0);
    max_age_sent(c, &h, -5, sent, sizeof sent); /* negative: not sent */
    NA_CHECK(strcmp(sent, "") == 0);
  }
  nativeauth_client_free(c);
  test_host_destroy(&h);
  na_provider_stop(&provider);
}

/* A host that frees its sign-in from a callback that runs before the sign-in finished. */
typedef struct early_free {
  pthread_mutex_t mutex;
  pthread_cond_t cond;
  nativeauth_sign_in *handle; /* published by the test once _start returned it */
  int completed, complete_rc, complete_had_handle, poll_rc;
} early_free;

static void early_free_now(early_free *e) {
  nativeauth_sign_in *handle;
  pthread_mutex_lock(&e->mutex);
  while (!e->handle) pthread_cond_wait(&e->cond, &e->mutex); /* the callback may run before _start returned */
  handle = e->handle;
  pthread_mutex_unlock(&e->mutex);
  nativeauth_sign_in_free(handle);
}

static void free_on_url(const char *url, int32_t browser_opened, void *payload) {
  (void)url;
  (void)browser_opened;
  early_free_now((early_free *)payload);
}

static int free_on_open_url(const char *url, void *payload) {
  (void)url;
  early_free_now((early_free *)payload);
  return 0; /* "the browser was asked": the sign-in goes on to wait, and the free's cancel ends it */
}

static void complete_after_free(nativeauth_sign_in *sign_in, int error, const nativeauth_error *detail, void *payload) {
  early_free *e = (early_free *)payload;
  /* What a host's completion does with the handle it is given: under ASan a freed one is reported here. */
  const int poll_rc = nativeauth_sign_in_poll(sign_in);
  (void)detail;
  pthread_mutex_lock(&e->mutex);
  e->completed = 1;
  e->complete_rc = error;
  e->complete_had_handle = sign_in != NULL;
  e->poll_rc = poll_rc;
  pthread_cond_broadcast(&e->cond);
  pthread_mutex_unlock(&e->mutex);
}

/* Waits (bounded, 60 s) for on_complete. 0 when it ran. */
static int wait_completed(early_free *e) {
  struct timespec deadline;
  int rc = 0;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += 60;
  pthread_mutex_lock(&e->mutex);
  while (!e->completed && rc != ETIMEDOUT) rc = pthread_cond_timedwait(&e->cond, &e->mutex, &deadline);
  rc = e->completed ? 0 : -1;
  pthread_mutex_unlock(&e->mutex);
  return rc;
}

/* One sign-in freed from on_authorization_url (no browser) or from the host's open_url (through_open_url). */
static void free_early_once(const char *issuer, int through_open_url) {
  early_free e;
  nativeauth_host host = NATIVEAUTH_HOST_INIT;
  nativeauth_client_options o = NATIVEAUTH_CLIENT_OPTIONS_INIT;
  nativeauth_sign_in_options so = NATIVEAUTH_SIGN_IN_OPTIONS_INIT;
  nativeauth_client *c = NULL;
  nativeauth_sign_in *p = NULL;

  memset(&e, 0, sizeof e);
  pthread_mutex_init(&e.mutex, NULL);
  pthread_cond_init(&e.cond, NULL);
  host.payload = &e;
  host.open_url = free_on_open_url;
  o.issuer = issuer;
  o.client_id = "nativeauth-test";
  o.redirect_uri = "com.example.app:/callback";
  o.storage = NATIVEAUTH_STORAGE_MEMORY;
  o.host = &host;
  NA_CHECK_RC(nativeauth_client_new(&c, &o), 0);
  if (!c) goto out;
  so.no_browser = !through_open_url;
  so.on_authorization_url = through_open_url ? NULL : free_on_url;
  so.on_complete = complete_after_free;
  so.payload = &e;
  NA_CHECK_RC(nativeauth_sign_in_start(&p, c, &so), 0);
  if (p) {
    pthread_mutex_lock(&e.mutex);
    e.handle = p; /* from here on the callback owns it: this thread never touches p again */
    pthread_cond_broadcast(&e.cond);
    pthread_mutex_unlock(&e.mutex);
    NA_CHECK(wait_completed(&e) == 0);
    NA_CHECK(e.complete_rc == NATIVEAUTH_E_CANCELLED); /* freeing a running sign-in cancels it */
    NA_CHECK(e.complete_had_handle == 0);              /* the freed handle is never handed back */
    NA_CHECK(e.poll_rc == NATIVEAUTH_E_INVALID_ARGUMENT);
  }
  nativeauth_client_free(c);
out:
  pthread_cond_destroy(&e.cond);
  pthread_mutex_destroy(&e.mutex);
}

static void free_in_callback(void) {
  na_provider provider;
  if (na_provider_start(&provider) != 0) {
    ++na_failures;
    return;
  }
  free_early_once(provider.issuer, 0);
  free_early_once(provider.issuer, 1);
  na_provider_stop(&provider);
}

int main(int argc, char **argv) {
  const char *which = argc > 1 ? argv[1] : "";
  if (strcmp(which, "args") == 0) {
    args();
  } else if (strcmp(which, "store") == 0) {
    store();
  } else if (strcmp(which, "cancel") == 0) {
    cancel();
  } else if (strcmp(which, "max_age") == 0) {
    max_age();
  } else if (strcmp(which, "free_in_callback") == 0) {
    free_in_callback();
  } else {
    fprintf(stderr, "usage: capi_errors_test args|store|cancel|max_age|free_in_callback\n");
    ++na_failures;
  }
  if (na_failures) fprintf(stderr, "%s: %d check(s) failed\n", which, na_failures);
  else printf("%s: ok\n", which);
  return na_failures ? 1 : 0;
}
