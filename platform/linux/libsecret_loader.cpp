// SPDX-License-Identifier: Apache-2.0
// secret_library(): libsecret-1.so.0 and GLib's libgio, libgobject and libglib opened on first use, and
// the keychain store's functions resolved from the library that exports each (docs/adr/0009).
#include "linux/libsecret_loader.hpp"

#include "util/shared_library.hpp"

#include <string>
#include <utility>

namespace nativeauth::linux_platform {
namespace {

// What to install when something is missing or too old: Debian's libsecret-1-0 brings GLib with it.
// The minimum versions are those of the newest function in the table (secret_service_encode_dbus_secret:
// libsecret 0.18; g_list_free_full: GLib 2.28).
constexpr const char *kInstall = "install libsecret 0.18 or later (Debian: libsecret-1-0)";

// Opens one library and resolves its rows of the table; false, with `problem` set, when it cannot.
template <typename Resolve>
bool load_one(const char *soname, std::string &problem, Resolve &&resolve_rows) {
  return util::load_library_rows(soname, kInstall, problem, std::forward<Resolve>(resolve_rows));
}

SecretLibrary load_into(SecretApi &table) {
  SecretLibrary out;
#define NATIVEAUTH_RESOLVE(name) resolve(table.name, #name);
  // libsecret first: when it is missing, that is the message to give (its GLib comes with it), and
  // when one of its own dependencies is, the loader's message names that one.
  const bool loaded =
      load_one("libsecret-1.so.0", out.problem,
               [&](util::SymbolResolver &resolve) { NATIVEAUTH_LIBSECRET_FUNCTIONS(NATIVEAUTH_RESOLVE) }) &&
      load_one("libgio-2.0.so.0", out.problem,
               [&](util::SymbolResolver &resolve) { NATIVEAUTH_GIO_FUNCTIONS(NATIVEAUTH_RESOLVE) }) &&
      load_one("libgobject-2.0.so.0", out.problem,
               [&](util::SymbolResolver &resolve) { NATIVEAUTH_GOBJECT_FUNCTIONS(NATIVEAUTH_RESOLVE) }) &&
      load_one("libglib-2.0.so.0", out.problem,
               [&](util::SymbolResolver &resolve) { NATIVEAUTH_GLIB_FUNCTIONS(NATIVEAUTH_RESOLVE) });
#undef NATIVEAUTH_RESOLVE
  if (loaded) out.api = &table;
  return out;
}

}  // namespace

const SecretLibrary &secret_library() {
  static SecretApi table;
  static const SecretLibrary library = load_into(table);
  return library;
}

}  // namespace nativeauth::linux_platform
