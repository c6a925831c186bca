// SPDX-License-Identifier: Apache-2.0
// The stored form of a session: a small versioned JSON record, secret as a whole.
#pragma once

#include <nativeauth/platform/credential_store.hpp>
#include <nativeauth/result.hpp>
#include <nativeauth/session.hpp>

#include <string>

namespace nativeauth::core {

inline constexpr int kRecordVersion = 1;

/// Serializes a session for its slot. `token_endpoint` records where the refresh token is redeemed.
SecretString serialize_session(const Session &session, const std::string &token_endpoint);

/// Reads a record back. ErrorCode::storage_corrupt for an unreadable record,
/// ErrorCode::storage_slot_mismatch when it belongs to another issuer or client.
Result<Session> parse_session_record(const SecretString &record, const platform::SlotKey &expected);

}  // namespace nativeauth::core
