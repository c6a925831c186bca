// SPDX-License-Identifier: Apache-2.0
// DPoP-bound sessions (RFC 9449) end to end: the real provider with DPoP required for its client
// `nativeauth-dpop` (dpop_bound_access_tokens) and, on one instance, server nonces demanded by the token and
// userinfo endpoints (--dpop-nonce); headless Chromium through $BROWSER; the real loopback listener. The
// provider's /__test/events count the DPoP and Bearer token responses it gave. No fakes.
#include <nativeauth/memory_store.hpp>
#include <nativeauth/nativeauth.hpp>

#include "core/dpop.hpp"
#include "core/url.hpp"
#include "libcurl/curl_transport.hpp"
#include "oidc/discovery.hpp"
#include "provider_process.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <mutex>
#include <string>

namespace nativeauth {
namespace {

using testing::ProviderProcess;
using testing::ScopedEnv;
using testing::TempDir;
using Json = nlohmann::json;

int counter(const ProviderProcess &p, const char *name) { return p.events().value(name, -1); }

/// The real software key store, with a count of what the SDK asked it to delete (the software store's own
/// remove() has nothing to delete: the key lives in the record). An observer, not a fake: every key is real.
class CountingKeyStore final : public platform::KeyStore {
 public:
  std::string name() const override { return "software"; }
  Result<platform::CreatedKey> create(const platform::SlotKey &slot, std::string_view alg) override {
    return inner_->create(slot, alg);
  }
  Result<std::unique_ptr<platform::ProofKey>> open(const platform::SlotKey &slot, const SecretString &ref) override {
    return inner_->open(slot, ref);
  }
  Result<void> remove(const platform::SlotKey &slot, const SecretString &ref) override {
    std::lock_guard<std::mutex> lock(mutex_);
    removed_.push_back(std::string(ref.reveal()));
    return inner_->remove(slot, ref);
  }
  std::vector<std::string> removed() {
    std::lock_guard<std::mutex> lock(mutex_);
    return removed_;
  }

 private:
  std::shared_ptr<platform::KeyStore> inner_ = platform::software_key_store();
  std::mutex mutex_;
  std::vector<std::string> removed_;
};

class DpopSignIn : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string why;
    nonces_ = ProviderProcess::start({"ES256", "", {"--dpop-nonce", "--device-interval", "1"}}, &why).release();
    ASSERT_NE(nonces_, nullptr) << why;
    plain_ = ProviderProcess::start({}, &why).release();
    ASSERT_NE(plain_, nullptr) << why;
    off_ = ProviderProcess::start({"RS256", "", {"--no-dpop"}}, &why).release();
    ASSERT_NE(off_, nullptr) << why;
  }
  static void TearDownTestSuite() {
    for (ProviderProcess **p : {&nonces_, &plain_, &off_}) {
      delete *p;
      *p = nullptr;
    }
  }
  void SetUp() override {
    ASSERT_TRUE(nonces_ && plain_ && off_);
    oidc::clear_discovery_cache();
    testing::use_test_browser(env_, "login", profile_.path(), tmp_.file("browser-result.json"),
                              tmp_.file("browser.log"));
  }

  Result<Client> client_for(const ProviderProcess &p, Dpop dpop, const std::string &client_id = "nativeauth-dpop",
                            PushedAuthorization par = PushedAuthorization::when_required) {
    ClientOptions o;
    o.issuer = p.issuer();
    o.client_id = client_id;
    o.scopes = {"openid", "profile", "offline_access"};
    o.dpop = dpop;
    o.pushed_authorization = par;
    o.platform.store = store_;
    o.platform.keys = keys_;
    o.log_level = LogLevel::trace;
    o.log = [this](LogLevel, std::string_view line) {
      std::lock_guard<std::mutex> lock(mutex_);
      log_ += std::string(line) + "\n";
    };
    return Client::create(std::move(o));
  }
  SignInOptions recording() {
    SignInOptions so;
    so.timeout = std::chrono::seconds(60);
    so.on_authorization_url = [this](const std::string &url, bool) {
      std::lock_guard<std::mutex> lock(mutex_);
      urls_.push_back(url);
    };
    return so;
  }
  std::vector<std::string> urls() {
    std::lock_guard<std::mutex> lock(mutex_);
    return urls_;
  }
  std::string log() {
    std::lock_guard<std::mutex> lock(mutex_);
    return log_;
  }
  std::string browser_log() { return testing::read_file(tmp_.file("browser.log")); }

