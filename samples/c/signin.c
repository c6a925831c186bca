/* SPDX-License-Identifier: Apache-2.0 */
/* A C program that signs in through the nativeauth C ABI on Linux and Windows: the system browser ($BROWSER,
   xdg-open), a loopback redirect, the session in the keychain (or memory), then an access token.
     nativeauth-c-sample ISSUER CLIENT_ID [--memory] [--sign-out] [--verbose]
   It prints who signed in and when the token expires — never the token itself. */
#include <nativeauth_c/nativeauth.h>

#include <stdio.h>
#include <string.h>

static void log_line(int32_t level, const char *message, void *payload) {
  (void)payload;
  fprintf(stderr, "nativeauth[%d]: %s\n", (int)level, message); /* lines arrive already redacted */
}

static void show_url(const char *url, int32_t browser_opened, void *payload) {
  (void)payload;
  if (!browser_opened) printf("Open this address in a browser to sign in:\n  %s\n", url);
}

static int report(const char *what, int rc) {
  const nativeauth_error *e = nativeauth_error_last();
  fprintf(stderr, "%s failed: %s: %s", what, e->name, e->message);
  if (e->oauth_error[0]) fprintf(stderr, " (server: %s: %s)", e->oauth_error, e->oauth_error_description);
  fprintf(stderr, "\n");
  return rc;
}

int main(int argc, char **argv) {
  nativeauth_client_options options = NATIVEAUTH_CLIENT_OPTIONS_INIT;
  nativeauth_host host = NATIVEAUTH_HOST_INIT;
  nativeauth_sign_in_options sign_in = NATIVEAUTH_SIGN_IN_OPTIONS_INIT;
  nativeauth_client *client = NULL;
  nativeauth_sign_in *pending = NULL;
  nativeauth_session_info *session = NULL;
  char *token = NULL;
  int64_t expires_at = 0;
  int i, rc, sign_out = 0;

  if (argc < 3) {
    fprintf(stderr, "usage: %s ISSUER CLIENT_ID [--memory] [--sign-out] [--verbose]\n", argv[0]);
    return 2;
  }
  options.issuer = argv[1];
  options.client_id = argv[2];
  options.app_name = "nativeauth C sample";
  for (i = 3; i < argc; ++i) {
    if (strcmp(argv[i], "--memory") == 0) options.storage = NATIVEAUTH_STORAGE_MEMORY;
    else if (strcmp(argv[i], "--sign-out") == 0) sign_out = 1;
    else if (strcmp(argv[i], "--verbose") == 0) host.log = log_line;
    else {
      fprintf(stderr, "unknown option %s\n", argv[i]);
      return 2;
    }
  }
  /* No open_url and no store callbacks: the desktop defaults. A mobile host sets them (docs/mobile.md). */
  options.host = &host;
  printf("nativeauth %s (C ABI %u)\n", nativeauth_version(), (unsigned)nativeauth_c_abi_version());

  if ((rc = nativeauth_client_new(&client, &options)) != 0) return report("creating the client", 1);

  if ((rc = nativeauth_client_session(&session, client)) != 0) {
    rc = report("reading the stored session", 1);
    goto done;
  }
  if (!session) {
    sign_in.on_authorization_url = show_url;
    if ((rc = nativeauth_sign_in_start(&pending, client, &sign_in)) != 0) {
      rc = report("starting the sign-in", 1);
      goto done;
    }
    /* A GUI would return to its event loop and poll, or use on_complete; a CLI can just wait. */
    rc = nativeauth_sign_in_wait(pending, -1);
    nativeauth_sign_in_free(pending);
    if (rc != 0) {
      rc = report("signing in", 1);
      goto done;
    }
    if ((rc = nativeauth_client_session(&session, client)) != 0 || !session) {
      rc = report("reading the new session", 1);
      goto done;
    }
  }
  printf("signed in as %s (%s) at %s\n", session->subject, session->name[0] ? session->name : "no name",
         session->issuer);

  if ((rc = nativeauth_client_access_token(&token, &expires_at, client, NULL)) != 0) {
    rc = report("getting an access token", 1);
    goto done;
  }
  printf("access token: %zu characters, expires at %lld (unix time)\n", strlen(token), (long long)expires_at);
  nativeauth_secret_free(token);

  if (sign_out) {
    nativeauth_sign_out_report *out = NULL;
    if ((rc = nativeauth_client_sign_out(&out, client, NULL)) != 0) {
      rc = report("signing out", 1);
      goto done;
    }
    printf("signed out: %d session(s) forgotten, %d token(s) revoked, provider session %s\n", out->slots_erased,
           out->tokens_revoked, out->provider_session_ended ? "ended" : "kept");
    nativeauth_sign_out_report_free(out);
  }
  rc = 0;
done:
  nativeauth_session_info_free(session);
  nativeauth_client_free(client);
  return rc;
}
