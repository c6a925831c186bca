// SPDX-License-Identifier: Apache-2.0
// sign_in_with_device_code() end to end (RFC 8628): the real provider, and the user's step done by the
// headless browser at verification_uri_complete. Real clock: the provider is told to ask for 1 s polls.
#include <nativeauth/nativeauth.hpp>

#include "libcurl/curl_transport.hpp"
#include "oidc/discovery.hpp"
#include "provider_process.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <future>
#include <mutex>
#include <thread>

namespace nativeauth {
namespace {

using testing::ProviderProcess;
using testing::ScopedEnv;
using testing::TempDir;
using Json = nlohmann::json;
using Steady = std::chrono::steady_clock;

constexpr const char *kDeviceGrant = "urn:ietf:params:oauth:grant-type:device_code";

std::unique_ptr<ProviderProcess> start_provider(std::vector<std::string> args) {
  std::string why;
  auto p = ProviderProcess::start({"RS256", "", std::move(args)}, &why);
  EXPECT_TRUE(p) << why;
  return p;
}

double seconds_since(Steady::time_point t) { return std::chrono::duration<double>(Steady::now() - t).count(); }

class DeviceFlow : public ::testing::Test {
 protected:
  // Polls every second (the provider's own default would be RFC 8628's 5 s); codes live 10 minutes.
  static void SetUpTestSuite() { provider_ = start_provider({"--device-interval", "1"}).release(); }
  static void TearDownTestSuite() {
    delete provider_;
    provider_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(provider_, nullptr);
    oidc::clear_discovery_cache();
  }

  Result<Client> client_for(const ProviderProcess &p, std::shared_ptr<platform::CredentialStore> store) {
    ClientOptions o;
    o.issuer = p.issuer();
    o.client_id = "nativeauth-test";
    o.scopes = {"openid", "profile", "email", "offline_access"};
    o.platform.store = std::move(store);
    o.log_level = LogLevel::trace;
    o.log = [this](LogLevel level, std::string_view line) {
      std::lock_guard<std::mutex> lock(log_mutex_);
      log_.emplace_back(level, std::string(line));
      if (on_log_) on_log_(line);
    };
    return Client::create(std::move(o));
  }

  /// The user's side: the system browser ($BROWSER = the test browser) opened on the complete URI,
  /// as if the user had scanned the QR code on their phone.
  void open_browser(const DeviceCode &code) {
    ASSERT_TRUE(code.verification_uri_complete);
    auto launched = platform::default_platform().browser->open(*code.verification_uri_complete);
    ASSERT_TRUE(launched) << launched.error().to_string();
  }

  void use_browser(const std::string &action) {
    testing::use_test_browser(env_, action, profile_.path(), result_file(), tmp_.file("browser.log"));
  }
  std::string result_file() const { return tmp_.file("browser-result.json"); }
  Json browser_result() {
    EXPECT_TRUE(testing::wait_for_file(result_file(), std::chrono::seconds(60))) << "the browser wrote no result";
    return Json::parse(testing::read_file(result_file()), nullptr, false);
  }
  std::string browser_log() { return testing::read_file(tmp_.file("browser.log")); }
  std::string log_text() {
    std::lock_guard<std::mutex> lock(log_mutex_);
    std::string out;
    for (const auto &[level, line] : log_) out += line + "\n";
    return out;
  }