  /// GET `url` through send_authorized(); the parsed JSON body of a 200.
  Json get_json(Client &client, const std::string &url, int *status = nullptr) {
    platform::HttpRequest request;
    request.url = url;
    auto response = client.send_authorized(std::move(request));
    EXPECT_TRUE(response) << response.error().to_string();
    if (!response) return {};
    if (status) *status = response->status;
    return Json::parse(response->body.reveal(), nullptr, false);
  }

  /// A refresh grant posted by hand, as someone holding a copy of the refresh token would: with no proof, or
  /// with `proof`.
  platform::HttpResponse redeem_by_hand(const ProviderProcess &p, const SecretString &refresh_token,
                                        const std::string &proof) {
    auto http = libcurl::make_curl_transport({});
    platform::HttpRequest request;
    request.method = "POST";
    request.url = p.issuer() + "/token";
    request.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    if (!proof.empty()) request.headers.emplace_back("DPoP", proof);
    request.body = SecretString(core::encode_params({{"grant_type", "refresh_token"},
                                                     {"client_id", "nativeauth-dpop"},
                                                     {"refresh_token", std::string(refresh_token.reveal())}}));
    auto response = http->send(request);
    EXPECT_TRUE(response) << response.error().to_string();
    return response ? std::move(*response) : platform::HttpResponse{};
  }

  static ProviderProcess *nonces_;
  static ProviderProcess *plain_;
  static ProviderProcess *off_;
  std::shared_ptr<MemoryCredentialStore> store_ = std::make_shared<MemoryCredentialStore>();
  std::shared_ptr<CountingKeyStore> keys_ = std::make_shared<CountingKeyStore>();
  TempDir tmp_;
  TempDir profile_;
  ScopedEnv env_;
  std::mutex mutex_;
  std::string log_;
  std::vector<std::string> urls_;
};
ProviderProcess *DpopSignIn::nonces_ = nullptr;
ProviderProcess *DpopSignIn::plain_ = nullptr;
ProviderProcess *DpopSignIn::off_ = nullptr;

TEST_F(DpopSignIn, ABoundSessionSignsInRefreshesAndCallsAnApiThroughServerNonces) {
  const int dpop_before = counter(*nonces_, "token.dpop");
  auto client = client_for(*nonces_, Dpop::required);
  ASSERT_TRUE(client) << client.error().to_string();
  auto session = client->sign_in(recording());
  ASSERT_TRUE(session) << session.error().to_string() << "\n" << browser_log() << log();
  EXPECT_EQ(session->token_type, "DPoP");
  ASSERT_TRUE(session->dpop);
  EXPECT_EQ(session->dpop->key_store, "software");
  EXPECT_EQ(session->dpop->jkt.size(), 43u);
  ASSERT_EQ(urls().size(), 1u);
  EXPECT_EQ(testing::param(urls()[0], "dpop_jkt"), session->dpop->jkt) << "the code is bound to the key (§10)";
  EXPECT_EQ(counter(*nonces_, "token.dpop"), dpop_before + 1);

  // The token endpoint asked for a nonce (400 use_dpop_nonce) and got it in the one retry.
  EXPECT_NE(log().find("the server asked for a DPoP nonce"), std::string::npos) << log();

  // The userinfo endpoint is a DPoP resource server on the same origin: the proof carries ath and the
  // nonce the token endpoint gave, so it is taken at once.
  int status = 0;
  const Json me = get_json(*client, nonces_->issuer() + "/me", &status);
  EXPECT_EQ(status, 200) << me.dump() << log();
  EXPECT_EQ(me.value("sub", ""), "alice");
  EXPECT_EQ(log().find("the API asked for a DPoP nonce"), std::string::npos) << log();
  {
    // A new client (a new process) knows no nonce: the API's 401 asks for one, and the one retry has it.
    auto fresh = client_for(*nonces_, Dpop::required);
    ASSERT_TRUE(fresh);
    EXPECT_EQ(get_json(*fresh, nonces_->issuer() + "/me", &status).value("sub", ""), "alice");
    EXPECT_EQ(status, 200);
    EXPECT_NE(log().find("the API asked for a DPoP nonce"), std::string::npos) << log();
  }

  // A refresh rotates with the same key; the new token works at the API at once (the nonce is remembered).
  const std::string before(session->access_token.reveal());
  const int grants = nonces_->refresh_grants();
  AccessTokenOptions force;
  force.force_refresh = true;
  auto token = client->access_token(force);
  ASSERT_TRUE(token) << token.error().to_string() << log();
  EXPECT_EQ(token->token_type, "DPoP");
  EXPECT_NE(std::string(token->value.reveal()), before);
  EXPECT_EQ(nonces_->refresh_grants(), grants + 1);
  EXPECT_EQ(get_json(*client, nonces_->issuer() + "/me", &status).value("sub", ""), "alice");
  EXPECT_EQ(status, 200);

  // authorize() for a script's own HTTP client: the Authorization and DPoP header values.
  auto headers = client->authorize("GET", nonces_->issuer() + "/me?x=1");
  ASSERT_TRUE(headers) << headers.error().to_string();
  EXPECT_EQ(headers->authorization.reveal().rfind("DPoP ", 0), 0u);
  EXPECT_EQ(std::count(headers->dpop.reveal().begin(), headers->dpop.reveal().end(), '.'), 2);

  // No token, proof or key in the log.
  const std::string text = log();
  EXPECT_EQ(text.find(std::string(token->value.reveal())), std::string::npos);
  EXPECT_EQ(text.find(std::string(headers->dpop.reveal())), std::string::npos);
  EXPECT_EQ(text.find("\"d\""), std::string::npos);
}

