// SPDX-License-Identifier: Apache-2.0
// sign_in() with a loopback redirect URI and no listener (SignInOptions::listen = false): the real provider
// redirects headless Chromium to http://127.0.0.1:PORT/callback?..., where nothing answers; the browser
// driver records that URL (as a user would copy it from the address bar) and the test hands it to
// Client::handle_redirect(). No fakes.
#include <nativeauth/nativeauth.hpp>

#include "oidc/discovery.hpp"
#include "provider_process.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <future>
#include <regex>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace nativeauth {
namespace {

using testing::param;
using testing::ProviderProcess;
using testing::replace_param;
using testing::ScopedEnv;
using testing::something_listens;
using testing::TempDir;
using Json = nlohmann::json;

class NoListener : public ::testing::Test {
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
    oidc::clear_discovery_cache();
  }

  Result<Client> make_client(std::uint16_t port = 0) {
    ClientOptions o;
    o.issuer = provider_->issuer();
    o.client_id = "nativeauth-test";
    o.redirect.port = port;
    o.scopes = {"openid", "profile", "offline_access"};
    o.platform.store = store_;
    o.log_level = LogLevel::trace;
    o.log = [this](LogLevel, std::string_view line) {
      std::lock_guard<std::mutex> lock(log_mutex_);
      log_ += std::string(line) + "\n";
    };
    return Client::create(std::move(o));
  }
  void use_browser(const std::string &action) {
    testing::use_test_browser(env_, action, profile_.path(), result_file(), tmp_.file("browser.log"));
  }
  std::string result_file() const { return tmp_.file("browser-result.json"); }

  /// Starts sign_in() without a listener on another thread; returns once it shows the URL, which the test
  /// then has in url_ (the sign-in already waits for handle_redirect() then).
  std::future<Result<Session>> start(Client &client) {
    std::promise<std::string> shown;
    auto url = shown.get_future();
    opts_.listen = false;
    opts_.open_browser = false;
    opts_.on_authorization_url = [&client, &shown, this](const std::string &u, bool opened) {
      EXPECT_FALSE(opened);
      // Handed over from inside the callback: the sign-in already waits, so this is judged (a foreign
      // state), not refused as "no sign-in waits".
      const std::string redirect = param(u, "redirect_uri");
      const std::string decoded = std::regex_replace(std::regex_replace(redirect, std::regex("%3A"), ":"),
                                                     std::regex("%2F"), "/");
      early_ = client.handle_redirect(decoded + "?state=early&code=x");
      shown.set_value(u);
    };
    auto pending = std::async(std::launch::async, [&client, this] { return client.sign_in(opts_); });
    url_ = url.get();
    return pending;
  }
  /// The browser on another machine: signs in, then fails to load the redirect URI; returns its address.
  std::string browse() {
    auto opened = platform::default_platform().browser->open(url_);
    EXPECT_TRUE(opened) << opened.error().to_string();
    EXPECT_TRUE(testing::wait_for_file(result_file(), std::chrono::seconds(60))) << "the browser wrote no result";
    const Json r = Json::parse(testing::read_file(result_file()), nullptr, false);
    EXPECT_FALSE(r.value("ok", true)) << "the redirect should have failed: " << r.dump();
    EXPECT_NE(r.value("error", "").find("ERR_CONNECTION_REFUSED"), std::string::npos) << r.dump();
    return r.value("redirect_url", "");
  }

  static ProviderProcess *provider_;
  std::shared_ptr<MemoryCredentialStore> store_ = std::make_shared<MemoryCredentialStore>();
  SignInOptions opts_;
  std::string url_;
  Result<void> early_;
  TempDir tmp_;
  TempDir profile_;
  ScopedEnv env_;
  std::mutex log_mutex_;
  std::string log_;
};
ProviderProcess *NoListener::provider_ = nullptr;

