// SPDX-License-Identifier: Apache-2.0
// Logger: a sink that throws must not take a sign-in down with it.
#include "core/logger.hpp"

namespace nativeauth::core {

void Logger::log(LogLevel level, const std::string &message) const {
  if (!enabled(level)) return;
  try {
    sink_(level, "nativeauth: " + message);
  } catch (...) {
    // The app's sink failed; logging is best effort and must never change the outcome.
  }
}

}  // namespace nativeauth::core
