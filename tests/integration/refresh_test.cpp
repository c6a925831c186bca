// SPDX-License-Identifier: Apache-2.0
// Silent refresh and sign-out against the real provider, keyring and browser. The one fake is a clock
// that jumps forward (time must pass for a token to expire); the provider keeps real time.
#include <nativeauth/nativeauth.hpp>

#include "core/json_util.hpp"
#include "libcurl/curl_transport.hpp"
#include "oidc/discovery.hpp"
#include "provider_process.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <optional>
#include <set>
#include <thread>

namespace nativeauth {
namespace {

using testing::ProviderProcess;
using testing::ScopedEnv;
using testing::TempDir;
using Json = nlohmann::json;

/// Real time plus offsets the test moves: the only stand-in here, for "an hour passed" (both clocks move)
/// and for "the wall clock was set back" (only `offset` moves, backwards, while `steady_offset` goes on).
class JumpingClock final : public platform::Clock {
 public:
  std::chrono::system_clock::time_point now() const override {
    return std::chrono::system_clock::now() + std::chrono::seconds(offset.load());
  }
  std::chrono::steady_clock::time_point steady_now() const override {
    return std::chrono::steady_clock::now() + std::chrono::seconds(steady_offset.load());
  }
  std::atomic<std::int64_t> offset{0};
  std::atomic<std::int64_t> steady_offset{0};
};

class Refresh : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(std::getenv("DBUS_SESSION_BUS_ADDRESS"), nullptr) << "run inside tests/support/keyring-env";
    std::string why;
    // Access tokens live 120 s: a 100 s jump puts them inside the 60 s margin while the ID tokens (1 h)
    // the provider issues in real time stay valid for the jumped clock.
    provider_ = ProviderProcess::start({"RS256", "", {"--access-ttl", "120"}}, &why);
    ASSERT_TRUE(provider_) << why;
    oidc::clear_discovery_cache();
    testing::use_test_browser(env_, "login", profile_.path(), result_file(), tmp_.file("browser.log"));
  }

  std::string result_file() const { return tmp_.file("result.json"); }

  std::string log() {
    std::lock_guard<std::mutex> lock(log_mutex_);
    return log_;
  }

  Result<Client> client(const std::string &client_id = "nativeauth-test",
                        std::optional<std::chrono::seconds> refresh_margin = std::nullopt) {
    ClientOptions o;
    if (refresh_margin) o.refresh_margin = *refresh_margin;
    o.issuer = provider_->issuer();
    o.client_id = client_id;
    o.platform.clock = clock_;
    o.log_level = LogLevel::trace;
    o.log = [this](LogLevel, std::string_view line) {
      std::lock_guard<std::mutex> lock(log_mutex_);
      log_ += std::string(line) + "\n";
    };
    return Client::create(std::move(o));
  }

  Json sign_in(Client &c) {
    std::remove(result_file().c_str());
    auto s = c.sign_in();
    EXPECT_TRUE(s) << s.error().to_string() << testing::read_file(tmp_.file("browser.log"));
    if (s) secrets_.push_back(std::string(s->refresh_token.reveal()));
    EXPECT_TRUE(testing::wait_for_file(result_file(), std::chrono::seconds(60)));
    return Json::parse(testing::read_file(result_file()), nullptr, false);
  }

  std::unique_ptr<ProviderProcess> provider_;
  std::shared_ptr<JumpingClock> clock_ = std::make_shared<JumpingClock>();
  TempDir tmp_, profile_;
  ScopedEnv env_;
  std::mutex log_mutex_;
  std::string log_;
  std::vector<std::string> secrets_;  ///< every token seen, to prove none reached the log
};

TEST_F(Refresh, FromMemoryWhileFreshWithoutTouchingTheProvider) {
  auto c = client();
  ASSERT_TRUE(c);
  sign_in(*c);
  auto a = c->access_token();
  auto b = c->access_token();
  ASSERT_TRUE(a && b);
  EXPECT_TRUE(a->value == b->value);
  EXPECT_EQ(provider_->refresh_grants(), 0);
}

