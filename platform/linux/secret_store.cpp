// SPDX-License-Identifier: Apache-2.0
// make_keychain_store() on Linux: one Secret Service item per slot, through libsecret's SecretService API.
//
// libsecret and GLib are loaded by the store's first call, not linked (linux/libsecret_loader.hpp,
// docs/adr/0009): every libsecret/GLib function here is called through lib(), and a missing library is
// ErrorCode::storage_unavailable naming the package to install. A direct call would link libsecret again
// (nm -D --undefined-only of libnativeauth.so would list a g_* or secret_* symbol).
//
// Schema io.nativeauth.Slot (SECRET_SCHEMA_NONE: every search also matches the schema name):
//   attribute xdg:schema  "io.nativeauth.Slot"; libsecret adds it on store and matches it on search, so
//                         items of other applications that happen to use the same attribute names are
//                         never read, listed or erased.
//   attribute issuer      SlotKey::issuer, the issuer identifier exactly as configured (no normalizing)
//   attribute client_id   SlotKey::client_id
//   attribute profile     SlotKey::profile ("default" unless the application chose another)
//   label                 "<app_name> — <issuer>" (KeychainOptions::app_name, else the client_id); shown
//                         by Passwords and Keys / seahorse and KeePassXC; never holds a secret
//   secret                the session record (versioned JSON, opaque here), content type text/plain
//   collection            the default one (alias "default": gnome-keyring's "login", KeePassXC's
//                         exposed database); reads, lists and erases search every collection
// There is no version attribute: the record carries its own version, and an attribute would make
// every lookup miss the items a future version writes. All attribute values are UTF-8 without NUL.
// The same item by hand: secret-tool search issuer I client_id C profile P (shows label and attributes),
// secret-tool lookup issuer I client_id C profile P (prints the record), secret-tool clear ... (erases).
//
// Operations. save = SearchItems by object path; when the slot's items exist and none is locked (every
// refresh), Item.SetSecret on each: the secret replaced in place, label and attributes kept, two
// messages in all (no collection proxy), and every copy of the slot agrees. Otherwise (the first save,
// a locked match) CreateItem(replace=true) into the default collection: the Secret Service replaces an
// item with identical attributes in place. Both are atomic replaces (gnome-keyring writes a temporary
// file, fsyncs and renames it). load = SearchItems by object
// path (unlocked and locked matches apart) and GetSecrets for the first unlocked match, without
// building item proxies (the two messages secret-tool lookup sends). erase = delete
// every match. list = search by issuer and the attributes of every match, sorted, without duplicates.
//
// Never a prompt and never a fallback. libsecret's secret_password_* would unlock a locked item with a
// prompt (and, inside a Flatpak sandbox, silently switch to a file backend); this uses the SecretService
// API without SECRET_SEARCH_UNLOCK instead. A locked item, or an empty search in a locked default
// collection (a service may hide what a locked collection holds), is ErrorCode::storage_locked. save()
// checks the default collection's Locked property first, because gnome-keyring answers CreateItem
// into a locked collection with an unlock prompt. No session bus, nobody owning
// org.freedesktop.secrets, or no default collection, is ErrorCode::storage_unavailable with what to
// do: run a Secret Service (or create a default keyring) or choose the file store explicitly.
//
// Time. Every call has one GCancellable and a timer thread that cancels it once
// KeychainOptions::timeout has passed (a prompt shown by someone else, or a hung daemon); the call then
// fails with ErrorCode::storage_locked. The timer is joined before the call returns, and each call owns
// its cancellable, so no cancel ever reaches another call. A cancelled save may still complete in the
// daemon later. D-Bus's own 25 s reply timeout still applies to longer budgets.
//
// Threads. Any thread may call: libsecret's *_sync functions run each call in a private GMainContext,
// and the SecretService proxy is libsecret's process-wide one. The session bus connection is GLib's
// process-wide one; its exit-on-close is turned off, so losing the bus fails calls instead of sending
// the application SIGTERM. After a failure that says the service went away, libsecret's cached service
// is dropped so that the next call connects afresh.
//
// Memory. Secrets travel in SecretValues, which libsecret allocates in its non-pageable secure memory
// and wipes when they are freed; the record is copied out once, into a SecretString.

