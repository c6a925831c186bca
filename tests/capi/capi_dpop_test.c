/* SPDX-License-Identifier: Apache-2.0 */
/* DPoP (RFC 9449) through the C ABI, compiled as C, against the real provider and headless browser. The
   test is the "host": its DPoP keys are made and used by OpenSSL (EC P-256) behind nativeauth_host_keys, as
   an iOS app's would be by the Secure Enclave, DER signatures converted to R||S as a host must:
     capi_dpop_test sign_in         a sign-in with the client that requires DPoP, nativeauth_client_authorize
                                    for <issuer>/me and a real request (libcurl) with its headers -> 200, the
                                    token without its proof is refused; a failing sign_key -> KEY_UNAVAILABLE with the host's
                                    message; sign-out deletes the key
     capi_dpop_test create_failure  a create_key that fails ends the sign-in with KEY_UNAVAILABLE and the
                                    host's message, before any browser opens */
#define _XOPEN_SOURCE 700
#include <nativeauth_c/nativeauth.h>

#include "host_store.h"
#include "support.h"

#include <curl/curl.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static na_provider provider;

#define TEST_MAX_KEYS 4

/* The host's key store: keys by index, the reference is "key-<index>". */
typedef struct test_keys {
  pthread_mutex_t mutex;
  EVP_PKEY *keys[TEST_MAX_KEYS];
  int nkeys, creates, signs, deletes;
  char deleted[32];        /* the reference delete_key got last */
  int fail_create;         /* returned by create_key when non-zero */
  int fail_sign;           /* returned by sign_key when non-zero */
  const char *fail_reason; /* given with nativeauth_key_result_set_error */
} test_keys;

static void b64url(const unsigned char *in, size_t n, char *out) {
  static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  size_t i, o = 0;
  for (i = 0; i + 2 < n; i += 3) {
    unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];
    out[o++] = t[v >> 18];
    out[o++] = t[(v >> 12) & 63];
    out[o++] = t[(v >> 6) & 63];
    out[o++] = t[v & 63];
  }
  if (n - i == 1) {
    out[o++] = t[in[i] >> 2];
    out[o++] = t[(in[i] & 3) << 4];
  } else if (n - i == 2) {
    unsigned v = (unsigned)in[i] << 8 | in[i + 1];
    out[o++] = t[v >> 10];
    out[o++] = t[(v >> 4) & 63];
    out[o++] = t[(v & 15) << 2];
  }
  out[o] = '\0';
}

/* A 32-byte big-endian coordinate of the public key. */
static int coordinate(EVP_PKEY *key, const char *name, unsigned char out[32]) {
  BIGNUM *bn = NULL;
  int ok = EVP_PKEY_get_bn_param(key, name, &bn) == 1 && BN_bn2binpad(bn, out, 32) == 32;
  BN_free(bn);
  return ok;
}

static int create_key(nativeauth_key_result *result, const nativeauth_slot_key *slot, const char *algorithm,
                      void *payload) {
  test_keys *k = (test_keys *)payload;
  unsigned char x[32], y[32];
  char jwk[160], xs[48], ys[48], ref[32];
  EVP_PKEY *key;
  int index;
  NA_CHECK(slot && strcmp(slot->client_id, "nativeauth-dpop") == 0);
  NA_CHECK(strcmp(algorithm, "ES256") == 0);
  pthread_mutex_lock(&k->mutex);
  ++k->creates;
  index = k->nkeys;
  pthread_mutex_unlock(&k->mutex);
  if (k->fail_create) {
    nativeauth_key_result_set_error(result, k->fail_reason);
    return k->fail_create;
  }
  if (index >= TEST_MAX_KEYS) return -1;
  key = EVP_EC_gen("P-256");
  if (!key || !coordinate(key, OSSL_PKEY_PARAM_EC_PUB_X, x) || !coordinate(key, OSSL_PKEY_PARAM_EC_PUB_Y, y)) {
    EVP_PKEY_free(key);
    return -1;
  }
  b64url(x, 32, xs);
  b64url(y, 32, ys);
  snprintf(jwk, sizeof jwk, "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%s\",\"y\":\"%s\"}", xs, ys);
  snprintf(ref, sizeof ref, "key-%d", index);
  pthread_mutex_lock(&k->mutex);
  k->keys[index] = key;
  k->nkeys = index + 1;
  pthread_mutex_unlock(&k->mutex);
  return nativeauth_key_result_set_key(result, (const uint8_t *)ref, strlen(ref), jwk);
}