TEST_F(DpopSignIn, ASecondClientOnTheSlotUsesTheSameKeyFromTheRecord) {
  {
    auto first = client_for(*plain_, Dpop::required);
    ASSERT_TRUE(first);
    auto session = first->sign_in(recording());
    ASSERT_TRUE(session) << session.error().to_string() << "\n" << browser_log();
  }
  // A new Client (as a new process would) finds the key in the slot's record.
  auto second = client_for(*plain_, Dpop::off);  // the option does not matter for a bound session
  ASSERT_TRUE(second);
  auto loaded = second->load_session();
  ASSERT_TRUE(loaded && *loaded);
  ASSERT_TRUE((*loaded)->dpop);
  int status = 0;
  EXPECT_EQ(get_json(*second, plain_->issuer() + "/me", &status).value("sub", ""), "alice");
  EXPECT_EQ(status, 200);
  const int grants = plain_->refresh_grants();
  AccessTokenOptions force;
  force.force_refresh = true;
  auto refreshed = second->access_token(force);
  ASSERT_TRUE(refreshed) << refreshed.error().to_string() << log();
  EXPECT_EQ(plain_->refresh_grants(), grants + 1);
  auto slots = second->list_slots();
  ASSERT_TRUE(slots);
  ASSERT_EQ(slots->size(), 1u);
  EXPECT_EQ((*slots)[0].dpop_key_store.value_or(""), "software");
}

TEST_F(DpopSignIn, ACopiedRefreshTokenIsRefusedWithoutTheKey) {
  auto client = client_for(*plain_, Dpop::required);
  ASSERT_TRUE(client);
  auto session = client->sign_in(recording());
  ASSERT_TRUE(session) << session.error().to_string() << "\n" << browser_log();
  const SecretString copied = session->refresh_token.clone();
  ASSERT_FALSE(copied.empty());

  // Without a proof, and with a proof by another key: the provider refuses the copied token.
  const auto bare = redeem_by_hand(*plain_, copied, "");
  EXPECT_EQ(bare.status, 400) << bare.body.reveal();
  auto thief_key = platform::software_key_store()->create({}, "ES256");
  ASSERT_TRUE(thief_key);
  auto thief_proof = core::make_proof(*thief_key->key, {"POST", plain_->issuer() + "/token", "", nullptr,
                                                        std::chrono::system_clock::now()});
  ASSERT_TRUE(thief_proof);
  const auto stolen = redeem_by_hand(*plain_, copied, std::string(thief_proof->reveal()));
  EXPECT_EQ(stolen.status, 400) << stolen.body.reveal();
  EXPECT_EQ(Json::parse(stolen.body.reveal(), nullptr, false).value("error", ""), "invalid_grant");

  // The same token with a proof by the session's key (what the client does) is accepted.
  AccessTokenOptions force;
  force.force_refresh = true;
  auto refreshed = client->access_token(force);
  ASSERT_TRUE(refreshed) << refreshed.error().to_string() << log();
  EXPECT_EQ(refreshed->token_type, "DPoP");

  // Sign-out deletes the session's key from its store (for a TPM or CNG key, the object itself).
  EXPECT_TRUE(keys_->removed().empty());
  SignOutOptions local;
  local.local_only = true;
  auto out = client->sign_out(local);
  ASSERT_TRUE(out) << out.error().to_string();
  EXPECT_EQ(keys_->removed(), std::vector<std::string>{std::string(session->dpop->key_reference.reveal())});
}