TEST_F(Refresh, ThirtyTwoThreadsOnAnExpiredTokenCauseExactlyOneGrant) {
  auto c = client();
  ASSERT_TRUE(c);
  sign_in(*c);
  auto before = c->access_token();
  ASSERT_TRUE(before);
  clock_->offset = 100;  // 20 s left: inside the 60 s margin

  std::vector<std::optional<Result<AccessToken>>> results(32);
  std::mutex m;
  std::condition_variable cv;
  int ready = 0;
  bool go = false;
  std::vector<std::thread> threads;
  for (int i = 0; i < 32; ++i) {
    threads.emplace_back([&, i] {
      {
        std::unique_lock<std::mutex> lock(m);
        ++ready;
        cv.notify_all();
        cv.wait(lock, [&] { return go; });
      }
      results[i].emplace(c->access_token());
    });
  }
  {
    std::unique_lock<std::mutex> lock(m);
    cv.wait(lock, [&] { return ready == 32; });
    go = true;
  }
  cv.notify_all();
  for (auto &t : threads) t.join();

  EXPECT_EQ(provider_->refresh_grants(), 1) << "exactly one refresh grant at the provider";
  std::set<std::string> seen;
  for (auto &r : results) {
    ASSERT_TRUE(r.has_value());
    ASSERT_TRUE(*r) << r->error().to_string();
    seen.insert(std::string((*r)->value.reveal()));
  }
  EXPECT_EQ(seen.size(), 1u) << "every caller got the same new token";
  EXPECT_FALSE(*seen.begin() == std::string(before->value.reveal()));
  // The rotated refresh token was stored, and it works.
  auto restarted = client();
  auto stored = restarted->load_session();
  ASSERT_TRUE(stored && stored->has_value());
  EXPECT_EQ(std::string((*stored)->access_token.reveal()), *seen.begin());
  secrets_.push_back(std::string((*stored)->refresh_token.reveal()));
  secrets_.push_back(*seen.begin());
  AccessTokenOptions longer;
  longer.min_ttl = std::chrono::hours(2);
  auto again = restarted->access_token(longer);
  ASSERT_TRUE(again) << again.error().to_string();
  EXPECT_EQ(provider_->refresh_grants(), 2);
}

// The device clock is an hour behind the provider's when a refresh comes back: its new ID token looks
// issued in the future. That proves nothing against the token (it came straight from the token endpoint
// over TLS); the rotated tokens must be kept, the previous claims stay, the next refresh checks again.
TEST_F(Refresh, ClockBehindDuringRefreshKeepsTheRotatedSession) {
  auto c = client();
  ASSERT_TRUE(c);
  sign_in(*c);
  auto signed_in = c->load_session();
  ASSERT_TRUE(signed_in && signed_in->has_value());
  const std::string subject = (*signed_in)->claims.subject();
  clock_->offset = -3600;
  AccessTokenOptions force;
  force.force_refresh = true;
  auto refreshed = c->access_token(force);
  ASSERT_TRUE(refreshed) << refreshed.error().to_string() << "\n" << log();
  EXPECT_EQ(provider_->refresh_grants(), 1);
  EXPECT_NE(log().find("could not be checked now"), std::string::npos) << log();

  auto stored = client()->load_session();
  ASSERT_TRUE(stored && stored->has_value()) << "the session was ended on a clock disagreement";
  EXPECT_TRUE((*stored)->access_token == refreshed->value) << "the rotated tokens were not stored";
  EXPECT_FALSE((*stored)->refresh_token == (*signed_in)->refresh_token);
  EXPECT_EQ((*stored)->claims.subject(), subject);
  EXPECT_TRUE((*stored)->id_token == (*signed_in)->id_token) << "an unchecked ID token was stored";

  // With the clock right again, the stored (rotated) refresh token works and its ID token is checked.
  clock_->offset = 0;
  auto again = client()->access_token(force);
  ASSERT_TRUE(again) << again.error().to_string();
  EXPECT_EQ(provider_->refresh_grants(), 2);
  auto checked = client()->load_session();
  ASSERT_TRUE(checked && checked->has_value());
  EXPECT_EQ((*checked)->claims.subject(), subject);
  // This time the ID token was checked: the only "could not be checked" is the first refresh's. (Its
  // bytes may equal the sign-in's: same claims and iat second, and RS256 signatures are deterministic.)
  const std::string all = log();
  const std::string unchecked = "could not be checked now";
  const auto first = all.find(unchecked);
  ASSERT_NE(first, std::string::npos);
  EXPECT_EQ(all.find(unchecked, first + 1), std::string::npos) << all;
}

