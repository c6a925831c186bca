/* SPDX-License-Identifier: Apache-2.0 */
/* A stand-in libtss2-esys.so.0 that exports none of ESAPI: what the TPM key store meets where tpm2-tss is
   missing or broken (tests/integration/CMakeLists.txt puts it first in LD_LIBRARY_PATH for one test). */
int nativeauth_tss_stub;
