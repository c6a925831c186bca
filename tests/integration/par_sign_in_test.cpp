// SPDX-License-Identifier: Apache-2.0
// sign_in() with Pushed Authorization Requests (RFC 9126) end to end: the real provider with PAR required
// (--require-par), offered (its default) and off (--no-par), headless Chromium through $BROWSER, the real
// loopback listener and the custom-scheme hand-over. The provider's /__test/events count what its PAR
// endpoint took and refused. No fakes.
#include <nativeauth/nativeauth.hpp>

#include "oidc/discovery.hpp"
#include "provider_process.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <future>
#include <mutex>
#include <set>
#include <string>

namespace nativeauth {
namespace {

using testing::ProviderProcess;
using testing::ScopedEnv;
using testing::TempDir;
using Json = nlohmann::json;

/// The names of `url`'s query parameters, in a set (the test asks which are there, not their order).
std::multiset<std::string> param_names(const std::string &url) {
  std::multiset<std::string> names;
  const auto q = url.find('?');
  if (q == std::string::npos) return names;
  std::size_t at = q + 1;
  while (at <= url.size()) {
    auto end = url.find('&', at);
    if (end == std::string::npos) end = url.size();
    const std::string pair = url.substr(at, end - at);
    if (!pair.empty()) names.insert(pair.substr(0, pair.find('=')));
    at = end + 1;
  }
  return names;
}

int par_count(const ProviderProcess &p, const char *what) {
  return p.events().value(std::string("pushed_authorization_request.") + what, -1);
}

class ParSignIn : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string why;
    required_ = ProviderProcess::start({"RS256", "", {"--require-par"}}, &why).release();
    ASSERT_NE(required_, nullptr) << why;
    offered_ = ProviderProcess::start({}, &why).release();
    ASSERT_NE(offered_, nullptr) << why;
    none_ = ProviderProcess::start({"RS256", "", {"--no-par"}}, &why).release();
    ASSERT_NE(none_, nullptr) << why;
  }
  static void TearDownTestSuite() {
    for (ProviderProcess **p : {&required_, &offered_, &none_}) {
      delete *p;
      *p = nullptr;
    }
  }
  void SetUp() override {
    ASSERT_TRUE(required_ && offered_ && none_);
    oidc::clear_discovery_cache();
    env_.set("XDG_RUNTIME_DIR", run_.path());  // the redirect relay's sockets (custom scheme): private
  }

  Result<Client> client_for(const ProviderProcess &p, PushedAuthorization par, const std::string &redirect_uri = "",
                            const std::string &path = "/callback") {
    ClientOptions o;
    o.issuer = p.issuer();
    o.client_id = "nativeauth-test";
    o.scopes = {"openid", "profile", "offline_access"};
    o.pushed_authorization = par;
    o.redirect.uri = redirect_uri;
    o.redirect.path = path;
    o.platform.store = std::make_shared<MemoryCredentialStore>();
    o.log_level = LogLevel::trace;
    o.log = [this](LogLevel, std::string_view line) {
      std::lock_guard<std::mutex> lock(mutex_);
      log_ += std::string(line) + "\n";
    };
    return Client::create(std::move(o));
  }
  /// Sign-in options that record the authorization URL the browser is given.
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
  void use_browser(const std::string &action) {
    testing::use_test_browser(env_, action, profile_.path(), result_file(), tmp_.file("browser.log"));
  }
  std::string result_file() const { return tmp_.file("browser-result.json"); }
  Json browser_result() {
    EXPECT_TRUE(testing::wait_for_file(result_file(), std::chrono::seconds(60))) << "the browser wrote no result";
    return Json::parse(testing::read_file(result_file()), nullptr, false);
  }
  std::string browser_log() { return testing::read_file(tmp_.file("browser.log")); }

