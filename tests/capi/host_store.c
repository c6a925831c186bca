/* SPDX-License-Identifier: Apache-2.0 */
/* Host callbacks implemented in C for the tests: memory slots, the headless browser, log, events. */
#define _XOPEN_SOURCE 700
#include "host_store.h"

#include "support.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static char *copy(const char *s) {
  size_t n = strlen(s) + 1;
  char *p = (char *)malloc(n);
  if (p) memcpy(p, s, n);
  return p;
}

static int same_key(const test_slot *s, const nativeauth_slot_key *k) {
  return strcmp(s->issuer, k->issuer) == 0 && strcmp(s->client_id, k->client_id) == 0 &&
         strcmp(s->profile, k->profile) == 0;
}

static void wipe_slot(test_slot *s) {
  if (s->data) memset(s->data, 0, s->size);
  free(s->data);
  free(s->issuer);
  free(s->client_id);
  free(s->profile);
  memset(s, 0, sizeof *s);
}

static int load_slot(nativeauth_slot_record *record, const nativeauth_slot_key *key, void *payload) {
  test_host *h = (test_host *)payload;
  int i, rc = 0;
  pthread_mutex_lock(&h->mutex);
  ++h->loads;
  if (h->fail_load) {
    rc = h->fail_load;
  } else {
    for (i = 0; i < h->nslots; ++i) {
      if (same_key(&h->slots[i], key)) rc = nativeauth_slot_record_set(record, h->slots[i].data, h->slots[i].size);
    }
  }
  pthread_mutex_unlock(&h->mutex);
  return rc;
}

static int save_slot(const nativeauth_slot_key *key, const char *data, size_t size, void *payload) {
  test_host *h = (test_host *)payload;
  int i, rc = 0;
  test_slot *slot = NULL;
  pthread_mutex_lock(&h->mutex);
  if (h->fail_save) {
    rc = h->fail_save;
    goto done;
  }
  for (i = 0; i < h->nslots; ++i) {
    if (same_key(&h->slots[i], key)) slot = &h->slots[i];
  }
  if (!slot) {
    if (h->nslots == TEST_HOST_MAX_SLOTS) {
      rc = NATIVEAUTH_E_STORAGE_UNAVAILABLE;
      goto done;
    }
    slot = &h->slots[h->nslots++];
    slot->issuer = copy(key->issuer);
    slot->client_id = copy(key->client_id);
    slot->profile = copy(key->profile);
  } else {
    memset(slot->data, 0, slot->size);
    free(slot->data);
  }
  slot->data = (char *)malloc(size ? size : 1);
  if (slot->data) memcpy(slot->data, data, size);
  slot->size = size;
  ++h->saves;
done:
  pthread_mutex_unlock(&h->mutex);
  return rc;
}

static int erase_slot(const nativeauth_slot_key *key, void *payload) {
  test_host *h = (test_host *)payload;
  int i;
  pthread_mutex_lock(&h->mutex);
  for (i = 0; i < h->nslots; ++i) {
    if (same_key(&h->slots[i], key)) {
      wipe_slot(&h->slots[i]);
      h->slots[i] = h->slots[h->nslots - 1];
      memset(&h->slots[h->nslots - 1], 0, sizeof h->slots[0]);
      --h->nslots;
      break;
    }
  }
  ++h->erases;
  pthread_mutex_unlock(&h->mutex);
  return 0;
}

static int list_slots(nativeauth_slot_list *list, const char *issuer, void *payload) {
  test_host *h = (test_host *)payload;
  int i, rc = 0;
  pthread_mutex_lock(&h->mutex);
  for (i = 0; i < h->nslots && rc == 0; ++i) {
    if (strcmp(h->slots[i].issuer, issuer) == 0) {
      nativeauth_slot_key k;
      k.issuer = h->slots[i].issuer;
      k.client_id = h->slots[i].client_id;
      k.profile = h->slots[i].profile;
      rc = nativeauth_slot_list_add(list, &k);
    }
  }
  pthread_mutex_unlock(&h->mutex);
  return rc;
}

void test_host_result_path(const test_host *h, char *out, size_t size) {
  snprintf(out, size, "%s/result.json", h->dir);
}

