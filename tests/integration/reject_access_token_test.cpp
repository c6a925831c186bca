// SPDX-License-Identifier: Apache-2.0
// Client::reject_access_token(): an API refused a token; it is forgotten only while the slot still holds
// it, the session stays, and the next access_token() refreshes. Real provider, keyring and browser; no
// fake. Two Clients on one slot stand for two processes (each keeps its own memory of the session).
#include <nativeauth/nativeauth.hpp>

#include "libcurl/curl_transport.hpp"
#include "oidc/discovery.hpp"
#include "provider_process.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>

namespace nativeauth {
namespace {

using testing::ProviderProcess;
using testing::ScopedEnv;
using testing::TempDir;

class RejectAccessToken : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(std::getenv("DBUS_SESSION_BUS_ADDRESS"), nullptr) << "run inside tests/support/keyring-env";
    std::string why;
    provider_ = ProviderProcess::start({}, &why);
    ASSERT_TRUE(provider_) << why;
    oidc::clear_discovery_cache();
    testing::use_test_browser(env_, "login", profile_.path(), tmp_.file("result.json"), tmp_.file("browser.log"));
  }

  Client client() {
    ClientOptions o;
    o.issuer = provider_->issuer();
    o.client_id = "nativeauth-test";
    auto c = Client::create(std::move(o));
    EXPECT_TRUE(c);
    return std::move(*c);
  }

  Session stored() {
    auto s = client().load_session();
    EXPECT_TRUE(s && s->has_value());
    return s && s->has_value() ? std::move(**s) : Session{};
  }

  std::unique_ptr<ProviderProcess> provider_;
  TempDir tmp_, profile_;
  ScopedEnv env_;
};

TEST_F(RejectAccessToken, TheStoredTokenIsForgottenAndTheNextCallRefreshesKeepingTheSession) {
  Client app = client();
  auto signed_in = app.sign_in();
  ASSERT_TRUE(signed_in) << signed_in.error().to_string();
  auto refused = app.access_token();
  ASSERT_TRUE(refused) << refused.error().to_string();

  auto forgotten = app.reject_access_token(refused->value);
  ASSERT_TRUE(forgotten) << forgotten.error().to_string();
  EXPECT_TRUE(*forgotten);
  const Session after = stored();
  EXPECT_TRUE(after.access_token.empty()) << "the refused token is still stored";
  EXPECT_TRUE(after.refresh_token == signed_in->refresh_token) << "the refresh token must stay";
  EXPECT_TRUE(after.id_token == signed_in->id_token);
  ASSERT_TRUE(after.access_token_expiry);
  EXPECT_LE(*after.access_token_expiry, std::chrono::system_clock::now()) << "listed as expired";
  EXPECT_EQ(provider_->refresh_grants(), 0) << "forgetting needs no grant";

  // The same Client (its memory held the refused token) refreshes instead of handing it out again.
  auto renewed = app.access_token();
  ASSERT_TRUE(renewed) << renewed.error().to_string();
  EXPECT_FALSE(renewed->value == refused->value);
  EXPECT_EQ(provider_->refresh_grants(), 1);
  const Session refreshed = stored();
  EXPECT_TRUE(refreshed.access_token == renewed->value);
  EXPECT_EQ(refreshed.claims.subject(), signed_in->claims.subject());

  // Another process reads the refreshed slot: no second grant; the old token is no longer the slot's.
  Client other = client();
  auto theirs = other.access_token();
  ASSERT_TRUE(theirs) << theirs.error().to_string();
  EXPECT_TRUE(theirs->value == renewed->value);
  auto again = other.reject_access_token(refused->value);
  ASSERT_TRUE(again) << again.error().to_string();
  EXPECT_FALSE(*again);
  EXPECT_EQ(provider_->refresh_grants(), 1);
}

// The twin: another process refreshed after the API saw the token. Its successor is not dropped, and the
// Client that still held the refused token takes the slot's newer one, with no grant.
TEST_F(RejectAccessToken, ATokenTheSlotNoLongerHoldsChangesOnlyTheMemoryOfItsHolder) {
  Client app = client();
  ASSERT_TRUE(app.sign_in());
  auto refused = app.access_token();
  ASSERT_TRUE(refused);
  Client other = client();
  AccessTokenOptions force;
  force.force_refresh = true;
  auto successor = other.access_token(force);
  ASSERT_TRUE(successor) << successor.error().to_string();
  ASSERT_EQ(provider_->refresh_grants(), 1);

  auto result = app.reject_access_token(refused->value);
  ASSERT_TRUE(result) << result.error().to_string();
  EXPECT_FALSE(*result);
  EXPECT_TRUE(stored().access_token == successor->value) << "the successor was dropped";
  auto now_used = app.access_token();
  ASSERT_TRUE(now_used) << now_used.error().to_string();
  EXPECT_TRUE(now_used->value == successor->value) << "the refused token was handed out again";
  EXPECT_EQ(provider_->refresh_grants(), 1);
}

// Without a refresh token nothing could renew the access token: the record keeps it, expired, and the
// session says that signing in again is needed (it is not erased: the user's claims stay listed).
TEST_F(RejectAccessToken, WithoutARefreshTokenTheTokenIsMarkedExpiredAndSignInIsRequired) {
  Client app = client();
  SignInOptions no_refresh;
  no_refresh.scopes = {"openid", "profile"};
  auto signed_in = app.sign_in(no_refresh);
  ASSERT_TRUE(signed_in) << signed_in.error().to_string();
  ASSERT_TRUE(signed_in->refresh_token.empty());
  auto refused = app.access_token();
  ASSERT_TRUE(refused);
  auto result = app.reject_access_token(refused->value);
  ASSERT_TRUE(result) << result.error().to_string();
  EXPECT_TRUE(*result);
  auto next = app.access_token();
  ASSERT_FALSE(next) << "a refused token was handed out again";
  EXPECT_EQ(next.error().code, ErrorCode::sign_in_required) << next.error().to_string();
  auto later = client().load_session();
  ASSERT_TRUE(later && later->has_value()) << "the session must stay readable";
}

TEST_F(RejectAccessToken, AnEmptyTokenIsRefusedAndAnEmptySlotHasNothingToForget) {
  Client app = client();
  auto empty = app.reject_access_token(SecretString());
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, ErrorCode::invalid_argument);
  auto nothing = app.reject_access_token(SecretString("not-a-token"));
  ASSERT_TRUE(nothing) << nothing.error().to_string();
  EXPECT_FALSE(*nothing);
}

}  // namespace
}  // namespace nativeauth
