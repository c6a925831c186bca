/* SPDX-License-Identifier: Apache-2.0 */
/* A full sign-in through the C ABI, compiled as C, against the real provider and headless browser, with
   every host callback implemented in C (browser launcher, memory keychain, log sink, events):
     capi_sign_in_test loopback       loopback redirect, access token, forced refresh, sign-out everywhere
     capi_sign_in_test custom_scheme  com.example.app:/callback handed back by the host; wrong scheme/state
                                      refused; a host keychain that fails to save fails the sign-in */
#define _XOPEN_SOURCE 700
#include <nativeauth_c/nativeauth.h>

#include "host_store.h"
#include "support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static na_provider provider;

static nativeauth_client *make_client(test_host *h, const nativeauth_host *callbacks, const char *redirect_uri) {
  nativeauth_client_options o = NATIVEAUTH_CLIENT_OPTIONS_INIT;
  nativeauth_client *c = NULL;
  (void)h;
  o.issuer = provider.issuer;
  o.client_id = "nativeauth-test";
  o.redirect_uri = redirect_uri;
  o.log_level = NATIVEAUTH_LOG_TRACE; /* everything, so the secret check below sees every line */
  o.host = callbacks;
  NA_CHECK_RC(nativeauth_client_new(&c, &o), 0);
  return c;
}

/* No token may ever reach the log sink. */
static void check_not_logged(test_host *h, const char *secret) {
  char probe[24];
  if (!secret || !h->log_text) return;
  snprintf(probe, sizeof probe, "%.20s", secret);
  NA_CHECK(strstr(h->log_text, probe) == NULL);
}

static void loopback(void) {
  test_host h;
  nativeauth_host callbacks;
  nativeauth_client *c;
  nativeauth_sign_in *p = NULL;
  nativeauth_sign_in_options so = NATIVEAUTH_SIGN_IN_OPTIONS_INIT;
  nativeauth_access_token_options force = NATIVEAUTH_ACCESS_TOKEN_OPTIONS_INIT;
  nativeauth_session_info *info = NULL;
  nativeauth_sign_out_report *report = NULL;
  char *t1 = NULL, *t2 = NULL, *t3 = NULL;
  int64_t expires = 0;
  uint64_t sub = 0;

  NA_CHECK(test_host_init(&h) == 0);
  callbacks = test_host_callbacks(&h);
  c = make_client(&h, &callbacks, NULL);
  if (!c) goto out;
  NA_CHECK_RC(nativeauth_client_subscribe(&sub, c, test_host_on_event, &h), 0);
  NA_CHECK_RC(nativeauth_client_session(&info, c), 0);
  NA_CHECK(info == NULL); /* nobody signed in yet */

  so.on_complete = test_host_on_complete;
  so.payload = &h;
  h.action = "login";
  NA_CHECK_RC(nativeauth_sign_in_start(&p, c, &so), 0);
  NA_CHECK_RC(nativeauth_sign_in_wait(p, -1), 0);
  NA_CHECK(test_host_wait_browser(&h) == 0);
  NA_CHECK_RC(nativeauth_sign_in_poll(p), 0); /* the outcome stays readable */
  nativeauth_sign_in_free(p);                 /* joins: the completion callback has run */
  NA_CHECK(h.completed == 1);
  NA_CHECK(h.complete_rc == 0);
  NA_CHECK(h.browsers_started == 1);
  NA_CHECK(h.nslots == 1); /* stored through the host's save_slot, in C memory */

  NA_CHECK_RC(nativeauth_client_session(&info, c), 0);
  NA_CHECK(info != NULL);
  if (info) {
    NA_CHECK(strcmp(info->subject, "alice") == 0);
    NA_CHECK(strcmp(info->name, "Alice Example") == 0);
    NA_CHECK(strcmp(info->client_id, "nativeauth-test") == 0);
    NA_CHECK(strcmp(info->issuer, provider.issuer) == 0);
    NA_CHECK(strstr(info->claims_json, "\"sub\":\"alice\"") != NULL);
    NA_CHECK(strstr(info->scopes, "openid") != NULL);
    NA_CHECK(info->has_refresh_token == 1);
    NA_CHECK(info->access_token_expiry > (int64_t)time(NULL));
    nativeauth_session_info_free(info);
  }

  NA_CHECK_RC(nativeauth_client_access_token(&t1, &expires, c, NULL), 0);
  NA_CHECK(t1 != NULL && strlen(t1) > 10);
  NA_CHECK(expires > (int64_t)time(NULL));
  force.force_refresh = 1;
  NA_CHECK_RC(nativeauth_client_access_token(&t2, NULL, c, &force), 0);
  NA_CHECK(t1 && t2 && strcmp(t1, t2) != 0); /* a real refresh at the provider */
  NA_CHECK(h.events[NATIVEAUTH_EVENT_SIGNED_IN] == 1);
  NA_CHECK(h.events[NATIVEAUTH_EVENT_REFRESHED] == 1);

  /* Sign out everywhere: revoke, end the provider session in the host's browser, erase the slot. */
  h.action = "logout";
  NA_CHECK_RC(nativeauth_client_sign_out(&report, c, NULL), 0);
  NA_CHECK(report != NULL);
  if (report) {
    NA_CHECK(report->slots_erased == 1);
    NA_CHECK(report->tokens_revoked == 1);
    NA_CHECK(report->provider_session_ended == 1);
    NA_CHECK(report->problem_count == 0);
    if (report->problem_count) fprintf(stderr, "sign-out problems: %s\n", report->problems);
    nativeauth_sign_out_report_free(report);
  }
  NA_CHECK(test_host_wait_browser(&h) == 0);
  NA_CHECK(h.nslots == 0); /* erased through the host's erase_slot */
  NA_CHECK(h.events[NATIVEAUTH_EVENT_SIGNED_OUT] == 1);
  NA_CHECK_RC(nativeauth_client_access_token(&t3, NULL, c, NULL), NATIVEAUTH_E_SIGN_IN_REQUIRED);
  NA_CHECK(t3 == NULL);
  NA_CHECK(strcmp(nativeauth_error_last()->name, "sign_in_required") == 0);

  NA_CHECK_RC(nativeauth_client_unsubscribe(c, sub), 0);
  check_not_logged(&h, t1);
  check_not_logged(&h, t2);
  NA_CHECK(h.log_len > 0);
  nativeauth_secret_free(t1);
  nativeauth_secret_free(t2);
  nativeauth_client_free(c);
out:
  test_host_destroy(&h);
}

