/* SPDX-License-Identifier: Apache-2.0 */
/* The nativeauth C ABI: export macro, versions, and freeing what the library returns. */
#ifndef NATIVEAUTH_C_COMMON_H
#define NATIVEAUTH_C_COMMON_H

#include <stddef.h>
#include <stdint.h>

#if defined(NATIVEAUTH_C_STATIC)
#define NATIVEAUTH_C_API
#elif defined(_WIN32)
#if defined(NATIVEAUTH_C_BUILDING)
#define NATIVEAUTH_C_API __declspec(dllexport)
#else
#define NATIVEAUTH_C_API __declspec(dllimport)
#endif
#else
#define NATIVEAUTH_C_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

/**
 * The ABI major of this header. It is part of the shared library's SONAME (libnativeauth_c.so.1)
 * and changes only if a release ever has to break binary compatibility.
 */
#define NATIVEAUTH_C_ABI_VERSION 1

/**
 * The version of the nativeauth library actually loaded, e.g. "0.1.0".
 * Ownership: a static string; never free it. Thread safety: any thread. Errors: none, never NULL.
 */
NATIVEAUTH_C_API const char *nativeauth_version(void);

/**
 * The C ABI major of the library actually loaded (NATIVEAUTH_C_ABI_VERSION when it was built).
 * Thread safety: any thread. Errors: none.
 */
NATIVEAUTH_C_API uint32_t nativeauth_c_abi_version(void);

/**
 * Frees a string the library returned (JSON, names, messages). NULL is ignored.
 * Ownership: takes the string. Thread safety: any thread. Errors: none.
 */
NATIVEAUTH_C_API void nativeauth_string_free(char *string);

/**
 * Overwrites a secret the library returned (an access token) with zeros, then frees it. NULL is ignored.
 * Ownership: takes the secret. Thread safety: any thread. Errors: none.
 */
NATIVEAUTH_C_API void nativeauth_secret_free(char *secret);

#ifdef __cplusplus
}
#endif

#endif /* NATIVEAUTH_C_COMMON_H */
