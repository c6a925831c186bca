// SPDX-License-Identifier: Apache-2.0
// sign_out()'s browser leg against the real provider and headless Chromium: what URL the browser is
// opened at (no ID token in it, OIDC RP-Initiated Logout 1.0 §2) and whether the provider's page comes
// back, on a fixed port to a provider that matches it exactly, or handed back by the app (custom scheme).
// No fakes: the launcher is the platform's own, wrapped to record the URL it was handed.
#include <nativeauth/nativeauth.hpp>

#include "core/json_util.hpp"
#include "libcurl/curl_transport.hpp"
#include "oidc/discovery.hpp"
#include "provider_process.hpp"

#include <gtest/gtest.h>

#include <future>
#include <mutex>
#include <regex>

namespace nativeauth {
namespace {

using testing::ProviderProcess;
using testing::ScopedEnv;
using testing::TempDir;
using Json = nlohmann::json;

/// The platform's real browser launcher, recording every URL it is asked to open.
class RecordingLauncher final : public platform::BrowserLauncher {
 public:
  Result<void> open(const std::string &url) override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      urls_.push_back(url);
    }
    return real_->open(url);
  }
  std::vector<std::string> urls() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return urls_;
  }

 private:
  std::shared_ptr<platform::BrowserLauncher> real_ = platform::default_platform().browser;
  mutable std::mutex mutex_;
  std::vector<std::string> urls_;
};

/// A JWT (an ID token): three base64url segments, the first a JSON object ("eyJ").
const std::regex kJwt(R"(eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)");

class SignOut : public ::testing::Test {
 protected:
  void SetUp() override { oidc::clear_discovery_cache(); }

  void start_provider(std::vector<std::string> args = {}) {
    std::string why;
    provider_ = ProviderProcess::start({"RS256", "", std::move(args)}, &why);
    ASSERT_TRUE(provider_) << why;
  }
  Result<Client> client(RedirectOptions redirect = {}) {
    ClientOptions o;
    o.issuer = provider_->issuer();
    o.client_id = "nativeauth-test";
    o.redirect = std::move(redirect);
    o.platform.store = store_;
    o.platform.browser = launcher_;
    return Client::create(std::move(o));
  }
  void use_browser(const std::string &action) {
    std::remove(result_file().c_str());
    testing::use_test_browser(env_, action, profile_.path(), result_file(), tmp_.file("browser.log"));
  }
  std::string result_file() const { return tmp_.file("result.json"); }
  Json browser_result() {
    EXPECT_TRUE(testing::wait_for_file(result_file(), std::chrono::seconds(60))) << "the browser wrote no result";
    return Json::parse(testing::read_file(result_file()), nullptr, false);
  }
  std::string browser_log() { return testing::read_file(tmp_.file("browser.log")); }

  std::unique_ptr<ProviderProcess> provider_;
  std::shared_ptr<MemoryCredentialStore> store_ = std::make_shared<MemoryCredentialStore>();
  std::shared_ptr<RecordingLauncher> launcher_ = std::make_shared<RecordingLauncher>();
  TempDir tmp_, profile_;
  ScopedEnv env_;
};

TEST_F(SignOut, TheEndSessionUrlCarriesClientIdAndNoIdToken) {
  start_provider();
  use_browser("login");
  auto c = client();
  ASSERT_TRUE(c) << c.error().to_string();
  auto session = c->sign_in();
  ASSERT_TRUE(session) << session.error().to_string() << browser_log();
  ASSERT_TRUE(browser_result().value("ok", false));
  const std::string id_token(session->id_token.reveal());
  ASSERT_TRUE(std::regex_search(id_token, kJwt)) << "the JWT pattern must match a real ID token";

  use_browser("logout");
  std::string told;
  SignOutOptions o;
  o.on_logout_url = [&](const std::string &url, bool) { told = url; };
  auto report = c->sign_out(o);
  ASSERT_TRUE(report) << report.error().to_string();
  EXPECT_TRUE(report->provider_session_ended) << (report->problems.empty() ? "" : report->problems[0].to_string());
  EXPECT_EQ(provider_->events().value("end_session.success", 0), 1) << "the provider ended its session";
  EXPECT_EQ(browser_result().value("title", ""), "Signed out") << browser_log();

  const auto urls = launcher_->urls();
  ASSERT_EQ(urls.size(), 2u) << "one sign-in, one sign-out";
  const std::string &opened = urls[1];
  EXPECT_EQ(opened, told) << "the app is told the URL that was opened";
  EXPECT_NE(opened.find("client_id=nativeauth-test"), std::string::npos) << opened;
  EXPECT_NE(opened.find("post_logout_redirect_uri="), std::string::npos) << opened;
  EXPECT_NE(opened.find("state="), std::string::npos) << opened;
  EXPECT_EQ(opened.find("id_token_hint"), std::string::npos) << opened;
  EXPECT_FALSE(std::regex_search(opened, kJwt)) << opened;
  EXPECT_EQ(opened.find(id_token), std::string::npos);
}