static EVP_PKEY *find_key(test_keys *k, const uint8_t *reference, size_t size) {
  char ref[32];
  int index;
  if (size >= sizeof ref) return NULL;
  memcpy(ref, reference, size);
  ref[size] = '\0';
  if (sscanf(ref, "key-%d", &index) != 1 || index < 0 || index >= TEST_MAX_KEYS) return NULL;
  return k->keys[index];
}

/* SHA-256 and ECDSA as the host's keystore does it, then DER -> R||S (RFC 7518 §3.4). */
static int sign_key(nativeauth_key_result *result, const nativeauth_slot_key *slot, const uint8_t *reference,
                    size_t reference_size, const uint8_t *input, size_t input_size, void *payload) {
  test_keys *k = (test_keys *)payload;
  EVP_PKEY *key;
  EVP_MD_CTX *md = NULL;
  ECDSA_SIG *sig = NULL;
  unsigned char der[80], rs[64];
  const unsigned char *p = der;
  size_t der_len = sizeof der;
  int rc = -1;
  (void)slot;
  pthread_mutex_lock(&k->mutex);
  ++k->signs;
  key = find_key(k, reference, reference_size);
  pthread_mutex_unlock(&k->mutex);
  if (k->fail_sign) {
    nativeauth_key_result_set_error(result, k->fail_reason);
    return k->fail_sign;
  }
  if (!key) {
    nativeauth_key_result_set_error(result, "no such key");
    return -2;
  }
  md = EVP_MD_CTX_new();
  if (md && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
      EVP_DigestSign(md, der, &der_len, input, input_size) == 1 && (sig = d2i_ECDSA_SIG(NULL, &p, (long)der_len)) &&
      BN_bn2binpad(ECDSA_SIG_get0_r(sig), rs, 32) == 32 && BN_bn2binpad(ECDSA_SIG_get0_s(sig), rs + 32, 32) == 32) {
    rc = nativeauth_key_result_set_signature(result, rs, sizeof rs);
  }
  ECDSA_SIG_free(sig);
  EVP_MD_CTX_free(md);
  return rc;
}

static int delete_key(nativeauth_key_result *result, const nativeauth_slot_key *slot, const uint8_t *reference,
                      size_t reference_size, void *payload) {
  test_keys *k = (test_keys *)payload;
  (void)result;
  (void)slot;
  pthread_mutex_lock(&k->mutex);
  ++k->deletes;
  if (reference_size < sizeof k->deleted) {
    memcpy(k->deleted, reference, reference_size);
    k->deleted[reference_size] = '\0';
  }
  pthread_mutex_unlock(&k->mutex);
  return 0;
}

static void keys_init(test_keys *k, nativeauth_host_keys *callbacks) {
  memset(k, 0, sizeof *k);
  pthread_mutex_init(&k->mutex, NULL);
  NA_CHECK_RC(nativeauth_host_keys_init(callbacks, NATIVEAUTH_HOST_KEYS_VERSION), 0);
  callbacks->payload = k;
  callbacks->create_key = create_key;
  callbacks->sign_key = sign_key;
  callbacks->delete_key = delete_key;
}

static void keys_destroy(test_keys *k) {
  int i;
  for (i = 0; i < k->nkeys; ++i) EVP_PKEY_free(k->keys[i]);
  pthread_mutex_destroy(&k->mutex);
}

