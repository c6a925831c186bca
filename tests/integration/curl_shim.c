/* SPDX-License-Identifier: Apache-2.0 */
/* A fault stand-in for libcurl.so.4, for curl_options_test: it forwards every function the transport
   resolves to the real libcurl (opened by its path, NATIVEAUTH_REAL_LIBCURL) but answers curl_easy_setopt
   with a chosen error for chosen options, as an older or differently built libcurl would (7.81 does not
   know CURLOPT_PROTOCOLS_STR); no real libcurl does that on demand. The test loads it in place of the
   system's through LD_LIBRARY_PATH and drives it through the nativeauth_curl_shim_* functions. */
#define _XOPEN_SOURCE 700
#define CURL_DISABLE_TYPECHECK /* curl_easy_setopt must stay a function name here, not a macro */
#include <curl/curl.h>

#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#define SHIM_API __attribute__((visibility("default")))

/* The real library's functions, by the types of their declarations. */
static struct {
  CURLcode (*global_init)(long);
  CURL *(*easy_init)(void);
  void (*easy_cleanup)(CURL *);
  void (*easy_reset)(CURL *);
  CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
  CURLcode (*easy_perform)(CURL *);
  CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
  const char *(*easy_strerror)(CURLcode);
  struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
  void (*slist_free_all)(struct curl_slist *);
} real;

static pthread_once_t real_once = PTHREAD_ONCE_INIT;

/* POSIX: a data pointer from dlsym converts to a function pointer through its object representation. */
static void resolve(void *library, const char *name, void *slot) {
  void *symbol = dlsym(library, name);
  if (!symbol) {
    fprintf(stderr, "curl_shim: the real libcurl has no %s\n", name);
    abort();
  }
  *(void **)slot = symbol;
}

static void load_real(void) {
  void *library = dlopen(NATIVEAUTH_REAL_LIBCURL, RTLD_NOW | RTLD_LOCAL);
  if (!library) {
    fprintf(stderr, "curl_shim: cannot open the real libcurl: %s\n", dlerror());
    abort();
  }
  resolve(library, "curl_global_init", &real.global_init);
  resolve(library, "curl_easy_init", &real.easy_init);
  resolve(library, "curl_easy_cleanup", &real.easy_cleanup);
  resolve(library, "curl_easy_reset", &real.easy_reset);
  resolve(library, "curl_easy_setopt", &real.easy_setopt);
  resolve(library, "curl_easy_perform", &real.easy_perform);
  resolve(library, "curl_easy_getinfo", &real.easy_getinfo);
  resolve(library, "curl_easy_strerror", &real.easy_strerror);
  resolve(library, "curl_slist_append", &real.slist_append);
  resolve(library, "curl_slist_free_all", &real.slist_free_all);
}

static void need_real(void) { pthread_once(&real_once, load_real); }

/* What the test asked for, and what happened: options refused, options passed on, performs. */
#define SHIM_MAX_OPTIONS 64
static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
static struct {
  int option;
  int refuse_with; /* a CURLcode; 0: pass the option on */
  long passed;     /* times passed on to the real libcurl */
} options[SHIM_MAX_OPTIONS];
static int noptions;
static long performs;

/* The index of `option`'s entry, made when absent (-1 when the table is full). Call with `mutex` held. */
static int entry_of(int option) {
  int i;
  for (i = 0; i < noptions; ++i) {
    if (options[i].option == option) return i;
  }
  if (noptions == SHIM_MAX_OPTIONS) return -1;
  options[noptions].option = option;
  options[noptions].refuse_with = 0;
  options[noptions].passed = 0;
  return noptions++;
}

/* Makes curl_easy_setopt answer `code` for `option` without passing it on; code 0 passes it on again. */
SHIM_API void nativeauth_curl_shim_refuse(int option, int code) {
  int i;
  pthread_mutex_lock(&mutex);
  i = entry_of(option);
  if (i >= 0) options[i].refuse_with = code;
  pthread_mutex_unlock(&mutex);
}

/* How often `option` was passed on to the real libcurl. */
SHIM_API long nativeauth_curl_shim_passed(int option) {
  long n;
  int i;
  pthread_mutex_lock(&mutex);
  i = entry_of(option);
  n = i >= 0 ? options[i].passed : -1;
  pthread_mutex_unlock(&mutex);
  return n;
}

/* How many curl_easy_perform calls reached the real libcurl (requests actually sent). */
SHIM_API long nativeauth_curl_shim_performs(void) {
  long n;
  pthread_mutex_lock(&mutex);
  n = performs;
  pthread_mutex_unlock(&mutex);
  return n;
}

SHIM_API CURLcode curl_global_init(long flags) {
  need_real();
  return real.global_init(flags);
}

SHIM_API CURL *curl_easy_init(void) {
  need_real();
  return real.easy_init();
}

SHIM_API void curl_easy_cleanup(CURL *handle) { real.easy_cleanup(handle); }
SHIM_API void curl_easy_reset(CURL *handle) { real.easy_reset(handle); }
SHIM_API const char *curl_easy_strerror(CURLcode code) {
  need_real();
  return real.easy_strerror(code);
}
SHIM_API struct curl_slist *curl_slist_append(struct curl_slist *list, const char *s) {
  need_real();
  return real.slist_append(list, s);
}
SHIM_API void curl_slist_free_all(struct curl_slist *list) { real.slist_free_all(list); }

SHIM_API CURLcode curl_easy_perform(CURL *handle) {
  pthread_mutex_lock(&mutex);
  ++performs;
  pthread_mutex_unlock(&mutex);
  return real.easy_perform(handle);
}

SHIM_API CURLcode curl_easy_getinfo(CURL *handle, CURLINFO info, ...) {
  va_list ap;
  void *out;
  va_start(ap, info);
  out = va_arg(ap, void *); /* every CURLINFO takes one pointer to the result */
  va_end(ap);
  return real.easy_getinfo(handle, info, out);
}

/* The option's one argument, read as its type says (curl.h: CURLOPTTYPE_*), then passed on. */
SHIM_API CURLcode curl_easy_setopt(CURL *handle, CURLoption option, ...) {
  va_list ap;
  CURLcode rc = CURLE_OK;
  int i;
  pthread_mutex_lock(&mutex);
  i = entry_of((int)option);
  if (i >= 0 && options[i].refuse_with) {
    rc = (CURLcode)options[i].refuse_with;
  } else if (i >= 0) {
    ++options[i].passed;
  }
  pthread_mutex_unlock(&mutex);
  if (rc != CURLE_OK) return rc;

  va_start(ap, option);
  if (option < CURLOPTTYPE_OBJECTPOINT) {
    rc = real.easy_setopt(handle, option, va_arg(ap, long));
  } else if (option < CURLOPTTYPE_FUNCTIONPOINT) {
    rc = real.easy_setopt(handle, option, va_arg(ap, void *));
  } else if (option < CURLOPTTYPE_OFF_T) {
    rc = real.easy_setopt(handle, option, va_arg(ap, void (*)(void)));
  } else if (option < CURLOPTTYPE_BLOB) {
    rc = real.easy_setopt(handle, option, va_arg(ap, curl_off_t));
  } else {
    rc = real.easy_setopt(handle, option, va_arg(ap, void *));
  }
  va_end(ap);
  return rc;
}
