// SPDX-License-Identifier: Apache-2.0
/// @file
/// Logging: nativeauth never writes to stdout/stderr itself; it hands lines to a sink the app sets.
#pragma once

#include <functional>
#include <string_view>

namespace nativeauth {

/// Severity of a log line. As ClientOptions::log_level, lines below it are dropped; `off` drops all.
enum class LogLevel : int { trace = 0, debug = 1, info = 2, warning = 3, error = 4, off = 5 };

/// Receives one line at a time, already redacted: no token, code, verifier, secret or query value
/// of a sensitive parameter ever reaches it. Called on whichever thread logged; must not call back
/// into the Client that logged.
using LogSink = std::function<void(LogLevel level, std::string_view message)>;

}  // namespace nativeauth
