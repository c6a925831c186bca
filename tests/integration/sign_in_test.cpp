// SPDX-License-Identifier: Apache-2.0
// sign_in() end to end: real provider (RS256; ES256 with an issuer path), headless Chromium through
// $BROWSER, real loopback listener. No fakes: timeouts and cancellation use the real clock and API.
#include <nativeauth/nativeauth.hpp>

#include "core/base64url.hpp"
#include "oidc/discovery.hpp"
#include "provider_process.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <thread>

namespace nativeauth {
namespace {

using testing::ProviderProcess;
using testing::ScopedEnv;
using testing::TempDir;
using Json = nlohmann::json;

std::unique_ptr<ProviderProcess> start_provider(ProviderProcess::Options options) {
  std::string why;
  auto p = ProviderProcess::start(options, &why);
  EXPECT_TRUE(p) << why;
  return p;
}

Json header_of(const SecretString &jwt) {
  const auto text = jwt.reveal();
  const auto h = core::base64url_decode(text.substr(0, text.find('.')));
  return Json::parse(h.value_or("{}"));
}

Json payload_of(const SecretString &jwt) {
  const auto text = jwt.reveal();
  const auto from = text.find('.') + 1;
  const auto p = core::base64url_decode(text.substr(from, text.rfind('.') - from));
  return Json::parse(p.value_or("{}"), nullptr, false);
}

/// One provider per suite; every test gets a fresh browser profile and result file.
class SignIn : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { rs256_ = start_provider({}).release(); }
  static void TearDownTestSuite() {
    delete rs256_;
    rs256_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(rs256_, nullptr);
    oidc::clear_discovery_cache();
  }