// The wall clock is set back an hour while 100 s pass: the 120 s token has 20 s left, whatever the
// wall clock says. access_token() must refresh it (default margin 60 s), not hand it out for an hour.
TEST_F(Refresh, AWallClockSetBackDoesNotStretchATokensLife) {
  auto c = client();
  ASSERT_TRUE(c);
  sign_in(*c);
  auto before = c->access_token();
  ASSERT_TRUE(before) << before.error().to_string();
  clock_->offset = -3600;
  clock_->steady_offset = 100;
  auto after = c->access_token();
  ASSERT_TRUE(after) << after.error().to_string() << "\n" << log();
  EXPECT_EQ(provider_->refresh_grants(), 1) << "the token was handed out past its real expiry";
  EXPECT_FALSE(after->value == before->value);
}

// A token that lives less than the refresh margin (here 120 s against 300 s) is not due the moment it is
// issued: the default margin is at most half the token's lifetime, so calls in its first half make no grant.
TEST_F(Refresh, ATokenShorterThanTheMarginIsNotRefreshedOnEveryCall) {
  auto c = client("nativeauth-test", std::chrono::seconds(300));
  ASSERT_TRUE(c);
  sign_in(*c);
  for (int i = 0; i < 5; ++i) {
    auto t = c->access_token();
    ASSERT_TRUE(t) << t.error().to_string();
  }
  auto other_process = client("nativeauth-test", std::chrono::seconds(300));
  ASSERT_TRUE(other_process);
  ASSERT_TRUE(other_process->access_token());
  EXPECT_EQ(provider_->refresh_grants(), 0);
  // An explicit min_ttl is the caller's own demand and is not scaled.
  AccessTokenOptions longer;
  longer.min_ttl = std::chrono::seconds(300);
  ASSERT_TRUE(c->access_token(longer));
  EXPECT_EQ(provider_->refresh_grants(), 1);
}

TEST_F(Refresh, ReusedRefreshTokenEndsTheSessionCleanly) {
  auto c = client();
  ASSERT_TRUE(c);
  sign_in(*c);
  auto store = make_keychain_store();
  ASSERT_TRUE(store);
  const platform::SlotKey key{provider_->issuer(), "nativeauth-test", "default"};
  auto original = (*store)->load(key);  // holds the first refresh token
  ASSERT_TRUE(original && original->has_value());
  AccessTokenOptions force;
  force.force_refresh = true;
  auto rotated = c->access_token(force);
  ASSERT_TRUE(rotated) << rotated.error().to_string();
  ASSERT_TRUE((*store)->save(key, **original));  // put the already-rotated refresh token back

  std::vector<SessionEvent> events;
  c->subscribe([&](const SessionEvent &e) { events.push_back(e); });
  auto fresh_client = client();  // a new process would read the slot: no memory of the rotation
  fresh_client->subscribe([&](const SessionEvent &e) { events.push_back(e); });
  auto r = fresh_client->access_token(force);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::sign_in_required) << r.error().to_string();
  EXPECT_EQ(r.error().oauth_error, "invalid_grant");
  auto slot = (*store)->load(key);
  ASSERT_TRUE(slot);
  EXPECT_FALSE(slot->has_value()) << "the slot is cleared";
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().kind, SessionEventKind::ended);
  ASSERT_TRUE(events.back().reason);
  EXPECT_EQ(events.back().reason->oauth_error, "invalid_grant");
  // No loop, no stale token: the next call says sign-in is required without a grant.
  const int errors = provider_->events().value("grant.error", 0);
  auto next = fresh_client->access_token();
  ASSERT_FALSE(next);
  EXPECT_EQ(next.error().code, ErrorCode::sign_in_required);
  EXPECT_EQ(provider_->events().value("grant.error", 0), errors);
}