#include <nativeauth/error.hpp>
#include <nativeauth/platform/credential_store.hpp>
#include <nativeauth/result.hpp>
#include <nativeauth/secret.hpp>
#include <nativeauth/storage.hpp>

#include "linux/libsecret_loader.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdio>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace nativeauth {
namespace {

using platform::SlotKey;

// libsecret and GLib, loaded by the store's first call (SecretServiceStore::guarded). Only valid once
// secret_library() succeeded: every GLib object below comes from a call through this table.
const linux_platform::SecretApi &lib() { return *linux_platform::secret_library().api; }

constexpr std::size_t kMaxRecordSize = std::size_t{1} << 20;  // the file store's limit too

// The one message for "there is no keychain here": what is missing, and the three ways forward.
std::string no_service(const std::string &cause) {
  return "no Secret Service is running (" + cause +
         "; the keychain needs gnome-keyring or KeePassXC running in this session). Without one, choose a store "
         "explicitly: --storage encrypted-file, then `nativeauth unlock` (StorageKind::encrypted_file: encrypted "
         "with a passphrase, for headless servers), or --storage file (StorageKind::file: protected only by "
         "file permissions)";
}

const SecretSchema *slot_schema() {
  static const SecretSchema schema = [] {
    SecretSchema s{};
    s.name = "io.nativeauth.Slot";
    s.flags = SECRET_SCHEMA_NONE;
    s.attributes[0] = {"issuer", SECRET_SCHEMA_ATTRIBUTE_STRING};
    s.attributes[1] = {"client_id", SECRET_SCHEMA_ATTRIBUTE_STRING};
    s.attributes[2] = {"profile", SECRET_SCHEMA_ATTRIBUTE_STRING};
    return s;
  }();
  return &schema;
}

// ---------------------------------------------------------------------------------------------
// Ownership of what GLib hands out

struct ObjectUnref {
  void operator()(gpointer object) const { lib().g_object_unref(object); }
};
template <typename T>
using ObjectPtr = std::unique_ptr<T, ObjectUnref>;

struct ErrorFree {
  void operator()(GError *error) const { lib().g_error_free(error); }
};
using ErrorPtr = std::unique_ptr<GError, ErrorFree>;

struct HashTableUnref {
  void operator()(GHashTable *table) const { lib().g_hash_table_unref(table); }
};
using HashTablePtr = std::unique_ptr<GHashTable, HashTableUnref>;

struct ObjectListFree {
  void operator()(GList *list) const { lib().g_list_free_full(list, lib().g_object_unref); }
};
using ObjectListPtr = std::unique_ptr<GList, ObjectListFree>;

struct StrvFree {
  void operator()(gchar **strv) const { lib().g_strfreev(strv); }
};
using StrvPtr = std::unique_ptr<gchar *, StrvFree>;

struct ValueUnref {
  void operator()(SecretValue *value) const { lib().secret_value_unref(value); }
};
using ValuePtr = std::unique_ptr<SecretValue, ValueUnref>;

// Collects a GError out-parameter: `f(..., err.out()); if (err) ...`.
class ErrorOut {
 public:
  GError **out() { return &raw_; }
  explicit operator bool() const { return raw_ != nullptr; }
  ErrorPtr take() { return ErrorPtr(std::exchange(raw_, nullptr)); }
  ~ErrorOut() {
    if (raw_) lib().g_error_free(raw_);
  }

