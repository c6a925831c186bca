/* SPDX-License-Identifier: Apache-2.0 */
/* The host side of the C tests, in C: a memory keychain, a browser launcher that runs the headless test
   browser, a log sink and an event counter, all behind nativeauth_host callbacks. */
#ifndef NATIVEAUTH_CAPI_TEST_HOST_STORE_H
#define NATIVEAUTH_CAPI_TEST_HOST_STORE_H

#include <nativeauth_c/nativeauth.h>

#include <pthread.h>
#include <sys/types.h>

#define TEST_HOST_MAX_SLOTS 8

typedef struct test_slot {
  char *issuer, *client_id, *profile;
  char *data;
  size_t size;
} test_slot;

typedef struct test_host {
  pthread_mutex_t mutex;
  pthread_cond_t cond;
  test_slot slots[TEST_HOST_MAX_SLOTS];
  int nslots, saves, erases, loads;
  int fail_load; /* returned by load_slot when non-zero */
  int fail_save; /* returned by save_slot when non-zero */
  /* browser */
  const char *action; /* "login", "logout", ... */
  char dir[128];      /* temp dir: profile/, result.json, browser.log */
  pid_t browser;      /* started and not yet collected by test_host_wait_browser */
  int browsers_started;
  /* log and events */
  char *log_text;
  size_t log_len;
  int events[4];
  /* sign-in completion */
  int completed, complete_rc;
  char complete_name[64];
  /* authorization URL shown (no_browser sign-ins), and its max_age parameter ("" when absent) */
  int url_shown;
  char url_max_age[32];
} test_host;

int test_host_init(test_host *h);
void test_host_destroy(test_host *h);
/* The callbacks of `h` (open_url, the four store callbacks and log). */
nativeauth_host test_host_callbacks(test_host *h);
/* Waits (bounded, 90 s) until open_url started a browser, then until that browser exits; its exit status. */
int test_host_wait_browser(test_host *h);
/* Waits (bounded, 60 s) until the authorization URL was shown. 0 when it was. */
int test_host_wait_url_shown(test_host *h);
/* The browser's result file. */
void test_host_result_path(const test_host *h, char *out, size_t size);

void test_host_on_event(const nativeauth_event *event, void *payload);
void test_host_on_complete(nativeauth_sign_in *sign_in, int error, const nativeauth_error *detail, void *payload);
void test_host_on_url(const char *url, int32_t browser_opened, void *payload);

#endif
