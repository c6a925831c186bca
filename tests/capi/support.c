/* SPDX-License-Identifier: Apache-2.0 */
/* Test support for the C ABI tests: provider and browser processes, temp dirs, JSON strings. */
#define _XOPEN_SOURCE 700
#include "support.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

int na_failures = 0;

void na_fail(const char *file, int line, const char *what) {
  fprintf(stderr, "%s:%d: check failed: %s\n", file, line, what);
  ++na_failures;
}

#include <nativeauth_c/errors.h>

void na_check_rc(const char *file, int line, const char *what, int rc, int expected) {
  if (rc == expected) return;
  {
    const nativeauth_error *e = nativeauth_error_last();
    fprintf(stderr, "%s:%d: %s returned %d (%s), expected %d (%s); last error: %s: %s\n", file, line, what, rc,
            nativeauth_error_code_name(rc), expected, nativeauth_error_code_name(expected), e->name, e->message);
  }
  ++na_failures;
}

static void cloexec(int fd) { (void)fcntl(fd, F_SETFD, FD_CLOEXEC); }

/* The wait for the provider's ready line, as the C++ harness has it (provider_start_budget()):
   $NATIVEAUTH_TEST_PROVIDER_START_S seconds, else 120 s. */
static long start_budget_ms(void) {
  const char *text = getenv("NATIVEAUTH_TEST_PROVIDER_START_S");
  char *end = NULL;
  long seconds;
  if (!text || !*text) return 120000;
  seconds = strtol(text, &end, 10);
  return *end == '\0' && seconds > 0 && seconds <= 3600 ? seconds * 1000 : 120000;
}

static long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The provider's stderr, for a start that failed. */
static void print_log(const char *path) {
  char buf[4096];
  size_t n;
  FILE *f = fopen(path, "r");
  if (!f) return;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) fwrite(buf, 1, n, stderr);
  fclose(f);
}

int na_provider_start(na_provider *p) {
  int in[2], out[2];
  char script[512];
  char *argv[8];
  posix_spawn_file_actions_t fa;
  int log_fd, rc;
  char line[1024];
  size_t used = 0;
  const char *at;
  const long budget = start_budget_ms();
  const long started = now_ms();

  memset(p, 0, sizeof *p);
  p->pid = -1;
  p->stdin_fd = -1;
  snprintf(script, sizeof script, "%s/provider/server.js", NATIVEAUTH_TEST_SUPPORT_DIR);
  if (pipe(in) != 0 || pipe(out) != 0) return -1;
  cloexec(in[1]);
  cloexec(out[0]);
  snprintf(p->log_path, sizeof p->log_path, "/tmp/nativeauth-capi-provider-XXXXXX");
  log_fd = mkstemp(p->log_path);
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in[0], 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  if (log_fd >= 0) posix_spawn_file_actions_adddup2(&fa, log_fd, 2);
  argv[0] = "node";
  argv[1] = script;
  argv[2] = "--port";
  argv[3] = "0";
  argv[4] = NULL;
  rc = posix_spawnp(&p->pid, "node", &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  close(in[0]);
  close(out[1]);
  if (log_fd >= 0) close(log_fd);
  if (rc != 0) {
    close(in[1]);
    close(out[0]);
    p->pid = -1;
    return -1;
  }
  p->stdin_fd = in[1];
  /* The provider prints one JSON line once it listens: wait for it (within the budget), no sleeps. */
  while (used + 1 < sizeof line && memchr(line, '\n', used) == NULL) {
    struct pollfd pfd;
    ssize_t n;
    const long left = started + budget - now_ms();
    int ready;
    if (left <= 0) break;
    pfd.fd = out[0];
    pfd.events = POLLIN;
    pfd.revents = 0;
    ready = poll(&pfd, 1, (int)left);
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) break;
    n = read(out[0], line + used, sizeof line - 1 - used);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    used += (size_t)n;
  }
  line[used] = '\0';
  close(out[0]);
  at = strstr(line, "\"port\":");
  {
    char *issuer = na_json_string(line, "issuer");
    if (!issuer || !at || strlen(issuer) >= sizeof p->issuer) {
      fprintf(stderr,
              "the provider did not start: no ready line after %.1f s (budget %ld s, "
              "NATIVEAUTH_TEST_PROVIDER_START_S sets it); stdout: '%s'; its stderr (%s):\n",
              (now_ms() - started) / 1000.0, budget / 1000, line, p->log_path);
      print_log(p->log_path);
      free(issuer);
      na_provider_stop(p);
      return -1;
    }
    strcpy(p->issuer, issuer);
    free(issuer);
  }
  p->port = atoi(at + 7);
  return 0;
}

void na_provider_stop(na_provider *p) {
  if (p->stdin_fd >= 0) close(p->stdin_fd);
  p->stdin_fd = -1;
  if (p->pid > 0) {
    kill(p->pid, SIGTERM);
    (void)na_wait_child(p->pid);
  }
  p->pid = -1;
  if (p->log_path[0] && getenv("NATIVEAUTH_KEEP_LOGS") == NULL) remove(p->log_path);
}

