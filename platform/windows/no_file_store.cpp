// SPDX-License-Identifier: Apache-2.0
// The stores Windows does not have yet: the plain file store and the passphrase-protected file store need
// an owner-only file layer (ACLs instead of 0600/0700) that is not written. Their public functions exist
// on every platform and say so, naming the store that works here.

#include <nativeauth/storage.hpp>

#include "core/platform_encrypted_store.hpp"

namespace nativeauth {

Result<std::shared_ptr<platform::CredentialStore>> make_file_store(const FileStoreOptions & /*options*/) {
  return make_error(ErrorCode::storage_unavailable,
                    "the file store is not available on Windows; sessions are kept in Credential Manager "
                    "(StorageKind::keychain, the default)");
}

namespace platform {

Result<std::shared_ptr<EncryptedStoreHost>> make_encrypted_store_host(const EncryptedStoreOptions & /*options*/) {
  return make_error(ErrorCode::storage_unavailable,
                    "the passphrase-protected file store is not available on Windows; sessions are kept in "
                    "Credential Manager (StorageKind::keychain, the default)");
}

}  // namespace platform
}  // namespace nativeauth
