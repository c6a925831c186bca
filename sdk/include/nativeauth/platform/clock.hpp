// SPDX-License-Identifier: Apache-2.0
/// @file
/// Clock: wall-clock time, injectable so expiry rules can be tested without waiting.
#pragma once

#include <chrono>

namespace nativeauth::platform {

/// The wall clock read for token expiry and ID-token time checks; tests inject their own.
/// Thread safety: now() may be called from any thread.
class Clock {
 public:
  virtual ~Clock() = default;
  /// The current time.
  virtual std::chrono::system_clock::time_point now() const = 0;
};

}  // namespace nativeauth::platform
