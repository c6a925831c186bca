// SPDX-License-Identifier: Apache-2.0
// The host's C callbacks as the C++ platform parts: a BrowserLauncher, a CredentialStore
// (through make_callback_store) and a LogSink. Absent callbacks leave the desktop defaults in place.
#include "capi.hpp"

#include <optional>
#include <utility>
#include <vector>

struct nativeauth_slot_record {
  std::optional<nativeauth::SecretString> value;
};

struct nativeauth_slot_list {
  std::vector<nativeauth::platform::SlotKey> keys;
};

namespace nativeauth::capi {
namespace {

// Opens URLs through the host's open_url, or the desktop default when the host has none. Every sign-in
// opens its browser through here, on the sign-in's thread: the hook that closes the cancel race.
class HostBrowser final : public platform::BrowserLauncher {
 public:
  HostBrowser(int (*open_url)(const char *, void *), void *payload, std::shared_ptr<platform::BrowserLauncher> fallback)
      : open_url_(open_url), payload_(payload), fallback_(std::move(fallback)) {}

  Result<void> open(const std::string &url) override {
    on_show_url(current_sign_in());
    if (!open_url_) {
      if (!fallback_)
        return make_error(ErrorCode::browser_unavailable, "this platform has no default browser launcher");
      return fallback_->open(url);
    }
    const int rc = open_url_(url.c_str(), payload_);
    if (rc != 0) {
      return make_error(ErrorCode::browser_unavailable,
                        "the host's open_url callback failed (returned " + std::to_string(rc) + ")");
    }
    return {};
  }

 private:
  int (*open_url_)(const char *, void *);
  void *payload_;
  std::shared_ptr<platform::BrowserLauncher> fallback_;
};

Error host_store_error(const char *callback, int rc) {
  Error e = make_error(
      rc == c_code(ErrorCode::storage_locked) ? ErrorCode::storage_locked : ErrorCode::storage_unavailable,
      std::string("the host's ") + callback + " callback failed (returned " + std::to_string(rc) + ")");
  e.transient = rc == c_code(ErrorCode::storage_locked);
  return e;
}

struct CKey {
  explicit CKey(const platform::SlotKey &k) : key{k.issuer.c_str(), k.client_id.c_str(), k.profile.c_str()} {}
  nativeauth_slot_key key;
};

}  // namespace

int apply_host(ClientOptions &options, const nativeauth_host &host) {
  const int stores = (host.load_slot ? 1 : 0) + (host.save_slot ? 1 : 0) + (host.erase_slot ? 1 : 0) +
                     (host.list_slots ? 1 : 0);
  if (stores != 0 && stores != 4) {
    return fail(ErrorCode::invalid_argument,
                "nativeauth_host: load_slot, save_slot, erase_slot and list_slots must be all set or all NULL");
  }
  options.platform.browser = std::make_shared<HostBrowser>(host.open_url, host.payload,
                                                           platform::default_platform().browser);
  if (stores == 4) {
    const nativeauth_host h = host;
    CallbackStoreFunctions f;
    f.load = [h](const platform::SlotKey &k) -> Result<std::optional<SecretString>> {
      nativeauth_slot_record record;
      const CKey key(k);
      const int rc = h.load_slot(&record, &key.key, h.payload);
      if (rc != 0) return host_store_error("load_slot", rc);
      return std::move(record.value);
    };
    f.save = [h](const platform::SlotKey &k, const SecretString &value) -> Result<void> {
      const CKey key(k);
      const int rc = h.save_slot(&key.key, value.reveal().data(), value.size(), h.payload);
      if (rc != 0) return host_store_error("save_slot", rc);
      return {};
    };
    f.erase = [h](const platform::SlotKey &k) -> Result<void> {
      const CKey key(k);
      const int rc = h.erase_slot(&key.key, h.payload);
      if (rc != 0) return host_store_error("erase_slot", rc);
      return {};
    };
    f.list = [h](const std::string &issuer) -> Result<std::vector<platform::SlotKey>> {
      nativeauth_slot_list list;
      const int rc = h.list_slots(&list, issuer.c_str(), h.payload);
      if (rc != 0) return host_store_error("list_slots", rc);
      return std::move(list.keys);
    };
    auto store = make_callback_store(std::move(f));
    if (!store) return fail(store.error());
    options.platform.store = std::move(*store);
  }
  if (host.log) {
    auto *log = host.log;
    void *payload = host.payload;
    options.log = [log, payload](LogLevel level, std::string_view line) {
      const std::string copy(line);  // NUL-terminated for C
      log(static_cast<std::int32_t>(level), copy.c_str(), payload);
    };
  }
  return 0;
}

}  // namespace nativeauth::capi

using namespace nativeauth;

extern "C" {

int nativeauth_host_init(nativeauth_host *host, uint32_t version) {
  return capi::guarded([&] {
    if (!host) return capi::fail(ErrorCode::invalid_argument, "nativeauth_host_init: host is NULL");
    if (int rc = capi::check_version("nativeauth_host", version, NATIVEAUTH_HOST_VERSION)) return rc;
    const nativeauth_host init = NATIVEAUTH_HOST_INIT;
    *host = init;
    host->version = version;
    return 0;
  });
}

int nativeauth_slot_record_set(nativeauth_slot_record *record, const char *data, size_t size) {
  try {
    if (!record || (!data && size != 0)) {
      return capi::fail(ErrorCode::invalid_argument, "nativeauth_slot_record_set: record or data is NULL");
    }
    record->value.emplace(std::string(data ? data : "", size));
    return 0;
  } catch (...) {
    return capi::fail(make_error(ErrorCode::internal, "out of memory"));
  }
}

int nativeauth_slot_list_add(nativeauth_slot_list *list, const nativeauth_slot_key *key) {
  try {
    if (!list || !key || !key->issuer || !key->client_id || !key->profile) {
      return capi::fail(ErrorCode::invalid_argument, "nativeauth_slot_list_add: list, key or a key field is NULL");
    }
    list->keys.push_back(platform::SlotKey{key->issuer, key->client_id, key->profile});
    return 0;
  } catch (...) {
    return capi::fail(make_error(ErrorCode::internal, "out of memory"));
  }
}

}  // extern "C"
