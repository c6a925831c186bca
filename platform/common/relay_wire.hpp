// SPDX-License-Identifier: Apache-2.0
// The redirect relay's wire format, the same over a Unix socket (platform/posix) and a named pipe
// (platform/windows): the sender writes "<url>\n"; the listener hands the URL to the waiting sign-in and
// answers "ok\n" or "error <code> <message>\n". Header-only, shared by the platforms' relays. Not here:
// sockets, pipes, who may connect.
#pragma once

#include <nativeauth/error.hpp>
#include <nativeauth/platform/redirect_relay.hpp>
#include <nativeauth/result.hpp>

#include <cstdio>
#include <string>

namespace nativeauth::relay_wire {

/// "error <code> <message>\n", the message on one line.
inline std::string error_line(ErrorCode code, std::string message) {
  for (auto &c : message)
    if (c == '\n' || c == '\r') c = ' ';
  return "error " + std::to_string(static_cast<int>(code)) + " " + message + "\n";
}

/// The listener's answer to a forwarded URL: what the waiting sign-in said of it. An exception from the
/// handler is an internal error, never a crash of the listener.
inline std::string answer(const platform::RedirectHandler &handler, const std::string &url) {
  Result<void> verdict = make_error(ErrorCode::internal, "the redirect handler failed");
  try {
    verdict = handler(url);
  } catch (...) {
    // keep the internal error
  }
  return verdict ? std::string("ok\n") : error_line(verdict.error().code, verdict.error().message);
}

/// The sender's reading of the answer line: Ok, the listener's error (its code, its message), or
/// malformed_response for anything else.
inline Result<void> read_answer(const std::string &reply) {
  if (reply == "ok\n") return {};
  int code = 0;
  int consumed = 0;
  if (std::sscanf(reply.c_str(), "error %d %n", &code, &consumed) == 1 && consumed > 0) {
    std::string message = reply.substr(static_cast<std::size_t>(consumed));
    if (!message.empty() && message.back() == '\n') message.pop_back();
    return make_error(static_cast<ErrorCode>(code), "the waiting sign-in refused the redirect: " + message);
  }
  return make_error(ErrorCode::malformed_response, "the waiting sign-in sent an unreadable answer");
}

}  // namespace nativeauth::relay_wire