 private:
  GError *raw_ = nullptr;
};

// String attributes, borrowing the key's strings for the duration of one call.
HashTablePtr attributes(const SlotKey &key) {
  HashTablePtr table(lib().g_hash_table_new(lib().g_str_hash, lib().g_str_equal));
  lib().g_hash_table_insert(table.get(), const_cast<char *>("issuer"), const_cast<char *>(key.issuer.c_str()));
  lib().g_hash_table_insert(table.get(), const_cast<char *>("client_id"), const_cast<char *>(key.client_id.c_str()));
  lib().g_hash_table_insert(table.get(), const_cast<char *>("profile"), const_cast<char *>(key.profile.c_str()));
  return table;
}

HashTablePtr issuer_attributes(const std::string &issuer) {
  HashTablePtr table(lib().g_hash_table_new(lib().g_str_hash, lib().g_str_equal));
  lib().g_hash_table_insert(table.get(), const_cast<char *>("issuer"), const_cast<char *>(issuer.c_str()));
  return table;
}

// D-Bus strings are UTF-8 without NUL; GVariant would refuse anything else with a critical warning.
bool dbus_string(const std::string &s) {
  return s.find('\0') == std::string::npos && lib().g_utf8_validate(s.data(), static_cast<gssize>(s.size()), nullptr);
}

Result<void> check_text(const std::string &value, const char *what) {
  if (!dbus_string(value)) {
    return make_error(ErrorCode::invalid_argument,
                      std::string("keychain: the slot's ") + what + " is not valid UTF-8 text");
  }
  return {};
}

Result<void> check_key(const SlotKey &key) {
  if (key.issuer.empty() || key.client_id.empty()) {
    return make_error(ErrorCode::invalid_argument, "keychain: a slot needs an issuer and a client_id");
  }
  if (auto ok = check_text(key.issuer, "issuer"); !ok) return ok;
  if (auto ok = check_text(key.client_id, "client_id"); !ok) return ok;
  return check_text(key.profile, "profile");
}

std::string seconds_text(std::chrono::milliseconds d) {
  char buf[32];
  if (d.count() % 1000 == 0) {
    std::snprintf(buf, sizeof buf, "%lld s", static_cast<long long>(d.count() / 1000));
  } else {
    std::snprintf(buf, sizeof buf, "%.3g s", static_cast<double>(d.count()) / 1000.0);
  }
  return buf;
}

// ---------------------------------------------------------------------------------------------
// One call: its cancellable, its deadline, and how its failures read

enum class Stage { bus, service, operation };

class Call {
 public:
  // verb: what the caller was doing, e.g. "save the session"; a string literal.
  Call(const char *verb, std::chrono::milliseconds budget)
      : verb_(verb), budget_(budget), cancellable_(lib().g_cancellable_new()) {
    timer_ = std::thread([this] {
      std::unique_lock<std::mutex> lock(mu_);
      if (!cv_.wait_for(lock, budget_, [this] { return done_; })) {
        expired_ = true;
        lib().g_cancellable_cancel(cancellable_.get());  // thread-safe; GIO completes the call in its context
      }
    });
  }
  Call(const Call &) = delete;
  Call &operator=(const Call &) = delete;
  ~Call() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      done_ = true;
    }
    cv_.notify_one();
    timer_.join();
  }

  GCancellable *cancellable() const { return cancellable_.get(); }

  // The session bus and libsecret's SecretService, with a session open. Failures here mean "no
  // keychain", except for running out of time.
  Result<ObjectPtr<SecretService>> connect() {
    ErrorOut err;
    ObjectPtr<GDBusConnection> bus(lib().g_bus_get_sync(G_BUS_TYPE_SESSION, cancellable(), err.out()));
    if (!bus) return fail(Stage::bus, err.take());
    lib().g_dbus_connection_set_exit_on_close(bus.get(), FALSE);
    ObjectPtr<SecretService> service(lib().secret_service_get_sync(SECRET_SERVICE_OPEN_SESSION, cancellable(),
                                                                   err.out()));
    if (!service) return fail(Stage::service, err.take());
    return service;
  }

  // The default collection, or an error saying why it cannot take or show items now.
  Result<ObjectPtr<SecretCollection>> default_collection(SecretService *service) {
    ErrorOut err;
    ObjectPtr<SecretCollection> collection(lib().secret_collection_for_alias_sync(
        service, SECRET_COLLECTION_DEFAULT, SECRET_COLLECTION_NONE, cancellable(), err.out()));
    if (err) return fail(Stage::operation, err.take());
    if (!collection) {
      return error(ErrorCode::storage_unavailable,
                   "the Secret Service has no default keyring: create one and make it the default (for example "
                   "in Passwords and Keys), or choose the file store explicitly: nativeauth --storage file "
                   "(StorageKind::file)");
    }
    if (lib().secret_collection_get_locked(collection.get())) return locked_collection();
    return collection;
  }

  Error locked_collection() const {
    return error(ErrorCode::storage_locked,
                 "the default keyring is locked: unlock it (for example in Passwords and Keys) or log in to the "
                 "desktop session, then try again; nativeauth never shows an unlock prompt itself",
                 true);
  }

  Error locked_item() const {
    return error(ErrorCode::storage_locked,
                 "the keyring item is locked: unlock the keyring (for example in Passwords and Keys) or log in to "
                 "the desktop session, then try again; nativeauth never shows an unlock prompt itself",
                 true);
  }

  Error error(ErrorCode code, const std::string &detail, bool transient = false) const {
    Error e = make_error(code, std::string("keychain: cannot ") + verb_ + ": " + detail);
    e.transient = transient;
    return e;
  }

  // Turns a GError into an Error. GError texts name D-Bus objects and methods, never secrets.
  Error fail(Stage stage, ErrorPtr gerror) const {
    if (!gerror) {  // libsecret refuses bad arguments with a warning and no GError; check_key() prevents it
      return error(ErrorCode::internal, "libsecret refused the call without an error");
    }
    const std::string text = gerror->message ? gerror->message : "unknown error";
    if (lib().g_error_matches(gerror.get(), lib().g_io_error_quark(), G_IO_ERROR_CANCELLED) || expired()) {
      if (stage == Stage::bus) {
        return error(ErrorCode::storage_unavailable,
                     no_service("the D-Bus session bus did not answer within " + seconds_text(budget_)));
      }
      return error(ErrorCode::storage_locked,
                   "the keyring did not answer within " + seconds_text(budget_) +
                       "; it may be waiting for an unlock prompt: unlock the keyring (or log in to the desktop "
                       "session) and try again",
                   true);
    }
    if (stage == Stage::bus) {
      const char *address = lib().g_getenv("DBUS_SESSION_BUS_ADDRESS");
      const std::string where = address && *address ? std::string(" at ") + address
                                                    : std::string(" (DBUS_SESSION_BUS_ADDRESS is not set)");
      return error(ErrorCode::storage_unavailable, no_service("there is no D-Bus session bus" + where + ": " + text));
    }
    if (gerror->domain == lib().g_dbus_error_quark()) {
      switch (gerror->code) {
        case G_DBUS_ERROR_SERVICE_UNKNOWN:
        case G_DBUS_ERROR_NAME_HAS_NO_OWNER:
          lib().secret_service_disconnect();
          return error(ErrorCode::storage_unavailable,
                       no_service("nothing owns org.freedesktop.secrets on the session bus"));
        case G_DBUS_ERROR_SPAWN_EXEC_FAILED:
        case G_DBUS_ERROR_SPAWN_FORK_FAILED:
        case G_DBUS_ERROR_SPAWN_CHILD_EXITED:
        case G_DBUS_ERROR_SPAWN_CHILD_SIGNALED:
        case G_DBUS_ERROR_SPAWN_FAILED:
        case G_DBUS_ERROR_SPAWN_SERVICE_NOT_FOUND:
        case G_DBUS_ERROR_SPAWN_SERVICE_INVALID:
        case G_DBUS_ERROR_SPAWN_NO_MEMORY:
          lib().secret_service_disconnect();
          return error(ErrorCode::storage_unavailable, no_service("starting org.freedesktop.secrets failed: " + text));
        case G_DBUS_ERROR_DISCONNECTED:
          lib().secret_service_disconnect();
          return error(ErrorCode::storage_unavailable, no_service("the session bus connection was lost: " + text));
        case G_DBUS_ERROR_NO_REPLY:
        case G_DBUS_ERROR_TIMEOUT:
        case G_DBUS_ERROR_TIMED_OUT:
          return error(ErrorCode::storage_locked,
                       "the keyring did not answer (" + text +
                           "); it may be waiting for an unlock prompt: unlock the keyring and try again",
                       true);
        default: break;
      }
    }
    if (lib().g_error_matches(gerror.get(), lib().g_io_error_quark(), G_IO_ERROR_CLOSED)) {
      lib().secret_service_disconnect();
      return error(ErrorCode::storage_unavailable, no_service("the session bus connection was closed: " + text));
    }
    if (lib().g_error_matches(gerror.get(), lib().secret_error_get_quark(), SECRET_ERROR_IS_LOCKED) ||
        text.find("locked") != std::string::npos) {
      return error(ErrorCode::storage_locked,
                   "the keyring is locked (" + text +
                       "): unlock it (for example in Passwords and Keys) or log in to the desktop session, then "
                       "try again; nativeauth never shows an unlock prompt itself",
                   true);
    }
    if (stage == Stage::service) {
      lib().secret_service_disconnect();
      return error(ErrorCode::storage_unavailable, no_service("opening org.freedesktop.secrets failed: " + text));
    }
    return error(ErrorCode::storage_unavailable, "the Secret Service failed: " + text);
  }

 private:
  bool expired() const {
    std::lock_guard<std::mutex> lock(mu_);
    return expired_;
  }

  const char *verb_;
  std::chrono::milliseconds budget_;
  ObjectPtr<GCancellable> cancellable_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  bool expired_ = false;
  std::thread timer_;  // last: started after everything it reads exists
};

