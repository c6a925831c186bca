// SPDX-License-Identifier: Apache-2.0
// Logger: forwards to the app's sink when the level is enabled; never to stdout/stderr.
#pragma once

#include <nativeauth/log.hpp>

#include <string>

namespace nativeauth::core {

class Logger {
 public:
  Logger() = default;
  Logger(LogSink sink, LogLevel level) : sink_(std::move(sink)), level_(level) {}

  bool enabled(LogLevel level) const { return sink_ && level >= level_ && level != LogLevel::off; }
  /// `message` must already be free of secrets (use redact_url for URLs).
  void log(LogLevel level, const std::string &message) const;

  void trace(const std::string &m) const { log(LogLevel::trace, m); }
  void debug(const std::string &m) const { log(LogLevel::debug, m); }
  void info(const std::string &m) const { log(LogLevel::info, m); }
  void warning(const std::string &m) const { log(LogLevel::warning, m); }
  void error(const std::string &m) const { log(LogLevel::error, m); }

 private:
  LogSink sink_;
  LogLevel level_ = LogLevel::off;
};

}  // namespace nativeauth::core
