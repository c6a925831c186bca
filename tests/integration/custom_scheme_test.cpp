// SPDX-License-Identifier: Apache-2.0
// Sign-in with a redirect the app receives itself (custom scheme, RFC 8252 §7.1): the real provider
// redirects headless Chromium to com.example.app:/callback?..., the browser driver records that URL
// (as an OS would hand it to the app), and the test hands it to Client::handle_redirect().
#include <nativeauth/nativeauth.hpp>

#include "oidc/discovery.hpp"
#include "provider_process.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <future>

namespace nativeauth {
namespace {

using testing::ProviderProcess;
using testing::ScopedEnv;
using testing::TempDir;
using Json = nlohmann::json;

constexpr const char *kRedirect = "com.example.app:/callback";

class CustomScheme : public ::testing::Test {
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
    env_.set("XDG_RUNTIME_DIR", run_.path());  // the redirect relay's sockets: private to this test
  }

  Result<Client> make_client(const std::string &redirect_uri = kRedirect) {
    ClientOptions o;
    o.issuer = provider_->issuer();
    o.client_id = "nativeauth-test";
    o.redirect.uri = redirect_uri;
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
  /// The URL the provider sent the browser to, as the OS would hand it to the app.
  std::string captured_redirect() {
    EXPECT_TRUE(testing::wait_for_file(result_file(), std::chrono::seconds(60))) << "the browser wrote no result";
    const Json r = Json::parse(testing::read_file(result_file()), nullptr, false);
    EXPECT_TRUE(r.value("custom_scheme", false)) << r.dump();
    return r.value("redirect_url", "");
  }
  static std::string replace_param(std::string url, const std::string &name, const std::string &value) {
    const auto at = url.find(name + "=");
    if (at == std::string::npos) return url;
    const auto start = at + name.size() + 1;
    const auto end = url.find('&', start);
    return url.replace(start, end == std::string::npos ? std::string::npos : end - start, value);
  }

  static ProviderProcess *provider_;
  std::shared_ptr<MemoryCredentialStore> store_ = std::make_shared<MemoryCredentialStore>();
  TempDir tmp_;
  TempDir run_;
  TempDir profile_;
  ScopedEnv env_;
  std::mutex log_mutex_;
  std::string log_;
};
ProviderProcess *CustomScheme::provider_ = nullptr;

TEST_F(CustomScheme, SignInCompletesWithTheHandedBackRedirect) {
  use_browser("login");
  auto client = make_client();
  ASSERT_TRUE(client) << client.error().to_string();

  auto idle = client->handle_redirect(std::string(kRedirect) + "?code=x&state=y");
  ASSERT_FALSE(idle);
  EXPECT_EQ(idle.error().code, ErrorCode::no_pending_sign_in);

  auto pending = std::async(std::launch::async, [&] { return client->sign_in(); });
  const std::string url = captured_redirect();
  ASSERT_EQ(url.rfind("com.example.app:/callback?", 0), 0u) << url;

  // Refused, and the sign-in keeps waiting: another app's scheme, another path, a foreign state.
  auto other_scheme = client->handle_redirect("com.other.app:/callback" + url.substr(url.find('?')));
  ASSERT_FALSE(other_scheme);
  EXPECT_EQ(other_scheme.error().code, ErrorCode::invalid_redirect);
  auto other_path = client->handle_redirect("com.example.app:/elsewhere" + url.substr(url.find('?')));
  ASSERT_FALSE(other_path);
  EXPECT_EQ(other_path.error().code, ErrorCode::invalid_redirect);
  auto foreign = client->handle_redirect(replace_param(url, "state", "not-the-pending-state"));
  ASSERT_FALSE(foreign);
  EXPECT_EQ(foreign.error().code, ErrorCode::state_mismatch);
  for (const auto *e : {&other_scheme.error(), &other_path.error(), &foreign.error()}) {
    const auto code_at = url.find("code=");
    const std::string code = url.substr(code_at + 5, url.find('&', code_at) - code_at - 5);
    EXPECT_EQ(e->message.find(code), std::string::npos) << "an error message carries the code";
  }

  ASSERT_TRUE(client->handle_redirect(url)) << "the real redirect was refused";
  auto session = pending.get();
  ASSERT_TRUE(session) << session.error().to_string();
  EXPECT_EQ(session->claims.subject(), "alice");
  EXPECT_FALSE(session->refresh_token.empty());
  auto stored = client->load_session();
  ASSERT_TRUE(stored && stored->has_value());

  // A second delivery after completion is refused cleanly.
  auto again = client->handle_redirect(url);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::no_pending_sign_in);

