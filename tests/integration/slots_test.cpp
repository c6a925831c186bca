// SPDX-License-Identifier: Apache-2.0
// One slot per app, in the real keychain: sessions survive a "restart" (a new Client), rotation in one
// app never touches another app's refresh token, and unusable records are reported, never used.
// Runs inside tests/support/keyring-env (real gnome-keyring) against the real provider and browser.
#include <nativeauth/nativeauth.hpp>

#include "core/record.hpp"
#include "core/token_endpoint.hpp"
#include "libcurl/curl_transport.hpp"
#include "oidc/discovery.hpp"
#include "provider_process.hpp"

#include <gtest/gtest.h>

#include <optional>

namespace nativeauth {
namespace {

using testing::ProviderProcess;
using testing::ScopedEnv;
using testing::TempDir;

class Slots : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string why;
    provider_ = ProviderProcess::start({}, &why).release();
    ASSERT_NE(provider_, nullptr) << why;
  }
  static void TearDownTestSuite() {
    delete provider_;
    provider_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(provider_, nullptr);
    ASSERT_NE(std::getenv("DBUS_SESSION_BUS_ADDRESS"), nullptr) << "run inside tests/support/keyring-env";
    oidc::clear_discovery_cache();
    auto store = make_keychain_store();
    ASSERT_TRUE(store) << store.error().to_string();
    store_ = *store;
    testing::use_test_browser(env_, "login", profile_.path(), tmp_.file("result.json"), tmp_.file("browser.log"));
  }
  void TearDown() override {
    if (!store_) return;
    for (const char *client : {"nativeauth-test", "nativeauth-test-b"}) (void)store_->erase(slot(client));
  }

  static platform::SlotKey slot(const std::string &client) { return {provider_->issuer(), client, "default"}; }

  Result<Client> client(const std::string &client_id,
                        std::optional<std::chrono::milliseconds> lock_timeout = std::nullopt) {
    ClientOptions o;
    o.issuer = provider_->issuer();
    o.client_id = client_id;
    o.lock_timeout = lock_timeout;
    o.scopes = {"openid", "profile", "offline_access"};  // storage: the keychain, the default
    return Client::create(std::move(o));
  }

  Session sign_in(const std::string &client_id) {
    auto c = client(client_id);
    EXPECT_TRUE(c);
    auto s = c->sign_in();
    EXPECT_TRUE(s) << s.error().to_string() << testing::read_file(tmp_.file("browser.log"));
    return s ? std::move(*s) : Session{};
  }

  /// One refresh_token grant against the real provider, and the rotated tokens written back to the
  /// slot the way the SDK writes them (the SDK's own silent refresh arrives with the refresh issue).
  Result<SecretString> refresh_and_store(const std::string &client_id) {
    auto record = store_->load(slot(client_id));
    if (!record) return std::move(record).error();
    if (!record->has_value()) return make_error(ErrorCode::sign_in_required, "empty slot");
    auto parsed = core::parse_session_record(**record, slot(client_id));
    if (!parsed) return std::move(parsed).error();
    auto http = libcurl::make_curl_transport({});
    auto request = core::make_token_request(parsed->token_endpoint,
                                            {{"grant_type", "refresh_token"},
                                             {"refresh_token", std::string(parsed->session.refresh_token.reveal())}},
                                            client_id, SecretString{});
    auto response = http->send(request);
    if (!response) return std::move(response).error();
    auto tokens = core::parse_token_response(*response);
    if (!tokens) return std::move(tokens).error();
    Session &s = parsed->session;
    s.access_token = std::move(tokens->access_token);
    if (!tokens->refresh_token.empty()) s.refresh_token = std::move(tokens->refresh_token);
    auto saved = store_->save(slot(client_id),
                              core::serialize_session(s, parsed->token_endpoint, parsed->unknown_members));
    if (!saved) return std::move(saved).error();
    return s.refresh_token.clone();
  }

  static ProviderProcess *provider_;
  TempDir tmp_, profile_;
  ScopedEnv env_;
  std::shared_ptr<platform::CredentialStore> store_;
};
ProviderProcess *Slots::provider_ = nullptr;

TEST_F(Slots, SessionSurvivesARestart) {
  const Session signed_in = sign_in("nativeauth-test");
  ASSERT_FALSE(signed_in.refresh_token.empty());
  auto restarted = client("nativeauth-test");  // a new Client: as after the app restarts
  ASSERT_TRUE(restarted);
  auto loaded = restarted->load_session();
  ASSERT_TRUE(loaded) << loaded.error().to_string();
  ASSERT_TRUE(loaded->has_value());
  EXPECT_TRUE((*loaded)->refresh_token == signed_in.refresh_token);
  EXPECT_TRUE((*loaded)->access_token == signed_in.access_token);
  EXPECT_EQ((*loaded)->claims.subject(), "alice");
  EXPECT_EQ((*loaded)->access_token_expiry,
            signed_in.access_token_expiry.has_value()
                ? std::optional(std::chrono::time_point_cast<std::chrono::seconds>(*signed_in.access_token_expiry))
                : std::nullopt);
}

