// SPDX-License-Identifier: Apache-2.0
// Result<T>: a value or an Error, shaped like std::expected so it reads the same in C++17 and C++23.
#pragma once

#include <nativeauth/error.hpp>

#include <cstdlib>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>

namespace nativeauth {

/// Holds either a T or an Error. Accessing the wrong alternative aborts (no exceptions cross the API).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool has_value() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  T &value() & { check(true); return *std::get_if<0>(&v_); }
  const T &value() const & { check(true); return *std::get_if<0>(&v_); }
  T &&value() && { check(true); return std::move(*std::get_if<0>(&v_)); }
  const Error &error() const & { check(false); return *std::get_if<1>(&v_); }
  Error &&error() && { check(false); return std::move(*std::get_if<1>(&v_)); }

  T &operator*() & { return value(); }
  const T &operator*() const & { return value(); }
  T &&operator*() && { return std::move(*this).value(); }
  T *operator->() { return &value(); }
  const T *operator->() const { return &value(); }

  template <typename U>
  T value_or(U &&fallback) const & {
    return has_value() ? *std::get_if<0>(&v_) : static_cast<T>(std::forward<U>(fallback));
  }

 private:
  void check(bool want_value) const {
    if (has_value() != want_value) std::abort();
  }
  std::variant<T, Error> v_;
};

/// Result of an operation with no value: success, or an Error.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool has_value() const noexcept { return !error_.has_value(); }
  explicit operator bool() const noexcept { return has_value(); }
  void value() const { if (error_) std::abort(); }
  const Error &error() const & { if (!error_) std::abort(); return *error_; }
  Error &&error() && { if (!error_) std::abort(); return std::move(*error_); }

 private:
  std::optional<Error> error_;
};

}  // namespace nativeauth