  // The refresh path needs no redirect: it works as for a loopback client.
  auto token = client->access_token({std::nullopt, true});
  ASSERT_TRUE(token) << token.error().to_string();
  std::lock_guard<std::mutex> lock(log_mutex_);
  const auto code_at = url.find("code=");
  EXPECT_EQ(log_.find(url.substr(code_at + 5, 20)), std::string::npos) << "the code reached the log";
}

// What a second instance of the app does when the OS starts it with the redirect: forward_redirect().
TEST_F(CustomScheme, ASecondInstanceForwardsTheRedirect) {
  use_browser("login");
  auto client = make_client();
  ASSERT_TRUE(client);
  ClientOptions second;  // the second instance knows the same app configuration, nothing else
  second.issuer = provider_->issuer();
  second.client_id = "nativeauth-test";
  second.redirect.uri = kRedirect;

  auto nobody = forward_redirect(second, std::string(kRedirect) + "?code=x&state=y");
  ASSERT_FALSE(nobody);
  EXPECT_EQ(nobody.error().code, ErrorCode::no_pending_sign_in);

  auto pending = std::async(std::launch::async, [&] { return client->sign_in(); });
  const std::string url = captured_redirect();

  // A second sign-in of the same slot cannot wait for the same redirects meanwhile.
  auto rival = make_client();
  ASSERT_TRUE(rival);
  SignInOptions quiet;
  quiet.open_browser = false;
  quiet.on_authorization_url = [](const std::string &, bool) {};
  auto refused = rival->sign_in(quiet);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::listener_failed) << refused.error().message;

  auto wrong_scheme = forward_redirect(second, "com.other.app:/callback" + url.substr(url.find('?')));
  ASSERT_FALSE(wrong_scheme);
  EXPECT_EQ(wrong_scheme.error().code, ErrorCode::invalid_redirect);
  auto foreign = forward_redirect(second, replace_param(url, "state", "not-the-pending-state"));
  ASSERT_FALSE(foreign);
  EXPECT_EQ(foreign.error().code, ErrorCode::state_mismatch) << foreign.error().message;

  ASSERT_TRUE(forward_redirect(second, url));
  auto session = pending.get();
  ASSERT_TRUE(session) << session.error().to_string();
  EXPECT_EQ(session->claims.subject(), "alice");

  auto again = forward_redirect(second, url);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::no_pending_sign_in);
}

TEST_F(CustomScheme, CancelEndsTheWait) {
  auto client = make_client();
  ASSERT_TRUE(client);
  std::promise<void> shown;
  SignInOptions opts;
  opts.open_browser = false;
  opts.on_authorization_url = [&](const std::string &, bool) { shown.set_value(); };
  auto pending = std::async(std::launch::async, [&] { return client->sign_in(opts); });
  shown.get_future().wait();
  client->cancel();
  auto r = pending.get();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::cancelled);
  auto late = client->handle_redirect(std::string(kRedirect) + "?code=x&state=y");
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code, ErrorCode::no_pending_sign_in);
}

TEST_F(CustomScheme, NobodyHandsTheRedirectBackInTime) {
  auto client = make_client();
  ASSERT_TRUE(client);
  SignInOptions opts;
  opts.open_browser = false;
  opts.on_authorization_url = [](const std::string &, bool) {};
  opts.timeout = std::chrono::seconds(1);  // the real clock: the wait itself is what is tested
  auto r = client->sign_in(opts);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::timeout);
  EXPECT_EQ(r.error().message.find("PORT"), std::string::npos) << "no port hint: no port was used";
}

TEST_F(CustomScheme, UnsafeRedirectUrisAreRefusedAtCreate) {
  for (const char *uri :
       {"myapp:/callback", "http://example.com/callback", "http://localhost/callback", "com.example.app:/callback#f"}) {
    auto c = make_client(uri);
    ASSERT_FALSE(c) << uri;
    EXPECT_EQ(c.error().code, ErrorCode::invalid_configuration) << uri;
  }
}

TEST_F(CustomScheme, AnExplicitLoopbackUriStillUsesTheListener) {
  use_browser("login");
  auto client = make_client("http://127.0.0.1/callback");
  ASSERT_TRUE(client);
  auto session = client->sign_in();
  ASSERT_TRUE(session) << session.error().to_string();
  ASSERT_TRUE(testing::wait_for_file(result_file(), std::chrono::seconds(60)));
  const Json r = Json::parse(testing::read_file(result_file()), nullptr, false);
  EXPECT_EQ(r.value("redirect_url", "").rfind("http://127.0.0.1:", 0), 0u) << r.dump();
}

}  // namespace
}  // namespace nativeauth