TEST_F(Slots, RotationInOneAppNeverTouchesAnother) {
  sign_in("nativeauth-test");
  sign_in("nativeauth-test-b");  // same browser profile: the provider session is shared
  auto b_before = store_->load(slot("nativeauth-test-b"));
  ASSERT_TRUE(b_before && b_before->has_value());

  SecretString previous;
  for (int i = 0; i < 3; ++i) {
    auto rotated = refresh_and_store("nativeauth-test");
    ASSERT_TRUE(rotated) << rotated.error().to_string();
    EXPECT_FALSE(*rotated == previous) << "the provider rotates refresh tokens";
    previous = std::move(*rotated);
  }

  auto b_after = store_->load(slot("nativeauth-test-b"));
  ASSERT_TRUE(b_after && b_after->has_value());
  EXPECT_TRUE(**b_after == **b_before) << "app B's record changed while app A rotated";
  auto b_refresh = refresh_and_store("nativeauth-test-b");
  EXPECT_TRUE(b_refresh) << "app B's refresh token no longer works: " << b_refresh.error().to_string();

  auto slots = client("nativeauth-test")->list_slots();
  ASSERT_TRUE(slots);
  EXPECT_EQ(slots->size(), 2u);
}

// An all-apps sign-out while another app's slot is locked (that app is busy past the lock wait): this
// app's slot is erased, so its tokens must leave memory too, and the locked slot is a reported problem.
TEST_F(Slots, AllAppsSignOutPastALockedSlotStillSignsThisAppOut) {
  sign_in("nativeauth-test");
  sign_in("nativeauth-test-b");
  auto a = client("nativeauth-test", std::chrono::milliseconds(300));
  ASSERT_TRUE(a);
  ASSERT_TRUE(a->access_token());  // now held in memory
  auto other_app = platform::default_platform().locks->acquire(slot("nativeauth-test-b"), std::chrono::seconds(5));
  ASSERT_TRUE(other_app) << other_app.error().to_string();

  SignOutOptions everywhere;
  everywhere.all_apps = true;
  everywhere.local_only = true;
  auto report = a->sign_out(everywhere);
  ASSERT_TRUE(report) << "a later slot's lock failed the whole sign-out: " << report.error().to_string();
  EXPECT_EQ(report->slots_erased, 1);
  ASSERT_EQ(report->problems.size(), 1u);
  EXPECT_NE(report->problems[0].message.find("nativeauth-test-b"), std::string::npos) << report->problems[0].message;

  auto token = a->access_token();
  ASSERT_FALSE(token) << "a signed-out app still hands out its access token from memory";
  EXPECT_EQ(token.error().code, ErrorCode::sign_in_required) << token.error().to_string();
  auto own = store_->load(slot("nativeauth-test"));
  ASSERT_TRUE(own);
  EXPECT_FALSE(own->has_value());
  auto b = store_->load(slot("nativeauth-test-b"));
  ASSERT_TRUE(b);
  EXPECT_TRUE(b->has_value()) << "the locked slot was erased without its lock";
}

TEST_F(Slots, CorruptRecordIsReportedWithItsSlotAndNotUsed) {
  ASSERT_TRUE(store_->save(slot("nativeauth-test"), SecretString("{not json")));
  auto c = client("nativeauth-test");
  auto loaded = c->load_session();
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().code, ErrorCode::storage_corrupt);
  EXPECT_NE(loaded.error().message.find("nativeauth-test"), std::string::npos) << loaded.error().message;
  auto slots = c->list_slots();
  ASSERT_TRUE(slots);
  ASSERT_EQ(slots->size(), 1u);
  EXPECT_TRUE((*slots)[0].problem);
}

TEST_F(Slots, RecordOfAnotherClientIsRefused) {
  sign_in("nativeauth-test");
  auto a = store_->load(slot("nativeauth-test"));
  ASSERT_TRUE(a && a->has_value());
  ASSERT_TRUE(store_->save(slot("nativeauth-test-b"), **a));  // A's record in B's slot
  auto loaded = client("nativeauth-test-b")->load_session();
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().code, ErrorCode::storage_slot_mismatch);
}

}  // namespace
}  // namespace nativeauth