// The value of an item's attribute, or nullopt.
std::optional<std::string> attribute(GHashTable *attrs, const char *name) {
  const auto *value = static_cast<const char *>(lib().g_hash_table_lookup(attrs, name));
  if (!value) return std::nullopt;
  return std::string(value);
}

// ---------------------------------------------------------------------------------------------
// The store

class SecretServiceStore final : public platform::CredentialStore {
 public:
  explicit SecretServiceStore(KeychainOptions options) : options_(std::move(options)) {}

  Result<std::optional<SecretString>> load(const SlotKey &key) override {
    return guarded<std::optional<SecretString>>("read the session", [&](Call &call) { return load_in(call, key); });
  }

  Result<void> save(const SlotKey &key, const SecretString &record) override {
    return guarded<void>("save the session", [&](Call &call) { return save_in(call, key, record); });
  }

  Result<void> erase(const SlotKey &key) override {
    return guarded<void>("erase the session", [&](Call &call) { return erase_in(call, key); });
  }

  Result<std::vector<SlotKey>> list(const std::string &issuer) override {
    return guarded<std::vector<SlotKey>>("list the sessions", [&](Call &call) { return list_in(call, issuer); });
  }

 private:
  // Runs one call with its deadline; nothing thrown (thread creation, allocation) leaves the store.
  template <typename T, typename F>
  Result<T> guarded(const char *verb, F &&body) {
    try {
      // Loaded here, on the first call, never when the store is made: a process that holds a keychain
      // store but answers without it (or only prints its version) maps no GLib at all.
      if (const auto &library = linux_platform::secret_library(); !library.api) {
        return make_error(ErrorCode::storage_unavailable,
                          std::string("keychain: cannot ") + verb + ": " + library.problem);
      }
      Call call(verb, options_.timeout);
      return body(call);
    } catch (const std::exception &e) {
      return make_error(ErrorCode::internal, std::string("keychain: cannot ") + verb + ": " + e.what());
    } catch (...) {
      return make_error(ErrorCode::internal, std::string("keychain: cannot ") + verb + ": unexpected exception");
    }
  }

