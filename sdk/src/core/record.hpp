// SPDX-License-Identifier: Apache-2.0
// The stored form of a session: a small versioned JSON record, secret as a whole.
#pragma once

#include <nativeauth/platform/credential_store.hpp>
#include <nativeauth/result.hpp>
#include <nativeauth/session.hpp>

#include <chrono>
#include <optional>
#include <string>

namespace nativeauth::core {

/// 2: the `dpop` member (a DPoP-bound session's key, RFC 9449). Version 1 records still load.
inline constexpr int kRecordVersion = 2;

/// A stored session: the session, where its refresh token is redeemed, and the members a newer
/// version of nativeauth wrote that this one does not know (kept, so rewriting never loses them).
struct SessionRecord {
  Session session;
  std::string token_endpoint;
  std::string unknown_members;  ///< a JSON object, "{}" when none
  int version = kRecordVersion;
  /// When the record was written (milliseconds; after the token response arrived). Another process that
  /// waited for the slot lock adopts tokens written after it started waiting (refresh.cpp). Records
  /// written before this member existed have none: issued_at stands in.
  std::optional<std::chrono::system_clock::time_point> written_at;
};

/// Serializes a session for its slot, merging `unknown_members` (a JSON object) back in; `written_at`
/// is stored when given.
SecretString serialize_session(const Session &session, const std::string &token_endpoint,
                               const std::string &unknown_members = "{}",
                               std::optional<std::chrono::system_clock::time_point> written_at = std::nullopt);

/// Reads a record back. ErrorCode::storage_corrupt for an unreadable record,
/// ErrorCode::storage_slot_mismatch when it belongs to another issuer, client or profile.
Result<SessionRecord> parse_session_record(const SecretString &record, const platform::SlotKey &expected);

/// A deep copy of a session (Session is move-only because it owns secrets).
Session clone_session(const Session &s);

/// Reads what a record says about its slot without keeping any secret (for listings).
SlotInfo describe_record(const SecretString &record, const platform::SlotKey &key);

}  // namespace nativeauth::core
