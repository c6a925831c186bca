// SPDX-License-Identifier: Apache-2.0
// The TPM2 Software Stack (tpm2-tss: ESAPI, the TCTI loader, marshalling, error texts), loaded on the TPM key
// store's first use instead of linked, like libcrypto and libsecret (docs/adr/0008, 0009): the functions
// tpm_key_store.cpp calls, as one table resolved once. The headers (Debian: libtss2-dev) give the types and,
// through decltype, each function's exact signature. Not here: what is done with the TPM (tpm_key_store.cpp).
#pragma once

#include <string>

#include <tss2/tss2_esys.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>

namespace nativeauth::linux_platform {

// The functions tpm_key_store.cpp calls, by the library that exports them (tpm2-tss 3.2 on Debian 12).
// clang-format off
#define NATIVEAUTH_ESYS_FUNCTIONS(X)                                                                          \
  X(Esys_Initialize) X(Esys_Finalize) X(Esys_Free) X(Esys_CreatePrimary) X(Esys_Create) X(Esys_Load)         \
  X(Esys_FlushContext) X(Esys_Sign) X(Esys_HashSequenceStart) X(Esys_SequenceUpdate) X(Esys_SequenceComplete)
#define NATIVEAUTH_TCTILDR_FUNCTIONS(X)                                                                       \
  X(Tss2_TctiLdr_Initialize) X(Tss2_TctiLdr_Finalize)
#define NATIVEAUTH_MU_FUNCTIONS(X)                                                                            \
  X(Tss2_MU_TPM2B_PUBLIC_Marshal) X(Tss2_MU_TPM2B_PUBLIC_Unmarshal)                                          \
  X(Tss2_MU_TPM2B_PRIVATE_Marshal) X(Tss2_MU_TPM2B_PRIVATE_Unmarshal)
#define NATIVEAUTH_RC_FUNCTIONS(X)                                                                            \
  X(Tss2_RC_Decode)
// clang-format on

/// The tpm2-tss functions the TPM key store calls, each typed by its declaration.
struct TssApi {
#define NATIVEAUTH_DECLARE(name) decltype(&::name) name = nullptr;
  NATIVEAUTH_ESYS_FUNCTIONS(NATIVEAUTH_DECLARE)
  NATIVEAUTH_TCTILDR_FUNCTIONS(NATIVEAUTH_DECLARE)
  NATIVEAUTH_MU_FUNCTIONS(NATIVEAUTH_DECLARE)
  NATIVEAUTH_RC_FUNCTIONS(NATIVEAUTH_DECLARE)
#undef NATIVEAUTH_DECLARE
};

/// The table, or why it could not be filled.
struct TssLibrary {
  const TssApi *api = nullptr;  ///< null when a library or a function is missing
  std::string problem;          ///< what is missing and what to install, when api is null
};

/// Loads the libraries once (thread-safe, a function-local static) and returns the same result every time.
const TssLibrary &tss_library();

}  // namespace nativeauth::linux_platform
