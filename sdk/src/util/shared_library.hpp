// SPDX-License-Identifier: Apache-2.0
// Loading a system library on first use instead of linking it (libcrypto, libcurl; docs/adr/0005, 0008):
// open it once, resolve the functions a backend calls into its table, say plainly what is missing.
// Used by the backends inside libnativeauth only (crypto, transport). Not here: which library or which
// functions; each backend names its own.
#pragma once

#include <string>

namespace nativeauth::util {

/// A library opened at run time and never closed: the libraries loaded this way keep process-wide state
/// (TLS backends, DNS threads, OpenSSL providers) that must outlive every caller.
struct SharedLibrary {
  void *handle = nullptr;  ///< null when it could not be opened
  std::string error;       ///< why not (the loader's own words), when handle is null
};

/// Opens `name` with its symbols kept local (RTLD_LOCAL): they do not join the process's namespace, and a
/// process that already linked the same library gets the copy it has.
SharedLibrary open_shared_library(const char *name);

/// The address of `symbol` in `library`, or null.
void *find_symbol(const SharedLibrary &library, const char *symbol);

/// Resolves function pointers from one library into a backend's table, remembering the first name it
/// could not find: `resolve(table.f, "f")` for each, then `missing()`.
class SymbolResolver {
 public:
  explicit SymbolResolver(const SharedLibrary &library) : library_(library) {}

  template <typename Fn>
  void operator()(Fn &slot, const char *name) {
    void *symbol = find_symbol(library_, name);
    if (!symbol) {
      if (!missing_) missing_ = name;
      return;
    }
    slot = reinterpret_cast<Fn>(symbol);  // POSIX and Win32 both guarantee data/function pointer casts
  }

  /// The first name not found, or null when all were.
  const char *missing() const noexcept { return missing_; }

 private:
  const SharedLibrary &library_;
  const char *missing_ = nullptr;
};

/// Opens `soname` and resolves its rows of a backend's table (`resolve_rows(SymbolResolver &)`, one
/// `resolve(table.f, "f")` each). False, with `problem` saying what went wrong and then `install` (what to
/// install), when the library cannot be opened or lacks a function (it is too old).
template <typename Resolve>
bool load_library_rows(const char *soname, const char *install, std::string &problem, Resolve &&resolve_rows) {
  const SharedLibrary library = open_shared_library(soname);
  if (!library.handle) {
    problem = std::string(soname) + " could not be loaded (" + library.error + "); " + install;
    return false;
  }
  SymbolResolver resolve(library);
  resolve_rows(resolve);
  if (resolve.missing()) {
    problem = std::string(soname) + " has no " + resolve.missing() + "; it is too old; " + install;
    return false;
  }
  return true;
}

}  // namespace nativeauth::util
