// SPDX-License-Identifier: Apache-2.0
// open_shared_library() and find_symbol() on dlopen (ELF, Mach-O) and LoadLibraryExW (Windows).
#include "util/shared_library.hpp"

#if defined(_WIN32)
#include <windows.h>
#else
#include <dlfcn.h>
#endif

namespace nativeauth::util {

SharedLibrary open_shared_library(const char *name) {
  SharedLibrary out;
#if defined(_WIN32)
  // Only System32 is searched: a DLL planted beside the app or in the current directory is never loaded.
  HMODULE module = ::LoadLibraryExA(name, nullptr, LOAD_LIBRARY_SEARCH_SYSTEM32);
  if (module == nullptr) {
    out.error = std::string(name) + ": LoadLibraryEx failed with error " + std::to_string(::GetLastError());
    return out;
  }
  out.handle = reinterpret_cast<void *>(module);
#else
  out.handle = ::dlopen(name, RTLD_NOW | RTLD_LOCAL);
  if (out.handle == nullptr) {
    const char *why = ::dlerror();
    out.error = why ? why : std::string(name) + ": unknown error";
  }
#endif
  return out;
}

void *find_symbol(const SharedLibrary &library, const char *symbol) {
  if (library.handle == nullptr) return nullptr;
#if defined(_WIN32)
  return reinterpret_cast<void *>(::GetProcAddress(static_cast<HMODULE>(library.handle), symbol));
#else
  return ::dlsym(library.handle, symbol);
#endif
}

}  // namespace nativeauth::util