  Result<Client> client_for(const ProviderProcess &p, std::shared_ptr<platform::CredentialStore> store = nullptr,
                            const std::string &client_id = "nativeauth-test") {
    ClientOptions o;
    o.issuer = p.issuer();
    o.client_id = client_id;
    o.scopes = {"openid", "profile", "email", "offline_access"};
    o.platform.store = std::move(store);
    o.log_level = LogLevel::trace;
    o.log = [this](LogLevel, std::string_view line) { log_ += std::string(line) + "\n"; };
    return Client::create(std::move(o));
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

  static ProviderProcess *rs256_;
  TempDir tmp_;
  TempDir profile_;
  ScopedEnv env_;
  std::string log_;
};
ProviderProcess *SignIn::rs256_ = nullptr;

TEST_F(SignIn, Rs256ProviderThroughTheSystemBrowser) {
  use_browser("login");
  auto store = std::make_shared<MemoryCredentialStore>();
  auto client = client_for(*rs256_, store);
  ASSERT_TRUE(client) << client.error().to_string();
  auto session = client->sign_in();
  ASSERT_TRUE(session) << session.error().to_string() << "\n" << browser_log();

  EXPECT_EQ(session->claims.subject(), "alice");
  EXPECT_EQ(session->claims.string("name"), "Alice Example");
  EXPECT_EQ(session->claims.issuer(), rs256_->issuer());
  EXPECT_EQ(log_.find("userinfo"), std::string::npos) << "the ID token had the claims: no userinfo request";
  EXPECT_FALSE(session->access_token.empty());
  EXPECT_FALSE(session->refresh_token.empty()) << "offline_access was requested";
  EXPECT_EQ(header_of(session->id_token)["alg"], "RS256");
  ASSERT_TRUE(session->access_token_expiry);
  EXPECT_GT(*session->access_token_expiry, std::chrono::system_clock::now() + std::chrono::minutes(50));

  // The session went to the client's own slot.
  auto slots = store->list(rs256_->issuer());
  ASSERT_TRUE(slots);
  ASSERT_EQ(slots->size(), 1u);
  EXPECT_EQ((*slots)[0].client_id, "nativeauth-test");
  EXPECT_EQ((*slots)[0].profile, "default");

  // The browser saw the small success page, with neither the code nor a token in it.
  const Json result = browser_result();
  ASSERT_TRUE(result.value("ok", false)) << result.dump();
  EXPECT_EQ(result["title"], "Signed in");
  const std::string text = result.value("text", "");
  EXPECT_EQ(text.find(std::string(session->access_token.reveal())), std::string::npos);
  EXPECT_EQ(text.find("code"), std::string::npos);

  // No secret reached the log, even at trace level: not the tokens, and not the code or state the
  // browser actually carried back (taken from the browser's own record of the redirect).
  ASSERT_FALSE(log_.empty());
  for (const SecretString *s : {&session->access_token, &session->refresh_token, &session->id_token})
    EXPECT_EQ(log_.find(std::string(s->reveal())), std::string::npos) << "a token leaked into the log";
  const std::string redirect = result.value("redirect_url", "");
  for (const char *name : {"code=", "state="}) {
    const auto at = redirect.find(name);
    ASSERT_NE(at, std::string::npos) << redirect;
    const std::string value = redirect.substr(at + std::strlen(name), redirect.find('&', at) - at - std::strlen(name));
    ASSERT_GE(value.size(), 16u);
    EXPECT_EQ(log_.find(value), std::string::npos) << name << " leaked into the log";
  }
}

// A provider that keeps scope claims out of the ID token (oidc-provider's conformIdTokenClaims, like many
// hosted providers): name and email come from the UserInfo endpoint, with the access token.
TEST_F(SignIn, ClaimsTheIdTokenLacksComeFromUserinfo) {
  auto conform = start_provider({"RS256", "", {"--conform-id-token-claims"}});
  ASSERT_TRUE(conform);
  use_browser("login");
  auto client = client_for(*conform);
  ASSERT_TRUE(client);
  auto session = client->sign_in();
  ASSERT_TRUE(session) << session.error().to_string() << "\n" << browser_log();
  EXPECT_FALSE(payload_of(session->id_token).contains("name")) << "the provider must keep name out of the ID token";
  EXPECT_EQ(session->claims.string("name"), "Alice Example");
  EXPECT_EQ(session->claims.string("email"), "alice@example.test");
  EXPECT_EQ(session->claims.subject(), "alice");
  auto stored = client->load_session();
  ASSERT_TRUE(stored && stored->has_value());
  EXPECT_EQ((*stored)->claims.string("name"), "Alice Example") << "the merged claims are stored";
  EXPECT_NE(log_.find("claims from the userinfo endpoint: "), std::string::npos) << log_;
  EXPECT_EQ(log_.find(std::string(session->access_token.reveal())), std::string::npos) << "the token leaked";
  // A refresh (with or without a new ID token, which lacks them too) keeps what UserInfo said.
  AccessTokenOptions force;
  force.force_refresh = true;
  auto refreshed = client->access_token(force);
  ASSERT_TRUE(refreshed) << refreshed.error().to_string();
  auto after = client->load_session();
  ASSERT_TRUE(after && after->has_value());
  EXPECT_EQ((*after)->claims.string("name"), "Alice Example") << "a refresh dropped the UserInfo claims";
}

TEST_F(SignIn, Es256ProviderWithAnIssuerPath) {
  auto es256 = start_provider({"ES256", "/tenant", {}});
  ASSERT_TRUE(es256);
  ASSERT_EQ(es256->issuer(), es256->origin() + "/tenant");
  use_browser("login");
  auto client = client_for(*es256);
  ASSERT_TRUE(client);
  auto session = client->sign_in();
  ASSERT_TRUE(session) << session.error().to_string() << "\n" << browser_log();
  EXPECT_EQ(header_of(session->id_token)["alg"], "ES256");
  EXPECT_EQ(session->claims.issuer(), es256->issuer());
  EXPECT_EQ(session->claims.subject(), "alice");
}

TEST_F(SignIn, ExtraParametersReachTheProvider) {
  use_browser("login");
  env_.unset("NATIVEAUTH_TEST_BROWSER_LOGIN");
  auto client = client_for(*rs256_);
  ASSERT_TRUE(client);
  SignInOptions o;
  o.login_hint = "bob";  // the dev login page pre-fills the login from login_hint
  o.ui_locales = "en";
  o.max_age = std::chrono::seconds(600);  // makes auth_time mandatory, and it is checked
  o.extra_params = {{"organization", "acme"}};
  std::string url;
  o.on_authorization_url = [&](const std::string &u, bool) { url = u; };
  auto session = client->sign_in(o);
  ASSERT_TRUE(session) << session.error().to_string() << "\n" << browser_log();
  EXPECT_NE(url.find("organization=acme"), std::string::npos);
  EXPECT_NE(url.find("code_challenge_method=S256"), std::string::npos);
  EXPECT_EQ(session->claims.subject(), "bob");
  EXPECT_TRUE(session->claims.integer("auth_time"));
}

/// The value of query parameter `name` in `url` ("" when absent; not decoded).
std::string query_param(const std::string &url, const std::string &name) {
  for (std::size_t at = url.find('?'); at != std::string::npos; at = url.find('&', at)) {
    ++at;
    if (url.compare(at, name.size() + 1, name + "=") != 0) continue;
    const std::size_t start = at + name.size() + 1;
    return url.substr(start, url.find('&', start) - start);
  }
  return "";
}

// max_age is clamped where the app hands it over: an int64 near its maximum (reachable from the C ABI)
// is sent as SignInOptions::kMaxAgeLimit, and the ID token is checked against that, so the sign-in works.
TEST_F(SignIn, HugeMaxAgeIsSentClampedAndTheSignInSucceeds) {
  use_browser("login");
  auto client = client_for(*rs256_);
  ASSERT_TRUE(client);
  SignInOptions o;
  o.max_age = std::chrono::seconds(std::numeric_limits<std::int64_t>::max());
  std::string url;
  o.on_authorization_url = [&](const std::string &u, bool) { url = u; };
  auto session = client->sign_in(o);
  ASSERT_TRUE(session) << session.error().to_string() << "\n" << browser_log();
  EXPECT_EQ(query_param(url, "max_age"), "2147483647");  // SignInOptions::kMaxAgeLimit
  EXPECT_TRUE(session->claims.integer("auth_time"));
}

// The twin: a negative max_age means nothing; it is refused before a browser opens or a request is sent.
TEST_F(SignIn, NegativeMaxAgeIsRefusedBeforeTheBrowserOpens) {
  use_browser("login");
  auto client = client_for(*rs256_);
  ASSERT_TRUE(client);
  SignInOptions o;
  o.max_age = std::chrono::seconds(-1);
  bool shown = false;
  o.on_authorization_url = [&](const std::string &, bool) { shown = true; };
  auto session = client->sign_in(o);
  ASSERT_FALSE(session);
  EXPECT_EQ(session.error().code, ErrorCode::invalid_argument) << session.error().to_string();
  EXPECT_NE(session.error().message.find("max_age"), std::string::npos) << session.error().message;
  EXPECT_FALSE(shown);
}

TEST_F(SignIn, BrowserIsSentToTheAppsOwnPageAfterwards) {
  use_browser("login");
  auto client = client_for(*rs256_);
  ASSERT_TRUE(client);
  SignInOptions o;
  // Any page of the app's; a loopback one here because the test browser reaches nothing else.
  o.success_redirect_url = rs256_->origin() + "/__test/events?signed-in";
  auto session = client->sign_in(o);
  ASSERT_TRUE(session) << session.error().to_string() << "\n" << browser_log();
  const Json result = browser_result();
  EXPECT_EQ(result.value("final_url", ""), o.success_redirect_url) << result.dump();
  EXPECT_EQ(result.value("status", 0), 200);
}

TEST_F(SignIn, UserDeclines) {
  use_browser("decline");
  auto client = client_for(*rs256_);
  ASSERT_TRUE(client);
  auto session = client->sign_in();
  ASSERT_FALSE(session);
  EXPECT_EQ(session.error().code, ErrorCode::access_denied) << session.error().to_string();
  EXPECT_EQ(session.error().oauth_error, "access_denied");
  EXPECT_FALSE(session.error().oauth_description.empty());
  const Json result = browser_result();
  EXPECT_EQ(result["title"], "Sign-in failed") << result.dump();
}

TEST_F(SignIn, ResponseFromAnotherIssuerIsRefused) {
  // Mix-up (RFC 9207): the browser takes the request to a second real provider, which answers the
  // app's redirect URI with its own code and its own iss. The app must refuse before redeeming it.
  auto other = start_provider({});
  ASSERT_TRUE(other);
  use_browser("login");
  env_.set("NATIVEAUTH_TEST_BROWSER_REWRITE", rs256_->origin() + "=>" + other->origin());
  auto client = client_for(*rs256_);
  ASSERT_TRUE(client);
  auto session = client->sign_in();
  ASSERT_FALSE(session);
  EXPECT_EQ(session.error().code, ErrorCode::issuer_param_mismatch) << session.error().to_string();
  EXPECT_NE(session.error().message.find(other->issuer()), std::string::npos);
  EXPECT_EQ(log_.find("exchanging the authorization code"), std::string::npos) << "the foreign code was redeemed";
}

/// Opens a TCP connection to 127.0.0.1:port, sends `bytes`, and returns the status line received.
sockaddr_in loopback(int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

/// A blocking TCP connection to 127.0.0.1:port (10 s receive timeout), or -1.
int connect_loopback(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  timeval tv{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in addr = loopback(port);
  if (connect(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

std::string roundtrip(int port, const std::string &bytes) {
  const int fd = connect_loopback(port);
  if (fd < 0) return "connect failed";
  (void)send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  std::string reply;
  char buf[1024];
  ssize_t n;
  while ((n = recv(fd, buf, sizeof buf, 0)) > 0) reply.append(buf, static_cast<size_t>(n));
  close(fd);
  return reply.substr(0, reply.find("\r\n"));
}

int port_of(const std::string &authorization_url) {
  const std::string key = "redirect_uri=http%3A%2F%2F127.0.0.1%3A";
  const auto at = authorization_url.find(key);
  return std::stoi(authorization_url.substr(at + key.size()));
}

TEST_F(SignIn, ListenerSurvivesJunkThenCompletes) {
  use_browser("login");
  auto client = client_for(*rs256_);
  ASSERT_TRUE(client);
  SignInOptions o;
  o.open_browser = false;  // the junk goes first, then the test opens the real browser itself
  std::vector<std::string> replies;
  std::thread attacker;
  int idle_fd = -1;
  o.on_authorization_url = [&](const std::string &url, bool) {
    attacker = std::thread([&, url] {
      const int port = port_of(url);
      // A client that connects and sends nothing, held open for the whole sign-in.
      idle_fd = connect_loopback(port);
      replies.push_back(roundtrip(port, "\x16\x03\x01 garbage that is not HTTP\r\n\r\n"));
      replies.push_back(roundtrip(port, "GET /favicon.ico HTTP/1.1\r\nHost: x\r\n\r\n"));
      replies.push_back(roundtrip(port, "GET /callback?code=stolen&state=guessed HTTP/1.1\r\nHost: x\r\n\r\n"));
      replies.push_back(roundtrip(port, "GET /callback?code=stolen HTTP/1.1\r\nHost: x\r\n\r\n"));
      replies.push_back(roundtrip(port, "GET /callback HTTP/1.1\r\nX-Big: " + std::string(1 << 20, 'a') + "\r\n\r\n"));
      auto opened = platform::default_platform().browser->open(url);  // the real $BROWSER path
      if (!opened) replies.push_back("browser: " + opened.error().message);
    });
  };
  auto session = client->sign_in(o);
  attacker.join();
  if (idle_fd >= 0) close(idle_fd);
  ASSERT_TRUE(session) << session.error().to_string() << "\n" << browser_log();
  EXPECT_EQ(session->claims.subject(), "alice");
  ASSERT_EQ(replies.size(), 5u);
  EXPECT_EQ(replies[0].substr(0, 12), "HTTP/1.1 400");
  EXPECT_EQ(replies[1].substr(0, 12), "HTTP/1.1 404");
  EXPECT_EQ(replies[2].substr(0, 12), "HTTP/1.1 400");
  EXPECT_EQ(replies[3].substr(0, 12), "HTTP/1.1 400");
  // A 1 MB header is answered 431 or cut off; either way it does not end the wait.
  EXPECT_TRUE(replies[4].empty() || replies[4].substr(0, 12) == "HTTP/1.1 431") << replies[4];
}

TEST_F(SignIn, TimesOutWhenTheBrowserNeverComesBack) {
  env_.set("BROWSER", "true");  // a "browser" that starts and does nothing
  auto client = client_for(*rs256_);
  ASSERT_TRUE(client);
  SignInOptions o;
  o.timeout = std::chrono::seconds(2);
  const auto started = std::chrono::steady_clock::now();
  auto session = client->sign_in(o);
  ASSERT_FALSE(session);
  EXPECT_EQ(session.error().code, ErrorCode::timeout);
  EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::seconds(2));
  // The OS chose the port: a provider that matches ports exactly may be why; the message says what to do.
  const std::string &message = session.error().message;
  EXPECT_NE(message.find("some providers accept only the exact port registered"), std::string::npos) << message;
  EXPECT_NE(message.find("register http://127.0.0.1:PORT/callback"), std::string::npos) << message;
  EXPECT_NE(message.find("redirect.port"), std::string::npos) << message;
}

// The twin: on a fixed port the port cannot be why, and the message does not say it might be.
TEST_F(SignIn, TimesOutOnAFixedPortWithoutThePortHint) {
  env_.set("BROWSER", "true");
  ClientOptions o;
  o.issuer = rs256_->issuer();
  o.client_id = "nativeauth-test";
  o.platform.store = std::make_shared<MemoryCredentialStore>();
  o.redirect.port = testing::unused_loopback_port();
  ASSERT_NE(o.redirect.port, 0);
  auto client = Client::create(std::move(o));
  ASSERT_TRUE(client) << client.error().to_string();
  SignInOptions options;
  options.timeout = std::chrono::seconds(1);
  auto session = client->sign_in(options);
  ASSERT_FALSE(session);
  EXPECT_EQ(session.error().code, ErrorCode::timeout);
  EXPECT_NE(session.error().message.find("did not return to the app within 1 s"), std::string::npos);
  EXPECT_EQ(session.error().message.find("PORT"), std::string::npos) << session.error().message;
}

TEST_F(SignIn, CancelFromAnotherThread) {
  env_.set("BROWSER", "true");
  auto client = client_for(*rs256_);
  ASSERT_TRUE(client);
  SignInOptions o;
  std::thread canceller;
  o.on_authorization_url = [&](const std::string &, bool opened) {
    EXPECT_TRUE(opened);
    canceller = std::thread([&] { client->cancel(); });
  };
  auto session = client->sign_in(o);
  canceller.join();
  ASSERT_FALSE(session);
  EXPECT_EQ(session.error().code, ErrorCode::cancelled);
}

TEST_F(SignIn, NoBrowserAtAllHandsTheUrlToTheApp) {
  TempDir empty;
  env_.set("BROWSER", "/nonexistent/browser");
  env_.set("PATH", empty.path());  // no xdg-open, no gio
  auto client = client_for(*rs256_);
  ASSERT_TRUE(client);
  SignInOptions o;
  bool told = false;
  bool launched = true;
  o.on_authorization_url = [&](const std::string &url, bool opened) {
    told = url.find("code_challenge=") != std::string::npos;
    launched = opened;
    client->cancel();
  };
  auto session = client->sign_in(o);
  EXPECT_TRUE(told);
  EXPECT_FALSE(launched);
  ASSERT_FALSE(session);
  EXPECT_EQ(session.error().code, ErrorCode::cancelled);

  // Without a callback there is nobody to show the URL to: a clear error instead of a silent wait.
  auto silent = client->sign_in();
  ASSERT_FALSE(silent);
  EXPECT_EQ(silent.error().code, ErrorCode::browser_unavailable);
}

TEST_F(SignIn, UnreachableProviderIsANetworkError) {
  // A port nobody listens on: bind one, close it.
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr = loopback(0);
  bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr *>(&addr), &len);
  close(fd);
  ClientOptions o;
  o.issuer = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  o.client_id = "x";
  auto client = Client::create(std::move(o));
  ASSERT_TRUE(client);
  auto session = client->sign_in();
  ASSERT_FALSE(session);
  EXPECT_EQ(session.error().code, ErrorCode::network) << session.error().to_string();
  EXPECT_TRUE(session.error().transient);
}

TEST_F(SignIn, WrongIssuerConfiguredIsCaughtByDiscovery) {
  ClientOptions o;
  o.issuer = rs256_->issuer() + "/";  // the provider's issuer has no trailing slash
  o.client_id = "nativeauth-test";
  auto client = Client::create(std::move(o));
  ASSERT_TRUE(client);
  auto session = client->sign_in();
  ASSERT_FALSE(session);
  EXPECT_EQ(session.error().code, ErrorCode::issuer_mismatch) << session.error().to_string();
}

TEST(ClientOptions, AreValidated) {
  const auto code_of = [](ClientOptions o) {
    auto c = Client::create(std::move(o));
    return c ? ErrorCode::ok : c.error().code;
  };
  ClientOptions ok;
  ok.issuer = "https://idp.example/tenant";
  ok.client_id = "app";
  EXPECT_EQ(code_of(std::move(ok)), ErrorCode::ok);
  ClientOptions http;
  http.issuer = "http://idp.example";
  http.client_id = "app";
  EXPECT_EQ(code_of(std::move(http)), ErrorCode::insecure_url);
  ClientOptions no_client;
  no_client.issuer = "https://idp.example";
  EXPECT_EQ(code_of(std::move(no_client)), ErrorCode::invalid_argument);
  ClientOptions query;
  query.issuer = "https://idp.example/?x=1";
  query.client_id = "app";
  EXPECT_EQ(code_of(std::move(query)), ErrorCode::invalid_configuration);
  ClientOptions bad_path;
  bad_path.issuer = "https://idp.example";
  bad_path.client_id = "app";
  bad_path.redirect.path = "callback";
  EXPECT_EQ(code_of(std::move(bad_path)), ErrorCode::invalid_argument);
  ClientOptions bad_scope;
  bad_scope.issuer = "https://idp.example";
  bad_scope.client_id = "app";
  bad_scope.scopes = {"openid profile"};
  EXPECT_EQ(code_of(std::move(bad_scope)), ErrorCode::invalid_argument);
}

TEST(SignInOptions, ReservedExtraParametersAreRefused) {
  ClientOptions o;
  o.issuer = "https://idp.example";
  o.client_id = "app";
  auto client = Client::create(std::move(o));
  ASSERT_TRUE(client);
  SignInOptions s;
  s.extra_params = {{"state", "mine"}};
  auto r = client->sign_in(s);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::invalid_argument);
}

}  // namespace
}  // namespace nativeauth
