// SPDX-License-Identifier: Apache-2.0
// The access-token cache's entries and their time to live (sdk/src/core/token_cache.cpp): pure logic.
// The cache against the real kernel keyring is tests/e2e/cli_token_cache_test.cpp.
#include "core/token_cache.hpp"

#include <gtest/gtest.h>

namespace nativeauth::core {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::system_clock;

const platform::SlotKey kSlot{"https://id.example", "app", "default"};

Session session_at(Clock::time_point issued, std::chrono::seconds lifetime) {
  Session s;
  s.access_token = SecretString("at-123");
  s.refresh_token = SecretString("rt-456");
  s.id_token = SecretString("id-789");
  s.token_type = "Bearer";
  s.scopes = {"openid", "profile"};
  s.issued_at = issued;
  s.access_token_expiry = issued + lifetime;
  return s;
}

TEST(TokenCacheEntry, RoundTripsTheAccessTokenAndNothingElseSecret) {
  const auto t0 = Clock::time_point(std::chrono::seconds(1'800'000'000));
  const SecretString entry = cache_entry(kSlot, session_at(t0, 3600s));
  EXPECT_EQ(entry.reveal().find("rt-456"), std::string_view::npos);
  EXPECT_EQ(entry.reveal().find("id-789"), std::string_view::npos);
  auto back = parse_cache_entry(entry, kSlot);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->token.value.reveal(), "at-123");
  EXPECT_EQ(back->token.token_type, "Bearer");
  EXPECT_EQ(back->token.expires_at, t0 + 3600s);
  EXPECT_EQ(back->token.scopes, (std::vector<std::string>{"openid", "profile"}));
  EXPECT_EQ(back->lifetime, 3600s);
}

TEST(TokenCacheEntry, AnEntryOfAnotherSlotIsAMiss) {
  const SecretString entry = cache_entry(kSlot, session_at(Clock::now(), 3600s));
  for (const platform::SlotKey &other : {platform::SlotKey{"https://id.example/other", "app", "default"},
                                         platform::SlotKey{"https://id.example", "app2", "default"},
                                         platform::SlotKey{"https://id.example", "app", "work"}}) {
    EXPECT_FALSE(parse_cache_entry(entry, other)) << other.issuer << ' ' << other.client_id << ' ' << other.profile;
  }
}

TEST(TokenCacheEntry, UnreadableOrUnknownEntriesAreMisses) {
  for (const char *text : {"", "not json", "[]", R"({"v":2,"issuer":"https://id.example","client_id":"app",
      "profile":"default","token_type":"Bearer","access_token":"a","expires_at":1})",
                           R"({"v":1,"issuer":"https://id.example","client_id":"app","profile":"default",
      "token_type":"Bearer","access_token":"a"})"}) {
    EXPECT_FALSE(parse_cache_entry(SecretString(text), kSlot)) << text;
  }
}

TEST(TokenCacheEntry, LivesUntilTheTokenIsDueForRefresh) {
  const auto now = Clock::now();
  // An hour-long token with the default 60 s margin: 3540 s.
  EXPECT_EQ(cache_ttl(session_at(now, 3600s), 60s, now), 3540s);
  // An 8 s token: half its lifetime counts instead of the margin.
  EXPECT_EQ(cache_ttl(session_at(now, 8s), 60s, now), 4s);
  // Nothing worth caching: due already, no expiry, no token.
  EXPECT_FALSE(cache_ttl(session_at(now - 3590s, 3600s), 60s, now));
  Session no_expiry = session_at(now, 3600s);
  no_expiry.access_token_expiry.reset();
  EXPECT_FALSE(cache_ttl(no_expiry, 60s, now));
  Session no_token = session_at(now, 3600s);
  no_token.access_token = SecretString();
  EXPECT_FALSE(cache_ttl(no_token, 60s, now));
}

}  // namespace
}  // namespace nativeauth::core
