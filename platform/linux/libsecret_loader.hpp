// SPDX-License-Identifier: Apache-2.0
// libsecret and the GLib it stands on (GIO, GObject, GLib), loaded on the keychain's first call instead
// of linked (docs/adr/0009): the functions secret_store.cpp calls, as one table resolved once.
//
// A process that never touches the keychain (`nativeauth --version`, the file store, a token answered
// without the keychain) maps none of these libraries: linking libsecret pulled 13 shared objects into
// every process (GLib, GIO, GObject, libgcrypt, libmount, ...), each relocated and initialised before
// main. The headers still give the types, constants and, through decltype, each function's exact
// signature, so a call through the table is checked like a direct call. What this header does not give:
// GLib's macros that call a function themselves (G_IO_ERROR, SECRET_ERROR, G_DBUS_ERROR, the checked
// casts G_DBUS_PROXY and SECRET_ITEM): secret_store.cpp calls the table's quark functions and casts
// plainly instead, so that nothing links libsecret again (nm -D shows no g_* or secret_* symbol).
#pragma once

#include <string>

#include <gio/gio.h>
// The object-path API (secret-paths.h: secret_service_search_for_dbus_paths_sync,
// secret_service_get_secret_for_dbus_path_sync) is declared only for code that acknowledges it as
// "unstable". It is what libsecret's own stable lookup and search are built on and has not changed
// since libsecret 0.18 (2014); why it is used anyway: docs/storage.md, "Reading without proxies".
#define SECRET_API_SUBJECT_TO_CHANGE 1
#include <libsecret/secret.h>

namespace nativeauth::linux_platform {

// The functions secret_store.cpp calls, by the library that exports them (checked with nm -D on Debian
// 12: GLib 2.74, libsecret 0.20). Members keep the function's name; none of these is a function-like
// macro where it is called (g_str_equal is one, but it is only passed as a pointer).
// One row per library area, kept as written:
// clang-format off
#define NATIVEAUTH_GLIB_FUNCTIONS(X)                                                                         \
  X(g_error_free) X(g_error_matches) X(g_getenv) X(g_list_free_full) X(g_strfreev) X(g_utf8_validate)       \
  X(g_hash_table_new) X(g_hash_table_insert) X(g_hash_table_lookup) X(g_hash_table_unref)                  \
  X(g_str_hash) X(g_str_equal) X(g_variant_new) X(g_variant_unref)
#define NATIVEAUTH_GOBJECT_FUNCTIONS(X)                                                                      \
  X(g_object_unref)
#define NATIVEAUTH_GIO_FUNCTIONS(X)                                                                          \
  X(g_io_error_quark) X(g_dbus_error_quark) X(g_cancellable_new) X(g_cancellable_cancel) X(g_bus_get_sync) \
  X(g_dbus_connection_set_exit_on_close) X(g_dbus_connection_call_sync)                                     \
  X(g_dbus_proxy_get_connection) X(g_dbus_proxy_get_name) X(g_dbus_proxy_get_object_path)
#define NATIVEAUTH_LIBSECRET_FUNCTIONS(X)                                                                    \
  X(secret_error_get_quark) X(secret_service_get_sync) X(secret_service_disconnect)                         \
  X(secret_service_search_sync) X(secret_service_search_for_dbus_paths_sync)                                \
  X(secret_service_get_secret_for_dbus_path_sync) X(secret_service_store_sync)                              \
  X(secret_service_encode_dbus_secret) X(secret_collection_for_alias_sync) X(secret_collection_get_locked)  \
  X(secret_item_get_locked) X(secret_item_get_attributes) X(secret_item_delete_sync)                        \
  X(secret_value_new) X(secret_value_get) X(secret_value_unref)
// clang-format on

/// The libsecret, GIO, GObject and GLib functions the keychain store calls, each typed by its declaration.
struct SecretApi {
#define NATIVEAUTH_DECLARE(name) decltype(&::name) name = nullptr;
  NATIVEAUTH_GLIB_FUNCTIONS(NATIVEAUTH_DECLARE)
  NATIVEAUTH_GOBJECT_FUNCTIONS(NATIVEAUTH_DECLARE)
  NATIVEAUTH_GIO_FUNCTIONS(NATIVEAUTH_DECLARE)
  NATIVEAUTH_LIBSECRET_FUNCTIONS(NATIVEAUTH_DECLARE)
#undef NATIVEAUTH_DECLARE
};

/// libsecret as this process found it: `api` is null when it could not be loaded; `problem` then says
/// why and which package to install, for an Error.
struct SecretLibrary {
  const SecretApi *api = nullptr;
  std::string problem;
};

/// Loads the four libraries (RTLD_NOW | RTLD_LOCAL, never closed: GLib's type system and libsecret's
/// service proxy live as long as the process) and resolves the table, once per process, on the first
/// call; later calls return the same result. Thread safety: any thread (a function-local static).
/// Never called at start-up or by make_keychain_store(): only by a store call.
const SecretLibrary &secret_library();

}  // namespace nativeauth::linux_platform
