// SPDX-License-Identifier: Apache-2.0
// tss_library(): tpm2-tss's ESAPI, TCTI loader, marshalling and error-text libraries opened on first use, and
// the TPM key store's functions resolved from the library that exports each.
#include "linux/tss_loader.hpp"

#include "util/shared_library.hpp"

#include <string>
#include <utility>

namespace nativeauth::linux_platform {
namespace {

// What to install when something is missing: Debian 12's package names (13 renamed the ESAPI package for
// the 64-bit time_t transition: libtss2-esys-3.0.2-0t64). The TCTI modules (device, swtpm) come with ESAPI.
constexpr const char *kInstall =
    "install the TPM2 Software Stack 3 or later (Debian: libtss2-esys-3.0.2-0, libtss2-tctildr0, libtss2-mu0, "
    "libtss2-rc0), or set NATIVEAUTH_TPM=off to keep DPoP keys in software";

template <typename Resolve>
bool load_one(const char *soname, std::string &problem, Resolve &&resolve_rows) {
  return util::load_library_rows(soname, kInstall, problem, std::forward<Resolve>(resolve_rows));
}

TssLibrary load_into(TssApi &table) {
  TssLibrary out;
#define NATIVEAUTH_RESOLVE(name) resolve(table.name, #name);
  const bool loaded = load_one("libtss2-esys.so.0", out.problem,
                               [&](util::SymbolResolver &resolve) { NATIVEAUTH_ESYS_FUNCTIONS(NATIVEAUTH_RESOLVE) }) &&
                      load_one("libtss2-tctildr.so.0", out.problem,
                               [&](util::SymbolResolver &resolve) {
                                 NATIVEAUTH_TCTILDR_FUNCTIONS(NATIVEAUTH_RESOLVE)
                               }) &&
                      load_one("libtss2-mu.so.0", out.problem,
                               [&](util::SymbolResolver &resolve) { NATIVEAUTH_MU_FUNCTIONS(NATIVEAUTH_RESOLVE) }) &&
                      load_one("libtss2-rc.so.0", out.problem,
                               [&](util::SymbolResolver &resolve) { NATIVEAUTH_RC_FUNCTIONS(NATIVEAUTH_RESOLVE) });
#undef NATIVEAUTH_RESOLVE
  if (loaded) out.api = &table;
  return out;
}

}  // namespace

const TssLibrary &tss_library() {
  static TssApi table;
  static const TssLibrary library = load_into(table);
  return library;
}

}  // namespace nativeauth::linux_platform