  /// The authorization URL of a sign-in that pushed: only client_id and a request_uri, on the provider's
  /// authorization endpoint.
  void expect_pushed_url(const ProviderProcess &p) {
    ASSERT_EQ(urls().size(), 1u);
    const std::string url = urls()[0];
    EXPECT_EQ(url.rfind(p.issuer() + "/auth?", 0), 0u) << url;
    EXPECT_EQ(param_names(url), (std::multiset<std::string>{"client_id", "request_uri"})) << url;
    EXPECT_EQ(testing::param(url, "client_id"), "nativeauth-test");
    EXPECT_EQ(testing::param(url, "request_uri").rfind("urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3A", 0), 0u) << url;
  }

  static ProviderProcess *required_;
  static ProviderProcess *offered_;
  static ProviderProcess *none_;
  TempDir tmp_;
  TempDir run_;
  TempDir profile_;
  ScopedEnv env_;
  std::mutex mutex_;
  std::string log_;
  std::vector<std::string> urls_;
};
ProviderProcess *ParSignIn::required_ = nullptr;
ProviderProcess *ParSignIn::offered_ = nullptr;
ProviderProcess *ParSignIn::none_ = nullptr;

TEST_F(ParSignIn, AProviderThatRequiresItGetsThePushedRequestAndTheBrowserOnlyItsReference) {
  use_browser("login");
  const int pushed_before = par_count(*required_, "success");
  auto client = client_for(*required_, PushedAuthorization::when_required);  // the default
  ASSERT_TRUE(client) << client.error().to_string();
  auto session = client->sign_in(recording());
  ASSERT_TRUE(session) << session.error().to_string() << "\n" << browser_log();
  EXPECT_EQ(session->claims.subject(), "alice");
  EXPECT_FALSE(session->refresh_token.empty()) << "offline_access went through the pushed request";

  expect_pushed_url(*required_);
  EXPECT_EQ(par_count(*required_, "success"), pushed_before + 1) << "the provider's PAR endpoint took one request";

  // Neither the pushed parameters nor the state the browser carried back reached the log in full.
  const std::string text = log();
  EXPECT_NE(text.find("pushing the authorization request to " + required_->issuer() + "/request"), std::string::npos)
      << text;
  EXPECT_NE(text.find("state=***"), std::string::npos) << text;
  const std::string state = testing::param(browser_result().value("redirect_url", ""), "state");
  ASSERT_GE(state.size(), 16u);
  EXPECT_EQ(text.find(state), std::string::npos) << "the state leaked into the log";
  EXPECT_EQ(text.find("request_uri%3A"), std::string::npos) << "the request_uri is redacted like every value";
}

TEST_F(ParSignIn, WithoutTheRequirementTheBrowserCarriesTheParametersAsBefore) {
  // The negative twin of the test above: the same client against a provider that offers PAR but does not
  // require it pushes nothing, and its URL carries every parameter.
  use_browser("login");
  const int pushed_before = par_count(*offered_, "success");
  auto client = client_for(*offered_, PushedAuthorization::when_required);
  ASSERT_TRUE(client) << client.error().to_string();
  auto session = client->sign_in(recording());
  ASSERT_TRUE(session) << session.error().to_string() << "\n" << browser_log();
  ASSERT_EQ(urls().size(), 1u);
  const auto names = param_names(urls()[0]);
  for (const char *name : {"scope", "redirect_uri", "state", "nonce", "code_challenge", "code_challenge_method"})
    EXPECT_EQ(names.count(name), 1u) << name << " in " << urls()[0];
  EXPECT_EQ(names.count("request_uri"), 0u);
  EXPECT_EQ(par_count(*offered_, "success"), pushed_before);
}

TEST_F(ParSignIn, AlwaysPushesEvenWhenTheProviderDoesNotRequireIt) {
  use_browser("login");
  const int pushed_before = par_count(*offered_, "success");
  auto client = client_for(*offered_, PushedAuthorization::always);
  ASSERT_TRUE(client) << client.error().to_string();
  auto session = client->sign_in(recording());
  ASSERT_TRUE(session) << session.error().to_string() << "\n" << browser_log();
  EXPECT_EQ(session->claims.subject(), "alice");
  expect_pushed_url(*offered_);
  EXPECT_EQ(par_count(*offered_, "success"), pushed_before + 1);
}

