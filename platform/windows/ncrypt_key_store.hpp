// SPDX-License-Identifier: Apache-2.0
// The KeyStore on CNG's key storage providers (NCrypt): DPoP keys (RFC 9449) made as persisted, per-user,
// non-exportable P-256 keys in the TPM (Microsoft Platform Crypto Provider) or, without a usable TPM, in the
// Microsoft Software Key Storage Provider. The only file that includes <ncrypt.h> (ncrypt_key_store.cpp).
#pragma once

#include <nativeauth/platform/key_store.hpp>

#include <memory>
#include <string>

namespace nativeauth::windows {

/// The two key storage providers a store may use.
enum class NcryptProvider {
  platform,  ///< MS_PLATFORM_CRYPTO_PROVIDER: keys made and used inside the TPM; name() "cng-platform"
  software,  ///< MS_KEY_STORAGE_PROVIDER: keys kept by Windows' key isolation service; name() "cng-software"
};

/// The CNG key store for this machine and user: the Platform Crypto Provider when it reports a TPM 2.0,
/// else the Software Key Storage Provider when it can make a P-256 key, else nullptr (the core then uses the
/// software key store). Chosen once per process; later calls return the same store.
std::shared_ptr<platform::KeyStore> make_ncrypt_key_store();

/// The store on `provider`, without checking that it works here (tests; make_ncrypt_key_store() checks).
std::shared_ptr<platform::KeyStore> make_ncrypt_key_store(NcryptProvider provider);

/// Why `provider` cannot make P-256 keys here ("…: the operation is not supported (error …)"), or "" when it
/// can: what make_ncrypt_key_store() checks. For the TPM it asks the provider, without making a key (a TPM
/// takes tens of milliseconds per key); for the software provider it makes and discards an ephemeral key.
std::string ncrypt_provider_problem(NcryptProvider provider);

}  // namespace nativeauth::windows
