// SPDX-License-Identifier: Apache-2.0
/// @file
/// Result<T>: a value or an Error, shaped like std::expected so it reads the same in C++17 and C++23.
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
///
/// Thread safety: a plain value type. Ownership: holds the T or Error by value.
class [[nodiscard]] Result {
 public:
  /// Holds a value (implicit, so a function can `return value;`).
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT(google-explicit-constructor)
  /// Holds an error (implicit, so a function can `return make_error(...);`).
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT(google-explicit-constructor)

  /// True when a value is held.
  bool has_value() const noexcept { return v_.index() == 0; }
  /// Same as has_value().
  explicit operator bool() const noexcept { return has_value(); }

  /// The value; aborts when an error is held.
  T &value() & {
    check(true);
    return *std::get_if<0>(&v_);
  }
  /// The value; aborts when an error is held.
  const T &value() const & {
    check(true);
    return *std::get_if<0>(&v_);
  }
  /// Moves the value out; aborts when an error is held.
  T &&value() && {
    check(true);
    return std::move(*std::get_if<0>(&v_));
  }
  /// The error; aborts when a value is held.
  const Error &error() const & {
    check(false);
    return *std::get_if<1>(&v_);
  }
  /// Moves the error out; aborts when a value is held.
  Error &&error() && {
    check(false);
    return std::move(*std::get_if<1>(&v_));
  }

  /// Same as value().
  T &operator*() & { return value(); }
  /// Same as value().
  const T &operator*() const & { return value(); }
  /// Same as value(): moves the value out.
  T &&operator*() && { return std::move(*this).value(); }
  /// Member access to the value; aborts when an error is held.
  T *operator->() { return &value(); }
  /// Member access to the value; aborts when an error is held.
  const T *operator->() const { return &value(); }

  template <typename U>
  /// A copy of the value, or `fallback` converted to T when an error is held.
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
  /// Success.
  Result() = default;
  /// Failure with `error` (implicit, so a function can `return make_error(...);`).
  Result(Error error) : error_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  /// True on success.
  bool has_value() const noexcept { return !error_.has_value(); }
  /// Same as has_value().
  explicit operator bool() const noexcept { return has_value(); }
  /// Does nothing on success; aborts when an error is held (the shape of std::expected<void>).
  void value() const {
    if (error_) std::abort();
  }
  /// The error; aborts on success.
  const Error &error() const & {
    if (!error_) std::abort();
    return *error_;
  }
  /// Moves the error out; aborts on success.
  Error &&error() && {
    if (!error_) std::abort();
    return std::move(*error_);
  }

 private:
  std::optional<Error> error_;
};

}  // namespace nativeauth
