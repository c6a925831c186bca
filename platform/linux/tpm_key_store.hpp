// SPDX-License-Identifier: Apache-2.0
// The TPM 2.0 key store ("tpm"): DPoP keys (RFC 9449) made inside the machine's TPM and never exportable,
// reached through tpm2-tss's ESAPI (loaded on first use, tss_loader.hpp), and Linux's rule for when to use it.
// Not here: the software store every platform has (the core's), or anything that speaks to the TPM outside
// create(), open() and sign().
#pragma once

#include <nativeauth/platform/key_store.hpp>

#include <memory>
#include <string>

namespace nativeauth::linux_platform {

/// The TCTI (tpm2-tss's "how to reach the TPM" string) the TPM store uses: NATIVEAUTH_TPM_TCTI when set
/// (e.g. "swtpm:path=/run/swtpm/sock"), else "device:/dev/tpmrm0" (the kernel's resource manager).
std::string tpm_tcti_from_environment();

/// A "tpm" KeyStore for the TPM `tcti` reaches. Its keys are ECC P-256 signing keys (ES256) created by the TPM
/// under the owner hierarchy's standard ECC storage key (re-derived from the TPM's seed, never persisted), with
/// fixedTPM, fixedParent and sensitiveDataOrigin: the private part exists outside the TPM only wrapped by a
/// key that never leaves it. The reference a slot's record keeps is that wrapped blob ("tpm2-v1:" + base64url
/// of the marshalled TPM2B_PUBLIC and TPM2B_PRIVATE). Nothing is loaded or connected until create() or open():
/// then a missing tpm2-tss, an unreachable TPM or a blob this TPM cannot load is ErrorCode::key_unavailable.
/// Each operation opens its own TPM connection and one runs at a time per process.
std::shared_ptr<platform::KeyStore> make_tpm_key_store(std::string tcti);

/// Linux's default DPoP key store: the TPM store when NATIVEAUTH_TPM is not "off" and either
/// NATIVEAUTH_TPM_TCTI is set or /dev/tpmrm0 is readable and writable by this process; null otherwise (the
/// core then uses its software store). Cheap: it touches neither the TPM nor tpm2-tss.
std::shared_ptr<platform::KeyStore> make_tpm_key_store_if_present();

}  // namespace nativeauth::linux_platform
