// SPDX-License-Identifier: Apache-2.0
// Built without libsecret (NATIVEAUTH_WITH_LIBSECRET=OFF): no keychain, and saying so plainly.
#include <nativeauth/storage.hpp>

namespace nativeauth {

Result<std::shared_ptr<platform::CredentialStore>> make_keychain_store(const KeychainOptions &) {
  return make_error(ErrorCode::storage_unavailable,
                    "this build of nativeauth has no keychain support (built with NATIVEAUTH_WITH_LIBSECRET=OFF); "
                    "choose the file store explicitly or rebuild with libsecret");
}

}  // namespace nativeauth