TEST_F(DpopSignIn, WithPushedAuthorizationTheKeyTravelsInThePushedRequest) {
  auto client = client_for(*nonces_, Dpop::required, "nativeauth-dpop", PushedAuthorization::always);
  ASSERT_TRUE(client);
  auto session = client->sign_in(recording());
  ASSERT_TRUE(session) << session.error().to_string() << "\n" << browser_log() << log();
  ASSERT_TRUE(session->dpop);
  ASSERT_EQ(urls().size(), 1u);
  EXPECT_EQ(testing::param(urls()[0], "dpop_jkt"), "") << "only client_id and request_uri reach the browser";
  EXPECT_NE(testing::param(urls()[0], "request_uri"), "");
  EXPECT_EQ(session->token_type, "DPoP");
}

TEST_F(DpopSignIn, AProviderWithoutDpopGivesBearerWhenOfferedAndAnErrorWhenRequired) {
  const int bearer_before = counter(*off_, "token.bearer");
  auto offered = client_for(*off_, Dpop::when_offered, "nativeauth-test");
  ASSERT_TRUE(offered);
  auto session = offered->sign_in(recording());
  ASSERT_TRUE(session) << session.error().to_string() << "\n" << browser_log();
  EXPECT_EQ(session->token_type, "Bearer");
  EXPECT_FALSE(session->dpop);
  EXPECT_EQ(testing::param(urls()[0], "dpop_jkt"), "");
  EXPECT_EQ(counter(*off_, "token.bearer"), bearer_before + 1);
  auto headers = offered->authorize("GET", off_->issuer() + "/me");
  ASSERT_TRUE(headers);
  EXPECT_EQ(headers->authorization.reveal().rfind("Bearer ", 0), 0u);
  EXPECT_TRUE(headers->dpop.empty());

  auto required = client_for(*off_, Dpop::required, "nativeauth-test");
  ASSERT_TRUE(required);
  auto refused = required->sign_in(recording());
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::missing_endpoint);
  EXPECT_NE(refused.error().message.find("dpop_signing_alg_values_supported"), std::string::npos);
  EXPECT_EQ(urls().size(), 1u) << "no browser for a sign-in that cannot bind";
}

TEST_F(DpopSignIn, TheDeviceFlowBindsTooWithProofsOnItsPolls) {
  auto client = client_for(*nonces_, Dpop::required);
  ASSERT_TRUE(client);
  DeviceSignInOptions o;
  o.on_user_code = [](const DeviceCode &code) {
    // The user's side: the system browser ($BROWSER, the test browser) on the complete URI.
    auto launched = platform::default_platform().browser->open(code.verification_uri_complete.value_or(""));
    EXPECT_TRUE(launched) << launched.error().to_string();
  };
  auto session = client->sign_in_with_device_code(o);
  ASSERT_TRUE(session) << session.error().to_string() << "\n" << browser_log() << log();
  EXPECT_EQ(session->token_type, "DPoP");
  ASSERT_TRUE(session->dpop);
  int status = 0;
  EXPECT_EQ(get_json(*client, nonces_->issuer() + "/me", &status).value("sub", ""), "alice");
  EXPECT_EQ(status, 200);
}

TEST_F(DpopSignIn, AuthorizeRefusesWhatIsNotARequest) {
  auto client = client_for(*plain_, Dpop::required);
  ASSERT_TRUE(client);
  EXPECT_EQ(client->authorize("GET", "/relative").error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(client->authorize("GE T", plain_->issuer() + "/me").error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(client->authorize("GET", plain_->issuer() + "/me").error().code, ErrorCode::sign_in_required);
}

}  // namespace
}  // namespace nativeauth
