// SPDX-License-Identifier: Apache-2.0
// The passphrase-protected store (StorageKind::encrypted_file) and its unlock, lock and status functions.
// A CredentialStore that seals every record (core/encrypted_format.hpp) before handing it to the records
// store the platform gives (the file store in the store's directory), with the key the platform's key
// holder keeps for a while (Linux: the kernel keyring). What it does not do: files, keyrings, prompts.
//
// Each load() and save() reads store.json and the held key again rather than caching them: a `lock` in
// another shell takes effect on this process's next call, and a store removed and created anew is never
// read with the old one's parameters. Both reads are a few microseconds; scrypt runs only in unlock.
// erase() and list() need no key (slot names are not secret: the file store's names show them anyway),
// so `logout --local` and `status` work on a locked store.
#include "core/encrypted_format.hpp"
#include "core/platform_encrypted_store.hpp"

#include <nativeauth/storage.hpp>

#include <algorithm>
#include <utility>

namespace nativeauth {
namespace {

using core::encrypted::StoreParameters;
using platform::EncryptedStoreHost;
using platform::SlotKey;

Error locked(const EncryptedStoreHost &host, const char *state) {
  Error e = make_error(ErrorCode::storage_locked,
                       std::string("the encrypted store in ") + host.directory() + " is " + state +
                           ": run `nativeauth unlock` (it asks for the passphrase once and keeps the key in the "
                           "kernel keyring for a while), or call unlock_encrypted_store()");
  e.transient = true;  // an unlock in any shell of the user makes the next try succeed
  return e;
}

/// store.json, or nullopt when the store has not been created.
Result<std::optional<StoreParameters>> read_parameters(EncryptedStoreHost &host) {
  auto text = host.read_parameters();
  if (!text) return std::move(text).error();
  if (!text->has_value()) return std::optional<StoreParameters>();
  auto parsed = core::encrypted::parse_parameters(**text, host.parameters_path());
  if (!parsed) return std::move(parsed).error();
  return std::optional<StoreParameters>(std::move(*parsed));
}

struct Unlocked {
  StoreParameters parameters;
  SecretString key;
  std::chrono::system_clock::time_point until;
};

/// The store's parameters and held key; storage_locked when either is missing or the key is not this store's.
Result<Unlocked> unlocked(EncryptedStoreHost &host) {
  auto parameters = read_parameters(host);
  if (!parameters) return std::move(parameters).error();
  if (!parameters->has_value()) return locked(host, "not created yet");
  auto payload = host.get_key(core::encrypted::key_name(**parameters));
  if (!payload) return std::move(payload).error();
  if (!payload->has_value()) return locked(host, "locked");
  auto held = core::encrypted::unpack_key(**payload);
  if (!held) return locked(host, "locked (the kernel keyring holds a key of another form under its name)");
  auto fits = core::encrypted::key_fits(**parameters, held->key);
  if (!fits) return std::move(fits).error();
  if (!*fits) return locked(host, "locked (the key held for it belongs to an earlier store of that directory)");
  return Unlocked{std::move(**parameters), std::move(held->key), held->until};
}

class EncryptedStore final : public platform::CredentialStore {
 public:
  explicit EncryptedStore(std::shared_ptr<EncryptedStoreHost> host) : host_(std::move(host)) {}

  Result<std::optional<SecretString>> load(const SlotKey &key) override {
    auto open = unlocked(*host_);
    if (!open) return std::move(open).error();
    auto sealed = host_->records().load(key);
    if (!sealed || !sealed->has_value()) return sealed;
    auto record = core::encrypted::open_record(open->parameters, open->key, key, **sealed, host_->record_path(key));
    if (!record) return std::move(record).error();
    return std::optional<SecretString>(std::move(*record));
  }

  Result<void> save(const SlotKey &key, const SecretString &record) override {
    auto open = unlocked(*host_);
    if (!open) return std::move(open).error();
    auto sealed = core::encrypted::seal_record(open->parameters, open->key, key, record);
    if (!sealed) return std::move(sealed).error();
    return host_->records().save(key, *sealed);
  }