/* The host's browser: the headless test browser, started and left running (open_url never waits). */
static int open_url(const char *url, void *payload) {
  test_host *h = (test_host *)payload;
  char profile[256], result[256], log[256];
  pid_t pid;
  snprintf(profile, sizeof profile, "%s/profile", h->dir);
  test_host_result_path(h, result, sizeof result);
  snprintf(log, sizeof log, "%s/browser.log", h->dir);
  remove(result);
  pid = na_browser_spawn(url, h->action, profile, result, log);
  pthread_mutex_lock(&h->mutex);
  h->browser = pid;
  ++h->browsers_started;
  pthread_cond_broadcast(&h->cond);
  pthread_mutex_unlock(&h->mutex);
  return pid > 0 ? 0 : -1;
}

static void log_line(int32_t level, const char *message, void *payload) {
  test_host *h = (test_host *)payload;
  size_t n = strlen(message);
  char *bigger;
  (void)level;
  pthread_mutex_lock(&h->mutex);
  bigger = (char *)realloc(h->log_text, h->log_len + n + 2);
  if (bigger) {
    h->log_text = bigger;
    memcpy(h->log_text + h->log_len, message, n);
    h->log_len += n;
    h->log_text[h->log_len++] = '\n';
    h->log_text[h->log_len] = '\0';
  }
  pthread_mutex_unlock(&h->mutex);
}

void test_host_on_event(const nativeauth_event *event, void *payload) {
  test_host *h = (test_host *)payload;
  pthread_mutex_lock(&h->mutex);
  if (event->kind >= 0 && event->kind < 4) ++h->events[event->kind];
  pthread_mutex_unlock(&h->mutex);
}

void test_host_on_complete(nativeauth_sign_in *sign_in, int error, const nativeauth_error *detail, void *payload) {
  test_host *h = (test_host *)payload;
  (void)sign_in;
  pthread_mutex_lock(&h->mutex);
  ++h->completed;
  h->complete_rc = error;
  snprintf(h->complete_name, sizeof h->complete_name, "%s", detail->name);
  pthread_cond_broadcast(&h->cond);
  pthread_mutex_unlock(&h->mutex);
}

void test_host_on_url(const char *url, int32_t browser_opened, void *payload) {
  test_host *h = (test_host *)payload;
  char *max_age = na_query_param(url, "max_age");
  (void)browser_opened;
  pthread_mutex_lock(&h->mutex);
  snprintf(h->url_max_age, sizeof h->url_max_age, "%s", max_age ? max_age : "");
  free(max_age);
  ++h->url_shown;
  pthread_cond_broadcast(&h->cond);
  pthread_mutex_unlock(&h->mutex);
}

static int wait_until(test_host *h, int *flag, int seconds) {
  struct timespec deadline;
  int rc = 0;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += seconds;
  while (!*flag && rc != ETIMEDOUT) rc = pthread_cond_timedwait(&h->cond, &h->mutex, &deadline);
  return *flag ? 0 : -1;
}

int test_host_wait_browser(test_host *h) {
  pid_t pid;
  int started;
  pthread_mutex_lock(&h->mutex);
  started = wait_until(h, (int *)&h->browser, 90);
  pid = h->browser;
  h->browser = 0;
  pthread_mutex_unlock(&h->mutex);
  if (started != 0 || pid <= 0) return -1;
  return na_wait_child(pid);
}

int test_host_wait_url_shown(test_host *h) {
  int rc;
  pthread_mutex_lock(&h->mutex);
  rc = wait_until(h, &h->url_shown, 60);
  pthread_mutex_unlock(&h->mutex);
  return rc;
}

int test_host_init(test_host *h) {
  char profile[256];
  memset(h, 0, sizeof *h);
  pthread_mutex_init(&h->mutex, NULL);
  pthread_cond_init(&h->cond, NULL);
  h->action = "login";
  if (na_tempdir(h->dir, sizeof h->dir) != 0) return -1;
  snprintf(profile, sizeof profile, "%s/profile", h->dir);
  return mkdir(profile, 0700);
}

void test_host_destroy(test_host *h) {
  int i;
  for (i = 0; i < h->nslots; ++i) wipe_slot(&h->slots[i]);
  free(h->log_text);
  if (h->dir[0]) na_rmtree(h->dir);
  pthread_cond_destroy(&h->cond);
  pthread_mutex_destroy(&h->mutex);
}

nativeauth_host test_host_callbacks(test_host *h) {
  nativeauth_host host = NATIVEAUTH_HOST_INIT;
  host.payload = h;
  host.open_url = open_url;
  host.load_slot = load_slot;
  host.save_slot = save_slot;
  host.erase_slot = erase_slot;
  host.list_slots = list_slots;
  host.log = log_line;
  return host;
}
