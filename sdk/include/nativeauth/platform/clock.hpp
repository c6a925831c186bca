// SPDX-License-Identifier: Apache-2.0
/// @file
/// Clock: wall-clock time, injectable so expiry rules can be tested without waiting.
#pragma once

#include <chrono>

namespace nativeauth::platform {

/// The clocks read for token expiry and ID-token time checks; tests inject their own.
/// Thread safety: now() and steady_now() may be called from any thread.
class Clock {
 public:
  virtual ~Clock() = default;
  /// The current wall-clock time: what expiry times from a provider are compared with.
  virtual std::chrono::system_clock::time_point now() const = 0;
  /// A monotonic time: never steps when the wall clock is set. access_token() keeps a deadline on it beside
  /// each token's wall-clock expiry and uses the earlier, so a clock set back does not stretch a token's life.
  virtual std::chrono::steady_clock::time_point steady_now() const { return std::chrono::steady_clock::now(); }
};

}  // namespace nativeauth::platform