  // The object paths of the slot's items, unlocked and locked apart (SearchItems: one message, no proxies).
  struct Paths {
    StrvPtr unlocked;
    StrvPtr locked;
    bool any_unlocked() const { return unlocked && unlocked.get()[0] != nullptr; }
    bool any_locked() const { return locked && locked.get()[0] != nullptr; }
  };
  Result<Paths> search_paths(Call &call, SecretService *service, const SlotKey &key) {
    HashTablePtr attrs = attributes(key);
    ErrorOut err;
    gchar **unlocked = nullptr;
    gchar **locked = nullptr;
    const gboolean searched = lib().secret_service_search_for_dbus_paths_sync(service, slot_schema(), attrs.get(),
                                                                              call.cancellable(), &unlocked, &locked,
                                                                              err.out());
    Paths paths{StrvPtr(unlocked), StrvPtr(locked)};
    if (!searched || err) return call.fail(Stage::operation, err.take());
    return paths;
  }

  // By object path, not through SecretItem proxies: SearchItems, then GetSecrets for the first unlocked
  // match, the two messages secret-tool lookup sends. secret_service_search_sync() built a proxy per
  // match (GetAll, AddMatch/RemoveMatch, ...: 8 messages in all, ~1 ms of a cold `nativeauth token`,
  // docs/performance.md). Neither call unlocks anything: SearchItems reports locked matches apart, and
  // GetSecrets is only asked for unlocked ones. (secret_service_lookup_sync would Unlock, i.e. prompt.)
  Result<std::optional<SecretString>> load_in(Call &call, const SlotKey &key) {
    if (auto ok = check_key(key); !ok) return std::move(ok).error();
    auto service = call.connect();
    if (!service) return std::move(service).error();
    auto found = search_paths(call, service->get(), key);
    if (!found) return std::move(found).error();
    const StrvPtr &unlocked = found->unlocked;
    ErrorOut err;
    for (gchar **path = unlocked.get(); path != nullptr && *path != nullptr; ++path) {
      ValuePtr value(lib().secret_service_get_secret_for_dbus_path_sync(service->get(), *path, call.cancellable(),
                                                                        err.out()));
      if (err) return call.fail(Stage::operation, err.take());
      if (!value) continue;  // gone (or locked) since the search: the next match, else as if not found
      gsize length = 0;
      const gchar *data = lib().secret_value_get(value.get(), &length);
      return std::optional<SecretString>(SecretString(std::string(data, length)));
    }
    if (found->any_locked()) return call.locked_item();
    // Nothing found. A service may hide the items of a locked collection, so "empty" is only
    // believed when the default collection is unlocked.
    auto collection = call.default_collection(service->get());
    if (!collection) return std::move(collection).error();
    return std::optional<SecretString>();
  }

