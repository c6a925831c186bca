// SPDX-License-Identifier: Apache-2.0
// Session records: round trip, forward compatibility (unknown members survive a rewrite), slot checks.
#include "core/record.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace nativeauth::core {
namespace {

using platform::SlotKey;
const SlotKey kSlot{"https://idp.example/t", "app-a", "work"};

Session sample() {
  Session s;
  s.issuer = kSlot.issuer;
  s.client_id = kSlot.client_id;
  s.profile = kSlot.profile;
  s.access_token = SecretString("at-123");
  s.refresh_token = SecretString("rt-456");
  s.id_token = SecretString("eyJ.id.token");
  s.token_type = "Bearer";
  s.access_token_expiry = std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'300));
  s.issued_at = std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000));
  s.scopes = {"openid", "offline_access"};
  s.claims = Claims(R"({"sub":"alice","name":"Alice Example","iss":"https://idp.example/t"})");
  return s;
}

TEST(Record, RoundTrip) {
  const auto record = serialize_session(sample(), "https://idp.example/t/token");
  auto parsed = parse_session_record(record, kSlot);
  ASSERT_TRUE(parsed) << parsed.error().message;
  const Session &s = parsed->session;
  EXPECT_EQ(s.access_token.reveal(), "at-123");
  EXPECT_EQ(s.refresh_token.reveal(), "rt-456");
  EXPECT_EQ(s.id_token.reveal(), "eyJ.id.token");
  EXPECT_EQ(s.access_token_expiry, sample().access_token_expiry);
  EXPECT_EQ(s.issued_at, sample().issued_at);
  EXPECT_EQ(s.scopes, sample().scopes);
  EXPECT_EQ(s.claims.subject(), "alice");
  EXPECT_EQ(parsed->token_endpoint, "https://idp.example/t/token");
  const auto doc = nlohmann::json::parse(record.reveal());
  EXPECT_EQ(doc["version"], 2);
  EXPECT_FALSE(doc.contains("dpop")) << "a Bearer session has no key";
  EXPECT_EQ(doc["subject"], "alice");
}

TEST(Record, UnknownMembersSurviveARewrite) {
  auto doc = nlohmann::json::parse(serialize_session(sample(), "https://idp.example/t/token").reveal());
  doc["dpop_key"] = {{"kty", "EC"}};  // written by a newer nativeauth
  doc["version"] = 2;
  auto parsed = parse_session_record(SecretString(doc.dump()), kSlot);
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->version, 2);
  const auto rewritten = serialize_session(parsed->session, parsed->token_endpoint, parsed->unknown_members);
  const auto again = nlohmann::json::parse(rewritten.reveal());
  EXPECT_EQ(again["dpop_key"]["kty"], "EC");
  EXPECT_EQ(again["access_token"], "at-123");
}

TEST(Record, AnotherSlotsRecordIsRefused) {
  const auto record = serialize_session(sample(), "t");
  for (const SlotKey &other : {SlotKey{kSlot.issuer, "app-b", "work"}, SlotKey{"https://evil.example", "app-a", "work"},
                               SlotKey{kSlot.issuer, "app-a", "default"}}) {
    auto parsed = parse_session_record(record, other);
    ASSERT_FALSE(parsed);
    EXPECT_EQ(parsed.error().code, ErrorCode::storage_slot_mismatch);
    EXPECT_EQ(parsed.error().message.find("rt-456"), std::string::npos);
  }
}

TEST(Record, CorruptRecords) {
  for (const char *bad : {"", "not json", "[]", R"({"issuer":"x"})", R"({"version":"one"})"}) {
    auto parsed = parse_session_record(SecretString(bad), kSlot);
    ASSERT_FALSE(parsed) << bad;
    EXPECT_EQ(parsed.error().code, ErrorCode::storage_corrupt) << bad;
  }
  auto no_tokens = parse_session_record(
      SecretString(R"({"version":1,"issuer":"https://idp.example/t","client_id":"app-a","profile":"work"})"), kSlot);
  ASSERT_FALSE(no_tokens);
  EXPECT_EQ(no_tokens.error().code, ErrorCode::storage_corrupt);
}

TEST(Record, DescribeHoldsNoSecretAndReportsProblems) {
  const auto info = describe_record(serialize_session(sample(), "t"), kSlot);
  EXPECT_FALSE(info.problem);
  EXPECT_EQ(info.subject, "alice");
  EXPECT_EQ(info.name, "Alice Example");
  EXPECT_TRUE(info.has_refresh_token);
  EXPECT_EQ(info.access_token_expiry, sample().access_token_expiry);
  const auto broken = describe_record(SecretString("garbage"), kSlot);
  ASSERT_TRUE(broken.problem);
  EXPECT_EQ(broken.client_id, "app-a");
}

TEST(Record, Version2KeepsTheDpopKeyAndVersion1StillLoads) {
  Session bound = sample();
  bound.token_type = "DPoP";
  bound.dpop = DpopBinding{"tpm", "ES256", "jkt-abc", SecretString("wrapped-key-blob")};
  const auto record = serialize_session(bound, "t");
  auto parsed = parse_session_record(record, kSlot);
  ASSERT_TRUE(parsed) << parsed.error().message;
  ASSERT_TRUE(parsed->session.dpop);
  EXPECT_EQ(parsed->session.dpop->key_store, "tpm");
  EXPECT_EQ(parsed->session.dpop->algorithm, "ES256");
  EXPECT_EQ(parsed->session.dpop->jkt, "jkt-abc");
  EXPECT_EQ(parsed->session.dpop->key_reference.reveal(), "wrapped-key-blob");
  EXPECT_EQ(clone_session(parsed->session).dpop->key_reference.reveal(), "wrapped-key-blob");
  EXPECT_EQ(describe_record(record, kSlot).dpop_key_store.value_or(""), "tpm");
  EXPECT_FALSE(describe_record(serialize_session(sample(), "t"), kSlot).dpop_key_store);

  auto v1 = nlohmann::json::parse(serialize_session(sample(), "t").reveal());
  v1["version"] = 1;
  auto old = parse_session_record(SecretString(v1.dump()), kSlot);
  ASSERT_TRUE(old) << old.error().message;
  EXPECT_FALSE(old->session.dpop);

  auto incomplete = nlohmann::json::parse(record.reveal());
  incomplete["dpop"].erase("key");
  auto refused = parse_session_record(SecretString(incomplete.dump()), kSlot);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::storage_corrupt);
  EXPECT_EQ(refused.error().message.find("wrapped-key-blob"), std::string::npos);
}

}  // namespace
}  // namespace nativeauth::core
