// SPDX-License-Identifier: Apache-2.0
// Session records: versioned JSON, forward-compatible (unknown members kept), refused for another slot.
#include "core/record.hpp"

#include "core/json_util.hpp"

#include <algorithm>
#include <array>

namespace nativeauth::core {
namespace {

// Members this version reads and writes; everything else is carried through untouched.
constexpr std::array<const char *, 18> kKnown = {"version",        "issuer",     "client_id",
                                                 "profile",        "token_type", "access_token",
                                                 "refresh_token",  "id_token",   "access_token_expires_at",
                                                 "scopes",         "subject",    "claims",
                                                 "token_endpoint", "issued_at",  "issued_at_ms",
                                                 "written_at_ms",  "name",       "dpop"};

bool known(const std::string &key) {
  return std::find_if(kKnown.begin(), kKnown.end(), [&](const char *k) { return key == k; }) != kKnown.end();
}

std::int64_t epoch_seconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

std::int64_t epoch_ms(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

std::optional<std::chrono::system_clock::time_point> time_member(const Json &j, const char *key) {
  const auto v = get_int(j, key);
  if (!v || *v < 0 || *v > 253'402'300'799) return std::nullopt;
  return std::chrono::system_clock::time_point(std::chrono::seconds(*v));
}

/// Parses and checks the slot; `doc` is wiped by the caller.
Result<Json> open_record(const SecretString &record, const platform::SlotKey &expected) {
  auto doc = parse_object(record.reveal());
  if (!doc) return make_error(ErrorCode::storage_corrupt, "the stored session is not valid JSON");
  const auto version = get_int(*doc, "version");
  if (!version || *version < 1) {
    wipe_json(*doc);
    return make_error(ErrorCode::storage_corrupt, "the stored session has no valid version");
  }
  const auto issuer = get_string(*doc, "issuer").value_or("");
  const auto client_id = get_string(*doc, "client_id").value_or("");
  const auto profile = get_string(*doc, "profile").value_or("default");
  if (issuer != expected.issuer || client_id != expected.client_id || profile != expected.profile) {
    wipe_json(*doc);
    return make_error(ErrorCode::storage_slot_mismatch, "the stored session belongs to another slot (issuer '" +
                                                            issuer + "', client '" + client_id + "', profile '" +
                                                            profile + "') and was not used");
  }
  return std::move(*doc);
}

/// Version 2's `dpop` member: where the session's DPoP key is and how to reopen it.
Result<DpopBinding> parse_dpop(Json &member) {
  DpopBinding b;
  if (member.is_object()) {
    b.key_store = get_string(member, "store").value_or("");
    b.algorithm = get_string(member, "alg").value_or("");
    b.jkt = get_string(member, "jkt").value_or("");
    b.key_reference = take_secret(member, "key");
  }
  if (b.key_store.empty() || b.algorithm.empty() || b.jkt.empty() || b.key_reference.empty()) {
    return make_error(ErrorCode::storage_corrupt, "the stored session's DPoP key is incomplete");
  }
  return b;
}

}  // namespace

SecretString serialize_session(const Session &session, const std::string &token_endpoint,
                               const std::string &unknown_members,
                               std::optional<std::chrono::system_clock::time_point> written_at) {
  Json j = Json::object();
  if (auto extra = parse_object(unknown_members)) {
    for (auto &[key, value] : extra->items())
      if (!known(key)) j[key] = value;
    wipe_json(*extra);
  }
  j["version"] = kRecordVersion;
  j["issuer"] = session.issuer;
  j["client_id"] = session.client_id;
  j["profile"] = session.profile;
  j["token_type"] = session.token_type;
  j["access_token"] = std::string(session.access_token.reveal());
  if (!session.refresh_token.empty()) j["refresh_token"] = std::string(session.refresh_token.reveal());
  if (!session.id_token.empty()) j["id_token"] = std::string(session.id_token.reveal());
  if (session.access_token_expiry) j["access_token_expires_at"] = epoch_seconds(*session.access_token_expiry);
  j["issued_at"] = epoch_seconds(session.issued_at);
  j["issued_at_ms"] = epoch_ms(session.issued_at);
  // Another process decides "rotated while I waited for the lock" from when the record was written.
  if (written_at) j["written_at_ms"] = epoch_ms(*written_at);
  j["scopes"] = session.scopes;
  j["subject"] = session.claims.subject();
  if (const auto name = session.claims.string("name")) j["name"] = *name;
  j["claims"] = Json::parse(session.claims.json(), nullptr, false);
  j["token_endpoint"] = token_endpoint;
  if (session.dpop) {
    const DpopBinding &b = *session.dpop;
    j["dpop"] = {{"store", b.key_store}, {"alg", b.algorithm}, {"jkt", b.jkt}};
    j["dpop"]["key"] = std::string(b.key_reference.reveal());
  }
  std::string text = j.dump(-1, ' ', false, Json::error_handler_t::replace);
  wipe_json(j);
  SecretString out(text);
  secure_wipe(text.data(), text.size());
  return out;
}

Result<SessionRecord> parse_session_record(const SecretString &record, const platform::SlotKey &expected) {
  auto opened = open_record(record, expected);
  if (!opened) return std::move(opened).error();
  Json &doc = *opened;
  SessionRecord r;
  r.version = static_cast<int>(get_int(doc, "version").value_or(kRecordVersion));
  Session &s = r.session;
  s.issuer = expected.issuer;
  s.client_id = expected.client_id;
  s.profile = expected.profile;
  s.token_type = get_string(doc, "token_type").value_or("Bearer");
  s.access_token = take_secret(doc, "access_token");
  s.refresh_token = take_secret(doc, "refresh_token");
  s.id_token = take_secret(doc, "id_token");
  s.access_token_expiry = time_member(doc, "access_token_expires_at");
  s.issued_at = time_member(doc, "issued_at").value_or(std::chrono::system_clock::time_point{});
  if (const auto ms = get_int(doc, "issued_at_ms");
      ms && *ms >= 0 && *ms / 1000 == get_int(doc, "issued_at").value_or(-1)) {
    s.issued_at = std::chrono::system_clock::time_point(std::chrono::milliseconds(*ms));
  }
  if (const auto ms = get_int(doc, "written_at_ms"); ms && *ms >= 0 && *ms <= 253'402'300'799'999) {
    r.written_at = std::chrono::system_clock::time_point(std::chrono::milliseconds(*ms));
  }
  s.scopes = get_strings(doc, "scopes");
  if (const auto it = doc.find("claims"); it != doc.end() && it->is_object()) s.claims = Claims(it->dump());
  r.token_endpoint = get_string(doc, "token_endpoint").value_or("");
  if (const auto it = doc.find("dpop"); it != doc.end()) {
    auto binding = parse_dpop(*it);
    if (!binding) {
      wipe_json(doc);
      return std::move(binding).error();
    }
    s.dpop = std::move(*binding);
  }
  Json extra = Json::object();
  for (auto &[key, value] : doc.items())
    if (!known(key)) extra[key] = value;
  r.unknown_members = extra.dump();
  wipe_json(extra);
  wipe_json(doc);
  if (s.access_token.empty() && s.refresh_token.empty()) {
    return make_error(ErrorCode::storage_corrupt, "the stored session holds no token");
  }
  return r;
}

Session clone_session(const Session &s) {
  Session c;
  c.issuer = s.issuer;
  c.client_id = s.client_id;
  c.profile = s.profile;
  c.access_token = s.access_token.clone();
  c.refresh_token = s.refresh_token.clone();
  c.id_token = s.id_token.clone();
  c.token_type = s.token_type;
  c.access_token_expiry = s.access_token_expiry;
  c.scopes = s.scopes;
  c.claims = s.claims;
  c.issued_at = s.issued_at;
  if (s.dpop) c.dpop = DpopBinding{s.dpop->key_store, s.dpop->algorithm, s.dpop->jkt, s.dpop->key_reference.clone()};
  return c;
}

SlotInfo describe_record(const SecretString &record, const platform::SlotKey &key) {
  SlotInfo info;
  info.issuer = key.issuer;
  info.client_id = key.client_id;
  info.profile = key.profile;
  auto opened = open_record(record, key);
  if (!opened) {
    info.problem = opened.error().message;
    return info;
  }
  Json &doc = *opened;
  info.subject = get_string(doc, "subject").value_or("");
  info.name = get_string(doc, "name");
  info.access_token_expiry = time_member(doc, "access_token_expires_at");
  info.issued_at = time_member(doc, "issued_at");
  const auto rt = doc.find("refresh_token");
  info.has_refresh_token = rt != doc.end() && rt->is_string() && !rt->get_ref<const std::string &>().empty();
  info.scopes = get_strings(doc, "scopes");
  if (const auto it = doc.find("dpop"); it != doc.end() && it->is_object()) {
    info.dpop_key_store = get_string(*it, "store");
  }
  wipe_json(doc);
  return info;
}

}  // namespace nativeauth::core