TEST_F(ParSignIn, AlwaysWithoutAParEndpointFailsBeforeAnyBrowserOpens) {
  use_browser("login");
  const Json before = none_->events();
  auto client = client_for(*none_, PushedAuthorization::always);
  ASSERT_TRUE(client) << client.error().to_string();
  auto session = client->sign_in(recording());
  ASSERT_FALSE(session);
  EXPECT_EQ(session.error().code, ErrorCode::missing_endpoint) << session.error().to_string();
  const std::string &message = session.error().message;
  EXPECT_NE(message.find("pushed_authorization_request_endpoint"), std::string::npos) << message;
  EXPECT_NE(message.find("ClientOptions::pushed_authorization"), std::string::npos) << message;
  EXPECT_NE(message.find(none_->issuer()), std::string::npos) << message;
  // show_url() tells the app whenever it opens a browser: it never ran, and the provider saw nothing.
  EXPECT_TRUE(urls().empty());
  EXPECT_EQ(none_->events(), before);

  // The same client without `always` signs in there as before: the error came from asking for PAR.
  auto plain = client_for(*none_, PushedAuthorization::when_required);
  ASSERT_TRUE(plain) << plain.error().to_string();
  auto ok = plain->sign_in(recording());
  ASSERT_TRUE(ok) << ok.error().to_string() << "\n" << browser_log();
}

TEST_F(ParSignIn, ARefusedPushCarriesTheProvidersErrorAndOpensNoBrowser) {
  // A redirect path the client never registered: the PAR endpoint refuses it at once (RFC 9126 §2.3),
  // where an unpushed request would show the user an error page and the sign-in would wait for nothing.
  use_browser("login");
  const int refused_before = par_count(*required_, "error");
  auto client = client_for(*required_, PushedAuthorization::when_required, "", "/not-registered");
  ASSERT_TRUE(client) << client.error().to_string();
  auto session = client->sign_in(recording());
  ASSERT_FALSE(session);
  const Error &e = session.error();
  EXPECT_EQ(e.code, ErrorCode::authorization_error) << e.to_string();
  EXPECT_EQ(e.oauth_error, "invalid_request");
  EXPECT_NE(e.oauth_description.find("redirect_uri"), std::string::npos) << e.oauth_description;
  EXPECT_EQ(e.http_status, 400);
  EXPECT_FALSE(e.transient);
  EXPECT_NE(e.message.find("pushed authorization request"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("redirect_uri did not match"), std::string::npos) << e.message;
  EXPECT_TRUE(urls().empty()) << "no browser for a refused request";
  EXPECT_EQ(par_count(*required_, "error"), refused_before + 1);
}

TEST_F(ParSignIn, ACustomSchemeRedirectWorksWithAPushedRequest) {
  constexpr const char *kRedirect = "com.example.app:/callback";
  use_browser("login");
  auto client = client_for(*required_, PushedAuthorization::when_required, kRedirect);
  ASSERT_TRUE(client) << client.error().to_string();
  auto pending = std::async(std::launch::async, [&] { return client->sign_in(recording()); });
  const Json result = browser_result();
  const std::string redirect = result.value("redirect_url", "");
  ASSERT_EQ(redirect.rfind(std::string(kRedirect) + "?", 0), 0u) << result.dump() << "\n" << browser_log();
  ASSERT_TRUE(client->handle_redirect(redirect)) << "the real redirect was refused";
  auto session = pending.get();
  ASSERT_TRUE(session) << session.error().to_string();
  EXPECT_EQ(session->claims.subject(), "alice");
  expect_pushed_url(*required_);
}

}  // namespace
}  // namespace nativeauth
