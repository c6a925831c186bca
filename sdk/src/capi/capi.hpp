// SPDX-License-Identifier: Apache-2.0
// Shared by the C ABI's translation units: error conversion, the guard every extern "C" body runs in,
// and the handle structs. Sees only the public C++ API (never sdk/src internals): a thin layer.
#pragma once

#include <nativeauth/nativeauth.hpp>
#include <nativeauth_c/nativeauth.h>

#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <string>
#include <string_view>

namespace nativeauth::capi {

/// Codes that exist only in the C ABI, as positive ErrorCode values (-10xx in C). error.hpp stays in 0..999.
constexpr ErrorCode kInProgress = static_cast<ErrorCode>(1000);
constexpr ErrorCode kUnsupportedVersion = static_cast<ErrorCode>(1001);

/// An Error together with the C view of it; the C view points into the strings held here.
class ErrorHolder {
 public:
  ErrorHolder() { clear(); }
  ErrorHolder(const ErrorHolder &) = delete;
  ErrorHolder &operator=(const ErrorHolder &) = delete;
  void set(const Error &e);
  void clear();
  /// Keeps at least the code when copying the message ran out of memory.
  void set_code_only(std::int32_t code) noexcept;
  const nativeauth_error *get() const noexcept { return &c_; }
  int code() const noexcept { return c_.code; }

 private:
  Error e_;
  nativeauth_error c_{};
};

/// The calling thread's last error.
ErrorHolder &last_error() noexcept;

/// Records `e` as this thread's last error and returns its C code (negative).
int fail(const Error &e) noexcept;
inline int fail(ErrorCode code, std::string message) { return fail(make_error(code, std::move(message))); }
inline int c_code(ErrorCode code) noexcept { return -static_cast<int>(code); }

/// Checks a struct's `version` against the newest this library knows.
int check_version(const char *what, std::uint32_t version, std::uint32_t newest);

/// A malloc'ed copy that nativeauth_string_free / nativeauth_secret_free release. Throws bad_alloc.
char *dup(std::string_view s);

/// The body of every extern "C" function: resets the last error, turns every exception into an error
/// code. No exception ever crosses the ABI.
template <typename F>
int guarded(F &&body) noexcept {
  try {
    last_error().clear();
    return body();
  } catch (const std::bad_alloc &) {
    return fail(make_error(ErrorCode::internal, "out of memory"));
  } catch (const std::exception &e) {
    try {
      return fail(make_error(ErrorCode::internal, std::string("unexpected failure: ") + e.what()));
    } catch (...) {
      return c_code(ErrorCode::internal);
    }
  } catch (...) {
    return fail(make_error(ErrorCode::internal, "unexpected failure"));
  }
}

/// Builds the platform parts the host supplies (browser, store, log sink) into `options`.
int apply_host(ClientOptions &options, const nativeauth_host &host);

/// Makes the host's DPoP key callbacks the client's key store (options.platform.keys).
int apply_host_keys(ClientOptions &options, const nativeauth_host_keys &keys);

/// A sign-in running on this thread, so the browser hook can re-issue a cancel that raced its start.
struct SignInState;
void on_show_url(SignInState *state) noexcept;
SignInState *current_sign_in() noexcept;
void set_current_sign_in(SignInState *state) noexcept;

}  // namespace nativeauth::capi

struct nativeauth_client {
  std::shared_ptr<nativeauth::Client> client;
};