TEST_F(NoListener, TheHandedBackLoopbackRedirectIsCheckedAndSignsIn) {
  use_browser("login");
  auto client = make_client();
  ASSERT_TRUE(client) << client.error().to_string();
  auto pending = start(*client);
  ASSERT_FALSE(early_);
  EXPECT_EQ(early_.error().code, ErrorCode::state_mismatch) << early_.error().to_string();

  std::smatch m;
  const std::string redirect_uri = param(url_, "redirect_uri");
  ASSERT_TRUE(std::regex_match(redirect_uri, m, std::regex(R"(http%3A%2F%2F127\.0\.0\.1%3A(\d+)%2Fcallback)")))
      << "a port the OS chose, in a well-formed URI: " << redirect_uri;
  const int port = std::stoi(m[1].str());
  EXPECT_FALSE(something_listens(port)) << "nothing may listen on the redirect port";

  const std::string url = browse();
  const std::string base = "http://127.0.0.1:" + std::to_string(port) + "/callback";
  ASSERT_EQ(url.rfind(base + "?", 0), 0u) << url;
  const std::string query = url.substr(url.find('?'));
  // Refused, and the sign-in keeps waiting: another port, another path, localhost, a foreign state.
  for (const std::string &wrong : {"http://127.0.0.1:" + std::to_string(port == 65535 ? 1 : port + 1) + "/callback",
                                   "http://127.0.0.1:" + std::to_string(port) + "/elsewhere",
                                   "http://localhost:" + std::to_string(port) + "/callback"}) {
    auto refused = client->handle_redirect(wrong + query);
    ASSERT_FALSE(refused) << wrong;
    EXPECT_EQ(refused.error().code, ErrorCode::invalid_redirect) << wrong;
  }
  auto foreign = client->handle_redirect(replace_param(url, "state", "not-the-pending-state"));
  ASSERT_FALSE(foreign);
  EXPECT_EQ(foreign.error().code, ErrorCode::state_mismatch);

  ASSERT_TRUE(client->handle_redirect(url)) << "the real redirect was refused";
  auto session = pending.get();
  ASSERT_TRUE(session) << session.error().to_string();
  EXPECT_EQ(session->claims.subject(), "alice");
  EXPECT_FALSE(session->refresh_token.empty());
  auto token = client->access_token({std::nullopt, true});
  ASSERT_TRUE(token) << "the stored session refreshes: " << token.error().to_string();
  std::lock_guard<std::mutex> lock(log_mutex_);
  EXPECT_EQ(log_.find(param(url, "code")), std::string::npos) << "the code reached the log";
}

TEST_F(NoListener, AFixedPortIsUsedAsGiven) {
  use_browser("login");
  const std::uint16_t port = testing::unused_loopback_port();
  ASSERT_NE(port, 0);
  auto client = make_client(port);
  ASSERT_TRUE(client);
  auto pending = start(*client);
  EXPECT_EQ(param(url_, "redirect_uri"), "http%3A%2F%2F127.0.0.1%3A" + std::to_string(port) + "%2Fcallback");
  EXPECT_FALSE(something_listens(port));
  const std::string url = browse();
  ASSERT_TRUE(client->handle_redirect(url));
  auto session = pending.get();
  ASSERT_TRUE(session) << session.error().to_string();
}

TEST_F(NoListener, AnErrorResponseFromTheProviderEndsTheSignIn) {
  use_browser("decline");
  auto client = make_client();
  ASSERT_TRUE(client);
  auto pending = start(*client);
  const std::string url = browse();
  ASSERT_NE(url.find("error=access_denied"), std::string::npos) << url;
  ASSERT_TRUE(client->handle_redirect(url));
  auto session = pending.get();
  ASSERT_FALSE(session);
  EXPECT_EQ(session.error().code, ErrorCode::access_denied) << session.error().to_string();
}

// RFC 9207: the iss of a handed-back redirect is checked as on a listener.
TEST_F(NoListener, AResponseFromAnotherIssuerIsRefused) {
  use_browser("login");
  auto client = make_client();
  ASSERT_TRUE(client);
  auto pending = start(*client);
  const std::string url = browse();
  ASSERT_FALSE(param(url, "iss").empty()) << url;
  ASSERT_TRUE(client->handle_redirect(replace_param(url, "iss", "http%3A%2F%2F127.0.0.1%3A1")));
  auto session = pending.get();
  ASSERT_FALSE(session);
  EXPECT_EQ(session.error().code, ErrorCode::issuer_param_mismatch) << session.error().to_string();
}

TEST_F(NoListener, NobodyHandsTheRedirectBackInTime) {
  auto client = make_client();
  ASSERT_TRUE(client);
  opts_.timeout = std::chrono::seconds(1);  // the real clock: the wait itself is what is tested
  auto pending = start(*client);
  std::smatch m;
  const std::string redirect_uri = param(url_, "redirect_uri");
  ASSERT_TRUE(std::regex_search(redirect_uri, m, std::regex(R"(%3A(\d+)%2F)"))) << redirect_uri;
  EXPECT_FALSE(something_listens(std::stoi(m[1].str()))) << "the wait is not on a listener";
  auto r = pending.get();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::timeout);
  EXPECT_NE(r.error().message.find("PORT"), std::string::npos) << "the port was the OS's: the hint is given";
  auto late = client->handle_redirect("http://127.0.0.1:1/callback?state=x&code=y");
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code, ErrorCode::no_pending_sign_in);
}

}  // namespace
}  // namespace nativeauth