  Result<void> erase(const SlotKey &key) override { return host_->records().erase(key); }

  Result<std::vector<SlotKey>> list(const std::string &issuer) override { return host_->records().list(issuer); }

 private:
  std::shared_ptr<EncryptedStoreHost> host_;
};

EncryptedStoreStatus status_of(const EncryptedStoreHost &host) {
  EncryptedStoreStatus out;
  out.directory = host.directory();
  return out;
}

}  // namespace

Result<std::shared_ptr<platform::CredentialStore>> make_encrypted_file_store(const EncryptedStoreOptions &options) {
  auto host = platform::make_encrypted_store_host(options);
  if (!host) return std::move(host).error();
  return std::shared_ptr<platform::CredentialStore>(std::make_shared<EncryptedStore>(std::move(*host)));
}

Result<EncryptedStoreStatus> encrypted_store_status(const EncryptedStoreOptions &options) {
  auto host = platform::make_encrypted_store_host(options);
  if (!host) return std::move(host).error();
  EncryptedStoreStatus out = status_of(**host);
  auto parameters = read_parameters(**host);
  if (!parameters) return std::move(parameters).error();
  out.exists = parameters->has_value();
  if (!out.exists) return out;
  auto open = unlocked(**host);
  if (!open) {
    if (open.error().code == ErrorCode::storage_locked) return out;
    return std::move(open).error();
  }
  out.unlocked = true;
  out.unlocked_until = open->until;
  return out;
}

Result<EncryptedStoreStatus> unlock_encrypted_store(const SecretString &passphrase, std::chrono::seconds duration,
                                                    const EncryptedStoreOptions &options) {
  if (passphrase.empty()) return make_error(ErrorCode::invalid_argument, "encrypted store: an empty passphrase");
  auto host = platform::make_encrypted_store_host(options);
  if (!host) return std::move(host).error();
  auto parameters = read_parameters(**host);
  if (!parameters) return std::move(parameters).error();
  std::optional<Unlocked> open;
  if (!parameters->has_value()) {
    auto created = core::encrypted::create_store(passphrase);
    if (!created) return std::move(created).error();
    auto made = (*host)->create_parameters(core::encrypted::serialize(created->parameters));
    if (!made) return std::move(made).error();
    if (*made) open = Unlocked{std::move(created->parameters), std::move(created->key), {}};
    // else another unlock created the store first: its passphrase decides, checked below.
    if (!*made) parameters = read_parameters(**host);
    if (!parameters) return std::move(parameters).error();
  }
  if (!open) {
    if (!parameters->has_value()) return make_error(ErrorCode::storage_unavailable, "encrypted store vanished");
    auto key = core::encrypted::derive_key(**parameters, passphrase);
    if (!key) return std::move(key).error();
    open = Unlocked{std::move(**parameters), std::move(*key), {}};
  }
  const auto seconds = std::max(duration, std::chrono::seconds(1));
  const auto until = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now() + seconds);
  auto put = (*host)->put_key(core::encrypted::key_name(open->parameters), core::encrypted::pack_key(open->key, until),
                              seconds);
  if (!put) return std::move(put).error();
  EncryptedStoreStatus out = status_of(**host);
  out.exists = true;
  out.unlocked = true;
  out.unlocked_until = until;
  return out;
}

Result<void> lock_encrypted_store(const EncryptedStoreOptions &options) {
  auto host = platform::make_encrypted_store_host(options);
  if (!host) return std::move(host).error();
  auto parameters = read_parameters(**host);
  if (!parameters) return std::move(parameters).error();
  if (!parameters->has_value()) return {};
  if (auto removed = (*host)->remove_key(core::encrypted::key_name(**parameters)); !removed) return removed;
  // Locked means no token without the passphrase: the access-token cache's copies go too.
  return (*host)->drop_cached_tokens();
}

}  // namespace nativeauth