static nativeauth_client *make_client(const nativeauth_host *host, const nativeauth_host_keys *keys) {
  nativeauth_client_options o = NATIVEAUTH_CLIENT_OPTIONS_INIT;
  nativeauth_client *c = NULL;
  o.issuer = provider.issuer;
  o.client_id = "nativeauth-dpop"; /* the provider requires DPoP of it: dpop_bound_access_tokens */
  o.log_level = NATIVEAUTH_LOG_TRACE;
  o.host = host;
  o.dpop = NATIVEAUTH_DPOP_REQUIRED;
  o.host_keys = keys;
  NA_CHECK_RC(nativeauth_client_new(&c, &o), 0);
  return c;
}

static size_t discard_body(char *data, size_t size, size_t n, void *user) {
  (void)data;
  (void)user;
  return size * n;
}

/* GET `url` with the given headers (`dpop` may be NULL); the HTTP status, or -1. */
static long http_get(const char *url, const char *authorization, const char *dpop) {
  CURL *curl = curl_easy_init();
  struct curl_slist *headers = NULL;
  char *line;
  long status = -1;
  if (!curl) return -1;
  line = (char *)malloc(strlen(authorization) + (dpop ? strlen(dpop) : 0) + 32);
  if (line) {
    sprintf(line, "Authorization: %s", authorization);
    headers = curl_slist_append(headers, line);
    if (dpop) {
      sprintf(line, "DPoP: %s", dpop);
      headers = curl_slist_append(headers, line);
    }
    memset(line, 0, strlen(line));
    free(line);
  }
  curl_easy_setopt(curl, CURLOPT_URL, url);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard_body);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
  if (curl_easy_perform(curl) == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  return status;
}

static int sign_in(nativeauth_client *c, test_host *h) {
  nativeauth_sign_in *p = NULL;
  nativeauth_sign_in_options so = NATIVEAUTH_SIGN_IN_OPTIONS_INIT;
  int rc;
  so.on_complete = test_host_on_complete;
  so.payload = h;
  h->action = "login";
  NA_CHECK_RC(nativeauth_sign_in_start(&p, c, &so), 0);
  rc = nativeauth_sign_in_wait(p, -1);
  nativeauth_sign_in_free(p);
  return rc;
}