  Result<void> save_in(Call &call, const SlotKey &key, const SecretString &record) {
    if (auto ok = check_key(key); !ok) return ok;
    if (record.size() > kMaxRecordSize) {
      return make_error(ErrorCode::invalid_argument, "keychain: the record is larger than the store's limit of " +
                                                         std::to_string(kMaxRecordSize) + " bytes per slot");
    }
    auto service = call.connect();
    if (!service) return std::move(service).error();
    ValuePtr value(lib().secret_value_new(record.reveal().data(), static_cast<gssize>(record.size()), "text/plain"));

    // The slot's items, if it has any: where a refresh writes, there is one, and it is unlocked.
    auto found = search_paths(call, service->get(), key);
    if (!found) return std::move(found).error();
    if (found->any_unlocked() && !found->any_locked()) {
      auto replaced = set_secrets(call, service->get(), found->unlocked.get(), value.get());
      if (!replaced) return std::move(replaced).error();
      if (*replaced) return {};
      // An item went away between the search and the write (another process erased the slot): create.
    }

    auto collection = call.default_collection(service->get());
    if (!collection) return std::move(collection).error();
    const std::string label = make_label(key);
    HashTablePtr attrs = attributes(key);
    ErrorOut err;
    if (!lib().secret_service_store_sync(service->get(), slot_schema(), attrs.get(),
                                         lib().g_dbus_proxy_get_object_path(&collection->get()->parent), label.c_str(),
                                         value.get(), call.cancellable(), err.out())) {
      return call.fail(Stage::operation, err.take());
    }
    return {};
  }

  // Item.SetSecret on each path: the item's secret replaced in place, its label and attributes kept.
  // true when every item took it; false when one no longer exists (the caller creates the item).
  // Every match is written, not just the first: load() reads the first unlocked match in the
  // service's order, and duplicates (the slot in two collections) must never disagree.
  Result<bool> set_secrets(Call &call, SecretService *service, gchar **paths, SecretValue *value) {
    GDBusProxy *proxy = &service->parent;
    for (gchar **path = paths; *path != nullptr; ++path) {
      ErrorOut err;
      // (oayays), floating: the call's parameter tuple takes it; encrypted when the session is.
      GVariant *secret = lib().secret_service_encode_dbus_secret(service, value);
      if (!secret) return call.error(ErrorCode::internal, "libsecret could not encode the secret");
      GVariant *reply = lib().g_dbus_connection_call_sync(
          lib().g_dbus_proxy_get_connection(proxy), lib().g_dbus_proxy_get_name(proxy), *path,
          "org.freedesktop.Secret.Item", "SetSecret", lib().g_variant_new("(@(oayays))", secret), G_VARIANT_TYPE_UNIT,
          G_DBUS_CALL_FLAGS_NO_AUTO_START, -1, call.cancellable(), err.out());
      if (reply) {
        lib().g_variant_unref(reply);
        continue;
      }
      ErrorPtr gerror = err.take();
      if (lib().g_error_matches(gerror.get(), lib().secret_error_get_quark(), SECRET_ERROR_NO_SUCH_OBJECT) ||
          lib().g_error_matches(gerror.get(), lib().g_dbus_error_quark(), G_DBUS_ERROR_UNKNOWN_OBJECT) ||
          lib().g_error_matches(gerror.get(), lib().g_dbus_error_quark(), G_DBUS_ERROR_UNKNOWN_METHOD)) {
        return false;
      }
      return call.fail(Stage::operation, std::move(gerror));
    }
    return true;
  }

