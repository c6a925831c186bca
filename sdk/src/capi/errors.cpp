// SPDX-License-Identifier: Apache-2.0
// Errors across the C ABI: negated C++ codes, the per-thread last error, versions, freeing strings.
#include "capi.hpp"

#include <nativeauth/version.hpp>

namespace nativeauth::capi {

void ErrorHolder::set(const Error &e) {
  e_ = e;
  c_.code = -static_cast<std::int32_t>(e_.code);
  c_.name = nativeauth_error_code_name(c_.code);
  c_.message = e_.message.c_str();
  c_.oauth_error = e_.oauth_error.c_str();
  c_.oauth_error_description = e_.oauth_description.c_str();
  c_.oauth_error_uri = e_.oauth_uri.c_str();
  c_.http_status = e_.http_status;
  c_.transient = e_.transient ? 1 : 0;
}

void ErrorHolder::clear() {
  e_ = Error{};
  e_.code = ErrorCode::ok;
  c_ = nativeauth_error{};
  c_.code = 0;
  c_.name = "ok";
  c_.message = "no error";
  c_.oauth_error = c_.oauth_error_description = c_.oauth_error_uri = "";
}

void ErrorHolder::set_code_only(std::int32_t code) noexcept {
  c_.code = code;
  c_.name = nativeauth_error_code_name(code);
  c_.message = "out of memory while recording the error";
  c_.oauth_error = c_.oauth_error_description = c_.oauth_error_uri = "";
  c_.http_status = 0;
  c_.transient = 0;
}

ErrorHolder &last_error() noexcept {
  thread_local ErrorHolder holder;
  return holder;
}

int fail(const Error &e) noexcept {
  try {
    last_error().set(e);
  } catch (...) {
    // Out of memory while copying the message: the code still reaches the caller.
    last_error().set_code_only(-static_cast<std::int32_t>(e.code));
  }
  return -static_cast<int>(e.code);
}

int check_version(const char *what, std::uint32_t version, std::uint32_t newest) {
  if (version >= 1 && version <= newest) return 0;
  return fail(kUnsupportedVersion,
              std::string(what) + ".version is " + std::to_string(version) + "; this library (nativeauth " +
                  nativeauth::version() + ") knows versions 1 to " + std::to_string(newest) +
                  (version == 0 ? ": initialise the struct with its _INIT macro or _init function"
                                : ": the app was built against a newer nativeauth than the one loaded"));
}

char *dup(std::string_view s) {
  auto *p = static_cast<char *>(std::malloc(s.size() + 1));
  if (!p) throw std::bad_alloc();
  std::memcpy(p, s.data(), s.size());
  p[s.size()] = '\0';
  return p;
}

}  // namespace nativeauth::capi

using namespace nativeauth;

extern "C" {

const char *nativeauth_version(void) { return nativeauth::version(); }

uint32_t nativeauth_c_abi_version(void) { return NATIVEAUTH_C_ABI_VERSION; }

void nativeauth_string_free(char *string) { std::free(string); }

void nativeauth_secret_free(char *secret) {
  if (!secret) return;
  secure_wipe(secret, std::strlen(secret));
  std::free(secret);
}

const nativeauth_error *nativeauth_error_last(void) { return capi::last_error().get(); }

void nativeauth_error_clear(void) { capi::last_error().clear(); }

const char *nativeauth_error_code_name(int32_t code) {
  switch (code) {
    case NATIVEAUTH_OK: return "ok";
    case NATIVEAUTH_E_IN_PROGRESS: return "in_progress";
    case NATIVEAUTH_E_UNSUPPORTED_VERSION: return "unsupported_version";
    default: break;
  }
  if (code < 0 && code > -1000) return to_string(static_cast<ErrorCode>(-code));
  return "unknown";
}

}  // extern "C"
