// SPDX-License-Identifier: Apache-2.0
// Session records: versioned JSON, refused when they belong to another slot.
#include "core/record.hpp"

#include "core/json_util.hpp"

namespace nativeauth::core {

SecretString serialize_session(const Session &session, const std::string &token_endpoint) {
  Json j = Json::object();
  j["version"] = kRecordVersion;
  j["issuer"] = session.issuer;
  j["client_id"] = session.client_id;
  j["profile"] = session.profile;
  j["token_type"] = session.token_type;
  j["access_token"] = std::string(session.access_token.reveal());
  if (!session.refresh_token.empty()) j["refresh_token"] = std::string(session.refresh_token.reveal());
  if (!session.id_token.empty()) j["id_token"] = std::string(session.id_token.reveal());
  if (session.access_token_expiry) {
    j["access_token_expires_at"] =
        std::chrono::duration_cast<std::chrono::seconds>(session.access_token_expiry->time_since_epoch()).count();
  }
  j["scopes"] = session.scopes;
  j["subject"] = session.claims.subject();
  j["claims"] = Json::parse(session.claims.json(), nullptr, false);
  j["token_endpoint"] = token_endpoint;
  std::string text = j.dump();
  wipe_json(j);
  SecretString out(text);
  secure_wipe(text.data(), text.size());
  return out;
}

Result<Session> parse_session_record(const SecretString &record, const platform::SlotKey &expected) {
  auto doc = parse_object(record.reveal());
  if (!doc) return make_error(ErrorCode::storage_corrupt, "the stored session is not valid JSON");
  const auto version = get_int(*doc, "version");
  if (!version || *version < 1) {
    wipe_json(*doc);
    return make_error(ErrorCode::storage_corrupt, "the stored session has no valid version");
  }
  Session s;
  s.issuer = get_string(*doc, "issuer").value_or("");
  s.client_id = get_string(*doc, "client_id").value_or("");
  s.profile = get_string(*doc, "profile").value_or("default");
  if (s.issuer != expected.issuer || s.client_id != expected.client_id) {
    wipe_json(*doc);
    return make_error(ErrorCode::storage_slot_mismatch,
                      "the stored session belongs to another issuer or client and was not used");
  }
  s.token_type = get_string(*doc, "token_type").value_or("Bearer");
  s.access_token = take_secret(*doc, "access_token");
  s.refresh_token = take_secret(*doc, "refresh_token");
  s.id_token = take_secret(*doc, "id_token");
  if (const auto at = get_int(*doc, "access_token_expires_at")) {
    s.access_token_expiry = std::chrono::system_clock::time_point(std::chrono::seconds(*at));
  }
  s.scopes = get_strings(*doc, "scopes");
  if (const auto it = doc->find("claims"); it != doc->end() && it->is_object()) s.claims = Claims(it->dump());
  wipe_json(*doc);
  return s;
}

}  // namespace nativeauth::core
