/* SPDX-License-Identifier: Apache-2.0 */
/* Test support in C for the C ABI tests: the real provider and headless browser as child processes,
   temporary directories, a tiny JSON string reader and a check macro. POSIX only. */
#ifndef NATIVEAUTH_CAPI_TEST_SUPPORT_H
#define NATIVEAUTH_CAPI_TEST_SUPPORT_H

#include <stddef.h>
#include <sys/types.h>

extern char **environ;
extern int na_failures;

/* Records a failure (never aborts, so every check of a run is reported). */
#define NA_CHECK(cond)                    \
  do {                                    \
    if (!(cond)) {                        \
      na_fail(__FILE__, __LINE__, #cond); \
    }                                     \
  } while (0)
/* Checks a return code, printing the last error's code name and message (never a secret). */
#define NA_CHECK_RC(expr, expected) na_check_rc(__FILE__, __LINE__, #expr, (expr), (expected))

void na_fail(const char *file, int line, const char *what);
void na_check_rc(const char *file, int line, const char *what, int rc, int expected);

typedef struct na_provider {
  pid_t pid;
  int stdin_fd;
  char issuer[256];
  int port;
  char log_path[256];
} na_provider;

/* Starts `node tests/support/provider/server.js --port 0` and reads its ready line (no sleeps). 0 on success. */
int na_provider_start(na_provider *p);
/* Closes its stdin (it exits on EOF), sends SIGTERM and reaps it. */
void na_provider_stop(na_provider *p);

/* mkdtemp under /tmp into `out` (size >= 64); 0 on success. */
int na_tempdir(char *out, size_t size);
/* Removes a directory tree. */
void na_rmtree(const char *path);

/* Starts `node tests/support/browser/browser.js URL` with the test browser's environment
   (action, profile, result file, log file); returns its pid, or -1. */
pid_t na_browser_spawn(const char *url, const char *action, const char *profile, const char *result, const char *log);
/* Waits for a child; returns its exit status (0..255) or -1. */
int na_wait_child(pid_t pid);

/* The whole file, NUL-terminated, malloc'ed; NULL when unreadable. */
char *na_read_file(const char *path);
/* The string value of `"key":"..."` in a flat JSON document, unescaped and malloc'ed; NULL if absent. */
char *na_json_string(const char *json, const char *key);
/* 1 when `"key": true` is in a flat JSON document. */
int na_json_true(const char *json, const char *key);
/* The value of a query parameter of `url` (malloc'ed, not decoded); NULL if absent. */
char *na_query_param(const char *url, const char *name);

#endif