  Result<void> erase_in(Call &call, const SlotKey &key) {
    if (auto ok = check_key(key); !ok) return ok;
    auto service = call.connect();
    if (!service) return std::move(service).error();
    HashTablePtr attrs = attributes(key);
    ErrorOut err;
    ObjectListPtr items(lib().secret_service_search_sync(service->get(), slot_schema(), attrs.get(), SECRET_SEARCH_ALL,
                                                         call.cancellable(), err.out()));
    if (err) return call.fail(Stage::operation, err.take());
    if (!items) {
      auto collection = call.default_collection(service->get());
      if (!collection) return std::move(collection).error();
      return {};
    }
    for (GList *l = items.get(); l != nullptr; l = l->next) {
      if (lib().secret_item_get_locked(static_cast<SecretItem *>(l->data))) return call.locked_item();
    }
    for (GList *l = items.get(); l != nullptr; l = l->next) {
      if (!lib().secret_item_delete_sync(static_cast<SecretItem *>(l->data), call.cancellable(), err.out())) {
        return call.fail(Stage::operation, err.take());
      }
    }
    return {};
  }

  Result<std::vector<SlotKey>> list_in(Call &call, const std::string &issuer) {
    if (issuer.empty()) return make_error(ErrorCode::invalid_argument, "keychain: list() needs an issuer");
    if (auto ok = check_text(issuer, "issuer"); !ok) return std::move(ok).error();
    auto service = call.connect();
    if (!service) return std::move(service).error();
    HashTablePtr attrs = issuer_attributes(issuer);
    ErrorOut err;
    ObjectListPtr items(lib().secret_service_search_sync(service->get(), slot_schema(), attrs.get(), SECRET_SEARCH_ALL,
                                                         call.cancellable(), err.out()));
    if (err) return call.fail(Stage::operation, err.take());
    std::vector<SlotKey> slots;
    for (GList *l = items.get(); l != nullptr; l = l->next) {
      HashTablePtr item_attrs(lib().secret_item_get_attributes(static_cast<SecretItem *>(l->data)));
      if (!item_attrs) continue;
      auto item_issuer = attribute(item_attrs.get(), "issuer");
      auto client_id = attribute(item_attrs.get(), "client_id");
      auto profile = attribute(item_attrs.get(), "profile");
      if (!item_issuer || *item_issuer != issuer || !client_id || !profile) continue;
      slots.push_back(SlotKey{std::move(*item_issuer), std::move(*client_id), std::move(*profile)});
    }
    if (slots.empty()) {
      auto collection = call.default_collection(service->get());
      if (!collection) return std::move(collection).error();
      return slots;
    }
    std::sort(slots.begin(), slots.end());
    slots.erase(std::unique(slots.begin(), slots.end()), slots.end());
    return slots;
  }

  std::string make_label(const SlotKey &key) const {
    std::string app = options_.app_name.empty() ? key.client_id : options_.app_name;
    if (!dbus_string(app)) app = key.client_id;
    return app + " \u2014 " + key.issuer;
  }

  const KeychainOptions options_;
};

}  // namespace

Result<std::shared_ptr<platform::CredentialStore>> make_keychain_store(const KeychainOptions &options) {
  if (options.timeout.count() <= 0) {
    return make_error(ErrorCode::invalid_argument, "keychain: KeychainOptions::timeout must be positive");
  }
  try {
    return std::shared_ptr<platform::CredentialStore>(std::make_shared<SecretServiceStore>(options));
  } catch (const std::exception &e) {
    return make_error(ErrorCode::internal, std::string("keychain: ") + e.what());
  }
}

}  // namespace nativeauth
