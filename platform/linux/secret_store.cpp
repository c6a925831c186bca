// SPDX-License-Identifier: Apache-2.0
// placeholder until the libsecret store lands
#include <nativeauth/storage.hpp>
namespace nativeauth {
Result<std::shared_ptr<platform::CredentialStore>> make_keychain_store(const KeychainOptions &) {
  return make_error(ErrorCode::storage_unavailable, "libsecret store not built yet");
}
}  // namespace nativeauth