TEST_F(Refresh, SharedSessionSignOutAndAllApps) {
  auto a = client("nativeauth-test");
  auto b = client("nativeauth-test-b");
  ASSERT_TRUE(a && b);
  const Json first = sign_in(*a);
  EXPECT_NE(first["pages"].dump().find("login"), std::string::npos) << first.dump();
  const Json second = sign_in(*b);
  EXPECT_EQ(second["pages"].dump().find("login"), std::string::npos)
      << "app B must not see the login page: " << second.dump();

  // A plain sign-out of A: revoked at the provider, provider session ended, B untouched.
  env_.set("NATIVEAUTH_TEST_BROWSER_ACTION", "logout");
  std::remove(result_file().c_str());
  std::vector<SessionEvent> events;
  a->subscribe([&](const SessionEvent &e) { events.push_back(e); });
  auto report = a->sign_out();
  ASSERT_TRUE(report) << report.error().to_string();
  EXPECT_EQ(report->slots_erased, 1);
  EXPECT_EQ(report->tokens_revoked, 1);
  EXPECT_TRUE(report->provider_session_ended);
  EXPECT_TRUE(report->problems.empty()) << report->problems.front().to_string();
  EXPECT_EQ(provider_->events().value("revocation.success", 0), 1);
  EXPECT_EQ(provider_->events().value("end_session.success", 0), 1);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().kind, SessionEventKind::signed_out);
  // The logout browser writes its result after Chromium has exited, which may be after sign_out().
  ASSERT_TRUE(testing::wait_for_file(result_file(), std::chrono::seconds(60)));
  EXPECT_EQ(Json::parse(testing::read_file(result_file()), nullptr, false).value("title", ""), "Signed out");
  auto a_token = a->access_token();
  ASSERT_FALSE(a_token);
  EXPECT_EQ(a_token.error().code, ErrorCode::sign_in_required);
  auto b_session = b->load_session();
  ASSERT_TRUE(b_session && b_session->has_value()) << "a plain sign-out leaves other apps alone";

  // The provider session is gone: the next sign-in shows the login page again.
  env_.set("NATIVEAUTH_TEST_BROWSER_ACTION", "login");
  const Json again = sign_in(*a);
  EXPECT_NE(again["pages"].dump().find("login"), std::string::npos) << again.dump();

  // Sign out every app of the provider on this machine.
  SignOutOptions everything;
  everything.local_only = true;
  everything.all_apps = true;
  auto all = a->sign_out(everything);
  ASSERT_TRUE(all) << all.error().to_string();
  EXPECT_EQ(all->slots_erased, 2);
  auto slots = a->list_slots();
  ASSERT_TRUE(slots);
  EXPECT_TRUE(slots->empty());
}

TEST_F(Refresh, NoSecretReachesTheLog) {
  auto c = client();
  ASSERT_TRUE(c);
  sign_in(*c);
  clock_->offset = 100;
  auto t = c->access_token();
  ASSERT_TRUE(t) << t.error().to_string();
  secrets_.push_back(std::string(t->value.reveal()));
  auto stored = c->load_session();
  ASSERT_TRUE(stored && stored->has_value());
  secrets_.push_back(std::string((*stored)->refresh_token.reveal()));
  secrets_.push_back(std::string((*stored)->id_token.reveal()));
  env_.set("NATIVEAUTH_TEST_BROWSER_ACTION", "logout");
  std::remove(result_file().c_str());
  ASSERT_TRUE(c->sign_out());
  EXPECT_TRUE(testing::wait_for_file(result_file(), std::chrono::seconds(60)));
  std::lock_guard<std::mutex> lock(log_mutex_);
  ASSERT_NE(log_.find("refreshed"), std::string::npos) << log_;
  for (const auto &secret : secrets_) {
    ASSERT_GE(secret.size(), 16u);
    EXPECT_EQ(log_.find(secret), std::string::npos) << "a token leaked into the log";
  }
}

}  // namespace
}  // namespace nativeauth
