// SPDX-License-Identifier: Apache-2.0
// make_callback_store(): a CredentialStore over functions the host app supplies (mobile keychains).
#include <nativeauth/storage.hpp>

#include <exception>
#include <utility>

namespace nativeauth {
namespace {

Error host_failure(const char *what) {
  return make_error(ErrorCode::storage_unavailable,
                    std::string("the host app's ") + what + " function failed with an exception");
}

class CallbackStore final : public platform::CredentialStore {
 public:
  explicit CallbackStore(CallbackStoreFunctions f) : f_(std::move(f)) {}

  Result<std::optional<SecretString>> load(const platform::SlotKey &key) override {
    try {
      return f_.load(key);
    } catch (...) {
      return host_failure("load");
    }
  }
  Result<void> save(const platform::SlotKey &key, const SecretString &record) override {
    try {
      return f_.save(key, record);
    } catch (...) {
      return host_failure("save");
    }
  }
  Result<void> erase(const platform::SlotKey &key) override {
    try {
      return f_.erase(key);
    } catch (...) {
      return host_failure("erase");
    }
  }
  Result<std::vector<platform::SlotKey>> list(const std::string &issuer) override {
    try {
      return f_.list(issuer);
    } catch (...) {
      return host_failure("list");
    }
  }

 private:
  CallbackStoreFunctions f_;
};

}  // namespace

Result<std::shared_ptr<platform::CredentialStore>> make_callback_store(CallbackStoreFunctions functions) {
  if (!functions.load || !functions.save || !functions.erase || !functions.list) {
    return make_error(ErrorCode::invalid_argument, "a callback store needs load, save, erase and list functions");
  }
  return std::shared_ptr<platform::CredentialStore>(std::make_shared<CallbackStore>(std::move(functions)));
}

}  // namespace nativeauth