static char *with_param(const char *url, const char *name, const char *value) {
  char *old = na_query_param(url, name);
  const char *at;
  char *out;
  size_t prefix;
  if (!old) return NULL;
  at = strstr(url, name);
  prefix = (size_t)(at - url) + strlen(name) + 1;
  out = (char *)malloc(strlen(url) + strlen(value) + 1);
  if (out) {
    memcpy(out, url, prefix);
    strcpy(out + prefix, value);
    strcat(out, at + strlen(name) + 1 + strlen(old));
  }
  free(old);
  return out;
}

static void custom_scheme(void) {
  test_host h;
  nativeauth_host callbacks;
  nativeauth_client *c;
  nativeauth_sign_in *p = NULL;
  nativeauth_sign_in_options so = NATIVEAUTH_SIGN_IN_OPTIONS_INIT;
  nativeauth_sign_out_options local = NATIVEAUTH_SIGN_OUT_OPTIONS_INIT;
  nativeauth_sign_out_report *report = NULL;
  nativeauth_session_info *info = NULL;
  char result_path[256];
  char *result = NULL, *url = NULL, *other_scheme = NULL, *foreign_state = NULL, *code = NULL, *token = NULL;

  NA_CHECK(test_host_init(&h) == 0);
  callbacks = test_host_callbacks(&h);
  c = make_client(&h, &callbacks, "com.example.app:/callback");
  if (!c) goto out;
  so.on_complete = test_host_on_complete;
  so.payload = &h;
  NA_CHECK_RC(nativeauth_sign_in_start(&p, c, &so), 0);
  /* The browser ends on com.example.app:/callback?...; the OS would hand that URL to the app. */
  NA_CHECK(test_host_wait_browser(&h) == 0);
  test_host_result_path(&h, result_path, sizeof result_path);
  result = na_read_file(result_path);
  NA_CHECK(result != NULL);
  if (!result) goto out;
  NA_CHECK(na_json_true(result, "custom_scheme"));
  url = na_json_string(result, "redirect_url");
  NA_CHECK(url != NULL && strncmp(url, "com.example.app:/callback?", 26) == 0);
  if (!url || strncmp(url, "com.example.app:/callback?", 26) != 0) goto out;
  code = na_query_param(url, "code");
  NA_CHECK(code != NULL);

  NA_CHECK_RC(nativeauth_sign_in_poll(p), NATIVEAUTH_E_IN_PROGRESS); /* waiting for the redirect */
  /* Refused, and the sign-in keeps waiting: another app's scheme, a state of no pending sign-in. */
  other_scheme = (char *)malloc(strlen(url) + 8);
  if (other_scheme) {
    sprintf(other_scheme, "com.other.app:/callback%s", strchr(url, '?'));
    NA_CHECK_RC(nativeauth_sign_in_handle_redirect(p, other_scheme), NATIVEAUTH_E_INVALID_REDIRECT);
    NA_CHECK(strcmp(nativeauth_error_last()->name, "invalid_redirect") == 0);
    NA_CHECK(code && strstr(nativeauth_error_last()->message, code) == NULL);
  }
  foreign_state = with_param(url, "state", "not-the-pending-state");
  NA_CHECK(foreign_state != NULL);
  if (foreign_state) {
    NA_CHECK_RC(nativeauth_sign_in_handle_redirect(p, foreign_state), NATIVEAUTH_E_STATE_MISMATCH);
    NA_CHECK(code && strstr(nativeauth_error_last()->message, code) == NULL);
  }
  NA_CHECK_RC(nativeauth_sign_in_handle_redirect(p, NULL), NATIVEAUTH_E_INVALID_ARGUMENT);
  /* What a second instance of the app does: forward through the per-slot channel. The waiting sign-in's
     verdict comes back; a URL for another scheme is refused before anything is sent. */
  {
    nativeauth_client_options fo = NATIVEAUTH_CLIENT_OPTIONS_INIT;
    fo.issuer = provider.issuer;
    fo.client_id = "nativeauth-test";
    fo.redirect_uri = "com.example.app:/callback";
    if (foreign_state) NA_CHECK_RC(nativeauth_forward_redirect(&fo, foreign_state), NATIVEAUTH_E_STATE_MISMATCH);
    if (other_scheme) NA_CHECK_RC(nativeauth_forward_redirect(&fo, other_scheme), NATIVEAUTH_E_INVALID_REDIRECT);
    fo.profile = "another-profile"; /* another slot: nobody waits there */
    if (foreign_state) NA_CHECK_RC(nativeauth_forward_redirect(&fo, foreign_state), NATIVEAUTH_E_NO_PENDING_SIGN_IN);
  }
  NA_CHECK_RC(nativeauth_sign_in_poll(p), NATIVEAUTH_E_IN_PROGRESS);

  NA_CHECK_RC(nativeauth_sign_in_handle_redirect(p, url), 0);
  NA_CHECK_RC(nativeauth_sign_in_wait(p, -1), 0);
  NA_CHECK_RC(nativeauth_sign_in_handle_redirect(p, url), NATIVEAUTH_E_NO_PENDING_SIGN_IN);
  nativeauth_sign_in_free(p);
  NA_CHECK(h.completed == 1 && h.complete_rc == 0);

  NA_CHECK_RC(nativeauth_client_session(&info, c), 0);
  NA_CHECK(info && strcmp(info->subject, "alice") == 0);
  nativeauth_session_info_free(info);
  NA_CHECK_RC(nativeauth_client_access_token(&token, NULL, c, NULL), 0);
  check_not_logged(&h, token);
  check_not_logged(&h, code);
  nativeauth_secret_free(token);

  /* Sign out locally: no browser, no revocation, the slot in C memory is gone. */
  local.local_only = 1;
  NA_CHECK_RC(nativeauth_client_sign_out(&report, c, &local), 0);
  NA_CHECK(report && report->slots_erased == 1 && report->tokens_revoked == 0);
  nativeauth_sign_out_report_free(report);
  NA_CHECK(h.nslots == 0);
  NA_CHECK(h.browsers_started == 1);

  /* The host's keychain refuses the new session: the sign-in fails with the store's error, given to the
     completion callback and to the waiter, and nothing is left behind. */
  h.fail_save = -3;
  h.completed = 0;
  NA_CHECK_RC(nativeauth_sign_in_start(&p, c, &so), 0);
  NA_CHECK(test_host_wait_browser(&h) == 0);
  free(url);
  url = NULL;
  free(result);
  result = na_read_file(result_path);
  if (result) url = na_json_string(result, "redirect_url");
  NA_CHECK(url != NULL);
  if (url) NA_CHECK_RC(nativeauth_sign_in_handle_redirect(p, url), 0);
  NA_CHECK_RC(nativeauth_sign_in_wait(p, -1), NATIVEAUTH_E_STORAGE_UNAVAILABLE);
  NA_CHECK(strstr(nativeauth_error_last()->message, "save_slot callback failed (returned -3)") != NULL);
  nativeauth_sign_in_free(p);
  NA_CHECK(h.completed == 1 && h.complete_rc == NATIVEAUTH_E_STORAGE_UNAVAILABLE);
  NA_CHECK(h.nslots == 0);
  NA_CHECK_RC(nativeauth_client_session(&info, c), 0);
  NA_CHECK(info == NULL);
  nativeauth_client_free(c);
out:
  free(result);
  free(url);
  free(other_scheme);
  free(foreign_state);
  free(code);
  test_host_destroy(&h);
}

int main(int argc, char **argv) {
  const char *which = argc > 1 ? argv[1] : "";
  if (na_provider_start(&provider) != 0) return 1;
  if (strcmp(which, "loopback") == 0) {
    loopback();
  } else if (strcmp(which, "custom_scheme") == 0) {
    custom_scheme();
  } else {
    fprintf(stderr, "usage: capi_sign_in_test loopback|custom_scheme\n");
    ++na_failures;
  }
  na_provider_stop(&provider);
  if (na_failures) fprintf(stderr, "%s: %d check(s) failed\n", which, na_failures);
  else printf("%s: ok\n", which);
  return na_failures ? 1 : 0;
}
