/* SPDX-License-Identifier: Apache-2.0 */
/* A stand-in built as libsecret-1.so.0 for lazy_libraries_test: a library by libsecret's name that lacks
   its functions, as an old or foreign libsecret would. No real part produces one on demand. */
int nativeauth_old_libsecret(void);
int nativeauth_old_libsecret(void) { return 0; }
