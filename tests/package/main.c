/* SPDX-License-Identifier: Apache-2.0 */
/* Package test program in C99: uses the installed C ABI (nativeauth_c) the way a C app or a mobile
   host's bridge would: creates a client, checks the ABI and library versions, frees it. */
#include <nativeauth_c/nativeauth.h>

#include <stdio.h>
#include <string.h>

int main(void) {
  nativeauth_client_options options = NATIVEAUTH_CLIENT_OPTIONS_INIT;
  nativeauth_client *client = NULL;
  options.issuer = "https://idp.example";
  options.client_id = "package-test-c";
  options.storage = NATIVEAUTH_STORAGE_MEMORY;
  /* Creating a client only validates and wires up the platform; nothing touches the network. */
  if (nativeauth_client_new(&client, &options) != 0) {
    fprintf(stderr, "package-test-c: nativeauth_client_new failed: %s\n", nativeauth_error_last()->message);
    return 1;
  }
  nativeauth_client_free(client);
  if (nativeauth_c_abi_version() != NATIVEAUTH_C_ABI_VERSION) {
    fprintf(stderr, "package-test-c: headers are ABI %u but the library is ABI %u\n",
            (unsigned)NATIVEAUTH_C_ABI_VERSION, (unsigned)nativeauth_c_abi_version());
    return 1;
  }
  printf("nativeauth %s (C ABI %u)\n", nativeauth_version(), (unsigned)nativeauth_c_abi_version());
  return 0;
}
