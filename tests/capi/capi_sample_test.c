/* SPDX-License-Identifier: Apache-2.0 */
/* samples/c signs in on Linux with the desktop defaults: the real provider, the headless browser as
   $BROWSER (the way a user's browser is found), a memory store. Usage: capi_sample_test SAMPLE */
#define _XOPEN_SOURCE 700
#include "support.h"

#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv) {
  na_provider provider;
  char dir[128], profile[256], out_path[256], browser[512], result[256], log[256];
  char *argv_sample[6];
  posix_spawn_file_actions_t fa;
  pid_t pid;
  char *output;
  int status;

  if (argc < 2) return 2;
  if (na_provider_start(&provider) != 0) return 1;
  NA_CHECK(na_tempdir(dir, sizeof dir) == 0);
  snprintf(profile, sizeof profile, "%s/profile", dir);
  snprintf(out_path, sizeof out_path, "%s/out.txt", dir);
  snprintf(result, sizeof result, "%s/result.json", dir);
  snprintf(log, sizeof log, "%s/browser.log", dir);
  snprintf(browser, sizeof browser, "node %s/browser/browser.js", NATIVEAUTH_TEST_SUPPORT_DIR);
  mkdir(profile, 0700);
  setenv("BROWSER", browser, 1);
  setenv("NATIVEAUTH_TEST_BROWSER_ACTION", "login", 1);
  setenv("NATIVEAUTH_TEST_BROWSER_PROFILE", profile, 1);
  setenv("NATIVEAUTH_TEST_BROWSER_RESULT", result, 1);
  setenv("NATIVEAUTH_TEST_BROWSER_LOG", log, 1);
  unsetenv("XDG_CURRENT_DESKTOP"); /* xdg-open honours $BROWSER only on its generic path */
  unsetenv("DESKTOP_SESSION");

  argv_sample[0] = argv[1];
  argv_sample[1] = provider.issuer;
  argv_sample[2] = "nativeauth-test";
  argv_sample[3] = "--memory";
  argv_sample[4] = NULL;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  NA_CHECK(posix_spawn(&pid, argv[1], &fa, NULL, argv_sample, environ) == 0);
  posix_spawn_file_actions_destroy(&fa);
  status = na_wait_child(pid);
  NA_CHECK(status == 0);
  output = na_read_file(out_path);
  NA_CHECK(output != NULL);
  if (output) {
    NA_CHECK(strstr(output, "signed in as alice (Alice Example)") != NULL);
    NA_CHECK(strstr(output, "access token: ") != NULL);
    if (na_failures) fprintf(stderr, "sample output:\n%s", output);
    free(output);
  }
  na_rmtree(dir);
  na_provider_stop(&provider);
  if (!na_failures) printf("sample: ok\n");
  return na_failures ? 1 : 0;
}
