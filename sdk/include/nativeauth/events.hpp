// SPDX-License-Identifier: Apache-2.0
/// @file
/// Session events, for apps that keep their UI in step with the signed-in state.
#pragma once

#include <nativeauth/error.hpp>

#include <functional>
#include <optional>
#include <string>

namespace nativeauth {

/// What happened to a session.
enum class SessionEventKind {
  signed_in,   ///< sign_in() stored a new session.
  refreshed,   ///< Tokens were renewed (by this process, or adopted from another one).
  signed_out,  ///< sign_out() ended the session.
  ended,       ///< The provider ended the session (invalid_grant on refresh): sign-in is required.
};

/// One change of a session, delivered to the handlers registered with Client::subscribe().
struct SessionEvent {
  /// What happened.
  SessionEventKind kind = SessionEventKind::signed_in;
  /// The issuer of the session's slot.
  std::string issuer;
  /// The client_id of the session's slot.
  std::string client_id;
  /// The profile of the session's slot.
  std::string profile;
  std::string subject;          ///< Empty when unknown.
  std::optional<Error> reason;  ///< For `ended`: what the provider said.
};

/// Called on the thread whose call caused the event, after nativeauth released its locks; it may call
/// back into the Client (but a sign_in() from inside it would block that thread until done).
using SessionEventHandler = std::function<void(const SessionEvent &event)>;

}  // namespace nativeauth