static void authorized_request(void) {
  test_host h;
  test_keys k;
  nativeauth_host host;
  nativeauth_host_keys keys;
  nativeauth_client *c;
  nativeauth_sign_out_options local = NATIVEAUTH_SIGN_OUT_OPTIONS_INIT;
  char url[300];
  char *auth = NULL, *dpop = NULL, *auth2 = NULL, *dpop2 = NULL, *token = NULL;
  int64_t expires = 0;
  int signs;

  NA_CHECK(test_host_init(&h) == 0);
  keys_init(&k, &keys);
  host = test_host_callbacks(&h);
  c = make_client(&host, &keys);
  if (!c) goto out;
  NA_CHECK_RC(sign_in(c, &h), 0);
  NA_CHECK(test_host_wait_browser(&h) == 0);
  NA_CHECK(k.creates == 1); /* one key for the session, made by the host */
  NA_CHECK(k.signs >= 1);   /* the token request's proof */

  snprintf(url, sizeof url, "%s/me", provider.issuer);
  signs = k.signs;
  NA_CHECK_RC(nativeauth_client_authorize(&auth, &dpop, &expires, c, "GET", url, NULL), 0);
  NA_CHECK(auth && strncmp(auth, "DPoP ", 5) == 0);
  NA_CHECK(dpop != NULL && strchr(dpop, '.') != NULL);
  NA_CHECK(expires > 0);
  NA_CHECK(k.signs == signs + 1); /* the proof for this request, signed by the host */
  if (auth && dpop) {
    /* The provider's userinfo endpoint takes the headers as they are... */
    NA_CHECK(http_get(url, auth, dpop) == 200);
    /* ...and refuses the same token without its proof: the key is what makes it work. */
    token = (char *)malloc(strlen(auth) + 8);
    if (token) {
      sprintf(token, "Bearer %s", auth + 5);
      NA_CHECK(http_get(url, token, NULL) == 401);
      /* oidc-provider answers the DPoP scheme without a proof as a malformed request (400). */
      NA_CHECK(http_get(url, auth, NULL) == 400);
      memset(token, 0, strlen(token));
      free(token);
    }
  }

  /* The host's keystore fails: KEY_UNAVAILABLE with the host's own words, nothing handed out. */
  k.fail_sign = -7;
  k.fail_reason = "the Secure Enclave is not available";
  NA_CHECK_RC(nativeauth_client_authorize(&auth2, &dpop2, NULL, c, "GET", url, NULL), NATIVEAUTH_E_KEY_UNAVAILABLE);
  NA_CHECK(auth2 == NULL && dpop2 == NULL);
  NA_CHECK(strcmp(nativeauth_error_last()->name, "key_unavailable") == 0);
  NA_CHECK(strstr(nativeauth_error_last()->message,
                  "sign_key callback failed (returned -7): the Secure Enclave is not available") != NULL);
  k.fail_sign = 0;
  NA_CHECK_RC(nativeauth_client_authorize(&auth2, &dpop2, NULL, c, "GET", "not a url", NULL),
              NATIVEAUTH_E_INVALID_ARGUMENT);

  /* Signing out deletes the host's key. */
  local.local_only = 1;
  NA_CHECK_RC(nativeauth_client_sign_out(NULL, c, &local), 0);
  NA_CHECK(k.deletes == 1);
  NA_CHECK(strcmp(k.deleted, "key-0") == 0);
  NA_CHECK(h.nslots == 0);
  if (auth && h.log_text) NA_CHECK(strstr(h.log_text, auth + 5) == NULL);
  if (dpop && h.log_text) NA_CHECK(strstr(h.log_text, dpop) == NULL);
  nativeauth_client_free(c);
out:
  nativeauth_secret_free(auth);
  nativeauth_secret_free(dpop);
  keys_destroy(&k);
  test_host_destroy(&h);
}

static void create_failure(void) {
  test_host h;
  test_keys k;
  nativeauth_host host;
  nativeauth_host_keys keys;
  nativeauth_client *c;

  NA_CHECK(test_host_init(&h) == 0);
  keys_init(&k, &keys);
  k.fail_create = -5;
  k.fail_reason = "the user denied the Keystore";
  host = test_host_callbacks(&h);
  c = make_client(&host, &keys);
  if (!c) goto out;
  NA_CHECK_RC(sign_in(c, &h), NATIVEAUTH_E_KEY_UNAVAILABLE);
  NA_CHECK(strstr(nativeauth_error_last()->message,
                  "create_key callback failed (returned -5): the user denied the Keystore") != NULL);
  NA_CHECK(h.completed == 1 && h.complete_rc == NATIVEAUTH_E_KEY_UNAVAILABLE);
  NA_CHECK(k.creates == 1);
  NA_CHECK(h.browsers_started == 0); /* the key comes before the browser (dpop_jkt) */
  NA_CHECK(h.nslots == 0);
  nativeauth_client_free(c);
out:
  keys_destroy(&k);
  test_host_destroy(&h);
}

int main(int argc, char **argv) {
  const char *which = argc > 1 ? argv[1] : "";
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) return 1;
  if (na_provider_start(&provider) != 0) return 1;
  if (strcmp(which, "sign_in") == 0) {
    authorized_request();
  } else if (strcmp(which, "create_failure") == 0) {
    create_failure();
  } else {
    fprintf(stderr, "usage: capi_dpop_test sign_in|create_failure\n");
    ++na_failures;
  }
  na_provider_stop(&provider);
  curl_global_cleanup();
  if (na_failures) fprintf(stderr, "%s: %d check(s) failed\n", which, na_failures);
  else printf("%s: ok\n", which);
  return na_failures ? 1 : 0;
}