  static ProviderProcess *provider_;
  TempDir tmp_;
  TempDir profile_;
  ScopedEnv env_;
  std::mutex log_mutex_;
  std::vector<std::pair<LogLevel, std::string>> log_;
  std::function<void(std::string_view)> on_log_;
};
ProviderProcess *DeviceFlow::provider_ = nullptr;

TEST_F(DeviceFlow, UserApprovesInTheBrowserAndTheSessionLandsInTheSlot) {
  use_browser("login");
  auto store = std::make_shared<MemoryCredentialStore>();
  auto client = client_for(*provider_, store);
  ASSERT_TRUE(client) << client.error().to_string();
  int signed_in_events = 0;
  client->subscribe([&](const SessionEvent &e) {
    if (e.kind == SessionEventKind::signed_in) ++signed_in_events;
  });
  const int device_grants_before = provider_->events()["grant.success"].value(kDeviceGrant, -1);

  std::optional<DeviceCode> shown;
  DeviceSignInOptions o;
  o.on_user_code = [&](const DeviceCode &code) {
    shown = code;
    open_browser(code);
  };
  const auto started = Steady::now();
  auto session = client->sign_in_with_device_code(o);
  const double elapsed = seconds_since(started);
  ASSERT_TRUE(session) << session.error().to_string() << "\n" << browser_log() << "\n" << log_text();
  std::printf("device sign-in end to end (browser included): %.2f s\n", elapsed);

  // What the user was shown.
  ASSERT_TRUE(shown);
  EXPECT_EQ(shown->verification_uri, provider_->issuer() + "/device");
  EXPECT_EQ(*shown->verification_uri_complete, shown->verification_uri + "?user_code=" + shown->user_code);
  EXPECT_EQ(shown->interval, std::chrono::seconds(1));
  EXPECT_GT(shown->expires_at, std::chrono::system_clock::now() + std::chrono::minutes(9));

  // The same session a browser sign-in makes, in the same slot.
  EXPECT_EQ(session->claims.subject(), "alice");
  EXPECT_EQ(session->claims.string("name"), "Alice Example");
  EXPECT_EQ(session->claims.issuer(), provider_->issuer());
  EXPECT_FALSE(session->claims.contains("nonce")) << "the device flow sends no nonce";
  EXPECT_FALSE(session->access_token.empty());
  // offline_access survives here: the device authorization endpoint takes no `prompt`, so oidc-provider's
  // "offline_access needs prompt=consent" rule (NOTES.md) does not apply, and the consent page grants it.
  EXPECT_FALSE(session->refresh_token.empty()) << "offline_access was requested";
  auto slots = store->list(provider_->issuer());
  ASSERT_TRUE(slots);
  ASSERT_EQ(slots->size(), 1u);
  EXPECT_EQ((*slots)[0].client_id, "nativeauth-test");
  EXPECT_EQ((*slots)[0].profile, "default");
  auto loaded = client->load_session();
  ASSERT_TRUE(loaded && *loaded) << (loaded ? "empty slot" : loaded.error().to_string());
  EXPECT_EQ((*loaded)->claims.subject(), "alice");
  EXPECT_EQ(signed_in_events, 1);

  // Polling stopped at the first success: exactly one device_code grant (a second poll would revoke it).
  EXPECT_EQ(provider_->events()["grant.success"].value(kDeviceGrant, -1), device_grants_before + 1);

  // The session works like any other: a forced refresh rotates the tokens.
  AccessTokenOptions force;
  force.force_refresh = true;
  auto token = client->access_token(force);
  ASSERT_TRUE(token) << token.error().to_string();
  EXPECT_NE(token->value.reveal(), session->access_token.reveal());

  // The browser went through the provider's device pages.
  const Json result = browser_result();
  ASSERT_TRUE(result.value("ok", false)) << result.dump();
  const auto pages = result.value("pages", Json::array());
  EXPECT_NE(std::find(pages.begin(), pages.end(), "device_confirm"), pages.end()) << pages.dump();
  EXPECT_NE(std::find(pages.begin(), pages.end(), "device_success"), pages.end()) << pages.dump();

  // No token in the log at trace level; the user code only at debug level or below.
  const std::string all = log_text();
  for (const SecretString *s : {&session->access_token, &session->refresh_token, &session->id_token})
    EXPECT_EQ(all.find(std::string(s->reveal())), std::string::npos) << "a token leaked into the log";
  for (const auto &[level, line] : log_) {
    if (level > LogLevel::debug) {
      EXPECT_EQ(line.find(shown->user_code), std::string::npos) << line;
    }
  }
}

TEST_F(DeviceFlow, UserDeclinesOnTheConfirmPage) {
  use_browser("decline");
  auto store = std::make_shared<MemoryCredentialStore>();
  auto client = client_for(*provider_, store);
  ASSERT_TRUE(client);
  int signed_in_events = 0;
  client->subscribe([&](const SessionEvent &e) {
    if (e.kind == SessionEventKind::signed_in) ++signed_in_events;
  });
  DeviceSignInOptions o;
  o.on_user_code = [&](const DeviceCode &code) { open_browser(code); };
  auto session = client->sign_in_with_device_code(o);
  ASSERT_FALSE(session);
  EXPECT_EQ(session.error().code, ErrorCode::access_denied) << session.error().to_string() << "\n" << browser_log();
  EXPECT_EQ(session.error().oauth_error, "access_denied");
  auto slots = store->list(provider_->issuer());
  ASSERT_TRUE(slots);
  EXPECT_TRUE(slots->empty());
  EXPECT_EQ(signed_in_events, 0);
  const Json result = browser_result();
  const auto pages = result.value("pages", Json::array());
  EXPECT_NE(std::find(pages.begin(), pages.end(), "device_confirm"), pages.end()) << result.dump();
}

TEST_F(DeviceFlow, CodeExpiresWhenTheUserNeverComes) {
  // A provider whose device codes live 3 s, polled every second.
  auto shortlived = start_provider({"--device-interval", "1", "--device-ttl", "3"});
  ASSERT_TRUE(shortlived);
  auto store = std::make_shared<MemoryCredentialStore>();
  auto client = client_for(*shortlived, store);
  ASSERT_TRUE(client);
  std::optional<DeviceCode> shown;
  DeviceSignInOptions o;
  o.on_user_code = [&](const DeviceCode &code) { shown = code; };
  const auto started = Steady::now();
  auto session = client->sign_in_with_device_code(o);
  const double elapsed = seconds_since(started);
  ASSERT_FALSE(session);
  EXPECT_EQ(session.error().code, ErrorCode::device_code_expired) << session.error().to_string();
  EXPECT_STREQ(to_string(session.error().code), "device_code_expired");
  ASSERT_TRUE(shown);
  EXPECT_LE(shown->expires_at, std::chrono::system_clock::now());
  // It waited for the code's lifetime, and not much longer.
  EXPECT_GE(elapsed, 2.0);
  EXPECT_LT(elapsed, 10.0);
  // It did poll meanwhile (authorization_pending), and stopped at expires_in: no poll was refused for expiry.
  const Json events = shortlived->events();
  EXPECT_GE(events["errors"].value("authorization_pending", 0), 1) << events.dump();
  EXPECT_EQ(events["errors"].value("invalid_grant", 0), 0) << events.dump();
  auto slots = store->list(shortlived->issuer());
  ASSERT_TRUE(slots);
  EXPECT_TRUE(slots->empty());
}

TEST_F(DeviceFlow, CancelFromAnotherThreadWakesThePollWaitAtOnce) {
  // 30 s between polls: a return within a few seconds can only come from cancel() waking the wait.
  auto slow = start_provider({"--device-interval", "30"});
  ASSERT_TRUE(slow);
  auto client = client_for(*slow, std::make_shared<MemoryCredentialStore>());
  ASSERT_TRUE(client);

  std::promise<void> waiting;
  bool promised = false;
  on_log_ = [&](std::string_view line) {
    if (!promised && line.find("before the next poll") != std::string_view::npos) {
      promised = true;
      waiting.set_value();
    }
  };
  std::promise<Steady::time_point> cancelled_at;
  std::optional<Result<Session>> concurrent;
  std::thread canceller([&] {
    waiting.get_future().wait();
    // A second sign-in on the same client, of either flow, is refused while this one polls.
    concurrent.emplace(client->sign_in());
    cancelled_at.set_value(Steady::now());
    client->cancel();
  });
  DeviceSignInOptions o;
  o.on_user_code = [](const DeviceCode &) {};
  auto session = client->sign_in_with_device_code(o);
  const auto returned = Steady::now();
  canceller.join();
  on_log_ = nullptr;

  ASSERT_FALSE(session);
  EXPECT_EQ(session.error().code, ErrorCode::cancelled) << session.error().to_string();
  const double after_cancel = std::chrono::duration<double>(returned - cancelled_at.get_future().get()).count();
  EXPECT_LT(after_cancel, 2.0) << "cancel() did not wake the poll wait";
  ASSERT_TRUE(concurrent);
  ASSERT_FALSE(*concurrent);
  EXPECT_EQ(concurrent->error().code, ErrorCode::invalid_argument) << concurrent->error().to_string();
  // Nothing was polled: the first poll was 30 s away.
  const Json events = slow->events();
  EXPECT_EQ(events.value("grant.error", -1), 0) << events.dump();
}

TEST_F(DeviceFlow, CancelFromInsideTheCallbackStopsBeforeAnyPoll) {
  auto client = client_for(*provider_, std::make_shared<MemoryCredentialStore>());
  ASSERT_TRUE(client);
  DeviceSignInOptions o;
  o.on_user_code = [&](const DeviceCode &) { client->cancel(); };
  const auto started = Steady::now();
  auto session = client->sign_in_with_device_code(o);
  ASSERT_FALSE(session);
  EXPECT_EQ(session.error().code, ErrorCode::cancelled);
  EXPECT_LT(seconds_since(started), 1.0) << "returned only after a poll interval";
}

TEST_F(DeviceFlow, ProviderWithoutTheDeviceFlowIsMissingEndpoint) {
  auto browser_only = start_provider({"--no-device-flow"});
  ASSERT_TRUE(browser_only);
  auto client = client_for(*browser_only, std::make_shared<MemoryCredentialStore>());
  ASSERT_TRUE(client);
  bool shown = false;
  DeviceSignInOptions o;
  o.on_user_code = [&](const DeviceCode &) { shown = true; };
  auto session = client->sign_in_with_device_code(o);
  ASSERT_FALSE(session);
  EXPECT_EQ(session.error().code, ErrorCode::missing_endpoint);
  EXPECT_NE(session.error().message.find("device_authorization_endpoint"), std::string::npos);
  EXPECT_FALSE(shown);
}

TEST_F(DeviceFlow, MissingCallbackIsRefusedBeforeAnyRequest) {
  auto client = client_for(*provider_, std::make_shared<MemoryCredentialStore>());
  ASSERT_TRUE(client);
  auto session = client->sign_in_with_device_code({});
  ASSERT_FALSE(session);
  EXPECT_EQ(session.error().code, ErrorCode::invalid_argument);
  DeviceSignInOptions o;
  o.on_user_code = [](const DeviceCode &) {};
  o.extra_params = {{"client_id", "someone-else"}};
  session = client->sign_in_with_device_code(o);
  ASSERT_FALSE(session);
  EXPECT_EQ(session.error().code, ErrorCode::invalid_argument);
}

}  // namespace
}  // namespace nativeauth
