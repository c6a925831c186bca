// SPDX-License-Identifier: Apache-2.0
// placeholder until the file store lands
#include <nativeauth/storage.hpp>
namespace nativeauth {
Result<std::shared_ptr<platform::CredentialStore>> make_file_store(const FileStoreOptions &) {
  return make_error(ErrorCode::storage_unavailable, "file store not built yet");
}
}  // namespace nativeauth