int na_tempdir(char *out, size_t size) {
  if (size < 64) return -1;
  snprintf(out, size, "/tmp/nativeauth-capi-XXXXXX");
  return mkdtemp(out) ? 0 : -1;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
  (void)sb;
  (void)flag;
  (void)ftw;
  return remove(path);
}

void na_rmtree(const char *path) { (void)nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS); }

pid_t na_browser_spawn(const char *url, const char *action, const char *profile, const char *result, const char *log) {
  char script[512], v_action[128], v_profile[512], v_result[512], v_log[512];
  char *argv[4];
  char **env;
  size_t n = 0, i, k = 0;
  pid_t pid = -1;
  int rc;

  snprintf(script, sizeof script, "%s/browser/browser.js", NATIVEAUTH_TEST_SUPPORT_DIR);
  snprintf(v_action, sizeof v_action, "NATIVEAUTH_TEST_BROWSER_ACTION=%s", action);
  snprintf(v_profile, sizeof v_profile, "NATIVEAUTH_TEST_BROWSER_PROFILE=%s", profile);
  snprintf(v_result, sizeof v_result, "NATIVEAUTH_TEST_BROWSER_RESULT=%s", result);
  snprintf(v_log, sizeof v_log, "NATIVEAUTH_TEST_BROWSER_LOG=%s", log);
  while (environ[n]) ++n;
  env = (char **)calloc(n + 5, sizeof *env);
  if (!env) return -1;
  for (i = 0; i < n; ++i) {
    if (strncmp(environ[i], "NATIVEAUTH_TEST_BROWSER_", 24) == 0) continue;
    env[k++] = environ[i];
  }
  env[k++] = v_action;
  env[k++] = v_profile;
  env[k++] = v_result;
  env[k++] = v_log;
  env[k] = NULL;
  argv[0] = "node";
  argv[1] = script;
  argv[2] = (char *)url;
  argv[3] = NULL;
  /* No file actions: the browser writes nothing to stdout, diagnostics go to the log file. */
  rc = posix_spawnp(&pid, "node", NULL, NULL, argv, env);
  free(env);
  return rc == 0 ? pid : -1;
}

int na_wait_child(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

char *na_read_file(const char *path) {
  FILE *f = fopen(path, "rb");
  char *buf = NULL;
  size_t size = 0, cap = 0, n;
  if (!f) return NULL;
  for (;;) {
    if (size + 4096 + 1 > cap) {
      char *bigger;
      cap = (size + 4096 + 1) * 2;
      bigger = (char *)realloc(buf, cap);
      if (!bigger) {
        free(buf);
        fclose(f);
        return NULL;
      }
      buf = bigger;
    }
    n = fread(buf + size, 1, 4096, f);
    size += n;
    if (n == 0) break;
  }
  fclose(f);
  buf[size] = '\0';
  return buf;
}

/* Finds the value of "key" at the top of a JSON object written by JSON.stringify (any indentation). */
static const char *json_value(const char *json, const char *key) {
  char pattern[128];
  const char *at;
  snprintf(pattern, sizeof pattern, "\"%s\"", key);
  at = strstr(json, pattern);
  if (!at) return NULL;
  at += strlen(pattern);
  while (*at == ' ' || *at == '\n' || *at == '\t' || *at == '\r') ++at;
  if (*at != ':') return NULL;
  ++at;
  while (*at == ' ' || *at == '\n' || *at == '\t' || *at == '\r') ++at;
  return at;
}

int na_json_true(const char *json, const char *key) {
  const char *at = json_value(json, key);
  return at && strncmp(at, "true", 4) == 0;
}

char *na_json_string(const char *json, const char *key) {
  const char *at = json_value(json, key);
  char *out, *w;
  if (!at || *at != '"') return NULL;
  ++at;
  out = (char *)malloc(strlen(at) + 1);
  if (!out) return NULL;
  for (w = out; *at && *at != '"'; ++at) {
    if (*at == '\\' && at[1]) {
      ++at;
      switch (*at) {
        case 'n': *w++ = '\n'; break;
        case 't': *w++ = '\t'; break;
        case 'u': { /* only ASCII escapes occur in URLs: \u0026 and the like */
          char hex[5] = {0};
          strncpy(hex, at + 1, 4);
          *w++ = (char)strtol(hex, NULL, 16);
          at += 4;
          break;
        }
        default: *w++ = *at; break;
      }
    } else {
      *w++ = *at;
    }
  }
  *w = '\0';
  return out;
}

char *na_query_param(const char *url, const char *name) {
  const char *q = strchr(url, '?');
  size_t len = strlen(name);
  while (q) {
    ++q;
    if (strncmp(q, name, len) == 0 && q[len] == '=') {
      const char *v = q + len + 1;
      size_t n = strcspn(v, "&#");
      char *out = (char *)malloc(n + 1);
      if (!out) return NULL;
      memcpy(out, v, n);
      out[n] = '\0';
      return out;
    }
    q = strchr(q, '&');
  }
  return NULL;
}