// A provider that compares post_logout_redirect_uri exactly, port included (OIDC RP-Initiated Logout 1.0
// §2: it MUST have been registered): sign-out listens on the client's fixed port, as sign-in does.
TEST_F(SignOut, AFixedPortReachesAProviderThatMatchesPortsExactly) {
  const std::uint16_t port = testing::unused_loopback_port();
  ASSERT_NE(port, 0);
  const std::string registered = "http://127.0.0.1:" + std::to_string(port) + "/logout";
  start_provider({"--exact-post-logout-redirect-uri", registered});
  use_browser("login");
  RedirectOptions fixed;
  fixed.port = port;
  auto c = client(fixed);
  ASSERT_TRUE(c) << c.error().to_string();
  auto session = c->sign_in();
  ASSERT_TRUE(session) << session.error().to_string() << browser_log();
  ASSERT_TRUE(browser_result().value("ok", false));

  use_browser("logout");
  SignOutOptions o;
  o.timeout = std::chrono::seconds(60);  // an upper bound: the redirect ends the wait
  auto report = c->sign_out(o);
  ASSERT_TRUE(report) << report.error().to_string();
  EXPECT_TRUE(report->provider_session_ended) << (report->problems.empty() ? "" : report->problems[0].to_string());
  const Json result = browser_result();
  EXPECT_EQ(result.value("redirect_url", "").rfind(registered + "?state=", 0), 0u) << result.dump();
  EXPECT_EQ(provider_->events().value("end_session.success", 0), 1);
}

// The negative twin: on a port the OS chose, the same provider refuses the post-logout URI and the
// browser never comes back (the test cancels the wait once the browser has seen the refusal).
TEST_F(SignOut, AnOsChosenPortIsRefusedByAProviderThatMatchesPortsExactly) {
  const std::uint16_t port = testing::unused_loopback_port();
  ASSERT_NE(port, 0);
  start_provider({"--exact-post-logout-redirect-uri", "http://127.0.0.1:" + std::to_string(port) + "/logout"});
  use_browser("login");
  auto c = client();
  ASSERT_TRUE(c) << c.error().to_string();
  ASSERT_TRUE(c->sign_in());
  ASSERT_TRUE(browser_result().value("ok", false));

  use_browser("logout");
  SignOutOptions o;
  o.timeout = std::chrono::seconds(120);
  auto pending = std::async(std::launch::async, [&] { return c->sign_out(o); });
  const Json result = browser_result();
  EXPECT_FALSE(result.value("ok", true)) << result.dump();
  EXPECT_NE(result.value("text", "").find("post_logout_redirect_uri not registered"), std::string::npos)
      << result.dump();
  c->cancel();
  auto report = pending.get();
  ASSERT_TRUE(report) << report.error().to_string();
  EXPECT_FALSE(report->provider_session_ended);
  EXPECT_EQ(report->slots_erased, 1) << "the local session goes regardless";
  EXPECT_EQ(provider_->events().value("end_session.success", 0), 0);
}

// A custom-scheme app: the provider sends the browser to the registered com.example.app:/logout, the
// browser driver records that URL (as the OS would hand it to the app), the test hands it back.
TEST_F(SignOut, ACustomSchemePostLogoutRedirectIsHandedBackByTheApp) {
  TempDir run;
  env_.set("XDG_RUNTIME_DIR", run.path());  // the redirect relay's sockets: private to this test
  start_provider();
  RedirectOptions app;
  app.uri = "com.example.app:/callback";
  app.post_logout_uri = "com.example.app:/logout";
  auto c = client(app);
  ASSERT_TRUE(c) << c.error().to_string();
  use_browser("login");
  auto signing_in = std::async(std::launch::async, [&] { return c->sign_in(); });
  const std::string callback = browser_result().value("redirect_url", "");
  ASSERT_TRUE(c->handle_redirect(callback)) << callback;
  auto session = signing_in.get();
  ASSERT_TRUE(session) << session.error().to_string();

  use_browser("logout");
  auto signing_out = std::async(std::launch::async, [&] { return c->sign_out(); });
  const Json result = browser_result();
  EXPECT_TRUE(result.value("custom_scheme", false)) << result.dump();
  const std::string back = result.value("redirect_url", "");
  ASSERT_EQ(back.rfind("com.example.app:/logout?state=", 0), 0u) << result.dump();
  auto foreign = c->handle_redirect("com.example.app:/logout?state=not-the-pending-state");
  ASSERT_FALSE(foreign);
  EXPECT_EQ(foreign.error().code, ErrorCode::state_mismatch);
  ClientOptions second_instance;
  second_instance.issuer = provider_->issuer();
  second_instance.client_id = "nativeauth-test";
  second_instance.redirect = app;
  auto forwarded = forward_redirect(second_instance, back);
  ASSERT_TRUE(forwarded) << "a second instance of the app forwards the post-logout redirect: "
                         << forwarded.error().to_string();
  auto report = signing_out.get();
  ASSERT_TRUE(report) << report.error().to_string();
  EXPECT_TRUE(report->provider_session_ended) << (report->problems.empty() ? "" : report->problems[0].to_string());
  EXPECT_EQ(provider_->events().value("end_session.success", 0), 1);
}

}  // namespace
}  // namespace nativeauth
