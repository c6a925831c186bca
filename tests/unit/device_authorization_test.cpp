// SPDX-License-Identifier: Apache-2.0
// The device authorization grant's own rules: polling (RFC 8628 §3.4, §3.5) with a scripted HttpTransport,
// and parse_device_authorization() on device authorization responses (§3.2). A fake is used here
// only for answers the real provider (oidc-provider) cannot be made to give on demand: it never sends
// slow_down or expired_token, and it cannot lose a poll's connection. The real provider covers the
// rest in tests/integration/device_flow_test.cpp. Waits run on the real clock (intervals of 1 s).
#include <nativeauth/nativeauth.hpp>

#include "core/device_authorization.hpp"
#include "oidc/discovery.hpp"
#include "test_jwt.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <deque>
#include <mutex>

namespace nativeauth {
namespace {

using Json = nlohmann::json;
using Steady = std::chrono::steady_clock;

class NoLocks final : public platform::SlotLockFactory {
 public:
  Result<std::unique_ptr<platform::SlotLock>> acquire(const platform::SlotKey &, std::chrono::milliseconds) override {
    return std::unique_ptr<platform::SlotLock>(std::make_unique<platform::SlotLock>());
  }
};

/// A provider in a box: metadata, JWKS, the device authorization endpoint, and a token endpoint that
/// gives the scripted answers in order (a status of 0 stands for a lost connection).
class ScriptedProvider final : public platform::HttpTransport {
 public:
  struct Answer {
    int status;
    Json body;
  };
  explicit ScriptedProvider(std::string issuer, bool device_endpoint = true)
      : issuer_(std::move(issuer)), device_endpoint_(device_endpoint) {}

  std::deque<Answer> token_answers;
  Json device_answer = {{"device_code", "dc-secret-4f9a2b"},
                        {"user_code", "WXYZ-1234"},
                        {"verification_uri", "https://op.example/device"},
                        {"verification_uri_complete", "https://op.example/device?user_code=WXYZ-1234"},
                        {"expires_in", 60},
                        {"interval", 1}};

  Result<platform::HttpResponse> send(const platform::HttpRequest &request) override {
    std::lock_guard<std::mutex> lock(mutex_);
    platform::HttpResponse r;
    r.status = 200;
    if (request.url == issuer_ + "/.well-known/openid-configuration") {
      Json md = {{"issuer", issuer_},
                 {"authorization_endpoint", issuer_ + "/auth"},
                 {"token_endpoint", issuer_ + "/token"},
                 {"jwks_uri", issuer_ + "/jwks"},
                 {"id_token_signing_alg_values_supported", {"RS256"}}};
      if (device_endpoint_) md["device_authorization_endpoint"] = issuer_ + "/device/auth";
      r.body = SecretString(md.dump());
    } else if (request.url == issuer_ + "/jwks") {
      r.body = SecretString(testing::jwks_of({&key()}).dump());
    } else if (request.url == issuer_ + "/device/auth") {
      device_requests.push_back(std::string(request.body.reveal()));
      r.body = SecretString(device_answer.dump());
    } else if (request.url == issuer_ + "/token") {
      polls.push_back(Steady::now());
      poll_bodies.push_back(std::string(request.body.reveal()));
      if (token_answers.empty()) {
        r.status = 400;
        r.body = SecretString(Json{{"error", "invalid_grant"}, {"error_description", "polled after success"}}.dump());
        return r;
      }
      Answer a = token_answers.front();
      token_answers.pop_front();
      if (a.status == 0) {
        Error lost = make_error(ErrorCode::network, "connection reset (scripted)");
        lost.transient = true;  // as the curl transport marks it
        return lost;
      }
      r.status = a.status;
      r.body = SecretString(a.body.dump());
    } else {
      r.status = 404;
    }
    return r;
  }

  Json success() const {
    const auto now =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    const Json claims = {{"iss", issuer_}, {"aud", "app"},     {"sub", "bob"},
                         {"iat", now},     {"exp", now + 600}, {"name", "Bob Example"}};
    return {{"access_token", "at-1"},
            {"token_type", "Bearer"},
            {"expires_in", 3600},
            {"refresh_token", "rt-1"},
            {"id_token", key().sign_jwt({{"alg", "RS256"}, {"kid", key().kid}}, claims)},
            {"scope", "openid offline_access"}};
  }
  static Answer error(const char *code) { return {400, {{"error", code}, {"error_description", "scripted"}}}; }

  static const testing::TestKey &key() {
    static const testing::TestKey k = testing::TestKey::rsa();
    return k;
  }

  std::vector<Steady::time_point> polls;
  std::vector<std::string> poll_bodies;
  std::vector<std::string> device_requests;

 private:
  std::mutex mutex_;
  std::string issuer_;
  bool device_endpoint_;
};

class DevicePolling : public ::testing::Test {
 protected:
  void SetUp() override { oidc::clear_discovery_cache(); }

  Result<Client> client(std::shared_ptr<ScriptedProvider> op) {
    ClientOptions o;
    o.issuer = issuer;
    o.client_id = "app";
    o.scopes = {"profile", "offline_access"};  // no openid: the SDK adds it
    o.storage = StorageKind::memory;
    o.platform.http = std::move(op);
    o.platform.locks = std::make_shared<NoLocks>();
    o.log_level = LogLevel::trace;
    o.log = [this](LogLevel, std::string_view line) { log += std::string(line) + "\n"; };
    return Client::create(std::move(o));
  }
  DeviceSignInOptions options() {
    DeviceSignInOptions o;
    o.on_user_code = [this](const DeviceCode &code) {
      shown = code;
      shown_at = Steady::now();
    };
    return o;
  }
  static double gap(Steady::time_point a, Steady::time_point b) { return std::chrono::duration<double>(b - a).count(); }

  const std::string issuer = "https://op.example";
  std::optional<DeviceCode> shown;
  Steady::time_point shown_at;
  std::string log;
};

TEST_F(DevicePolling, SlowDownAddsFiveSecondsToEveryLaterPoll) {
  auto op = std::make_shared<ScriptedProvider>(issuer);
  op->token_answers = {
      ScriptedProvider::error("authorization_pending"), ScriptedProvider::error("slow_down"), {200, op->success()}};
  auto c = client(op);
  ASSERT_TRUE(c) << c.error().to_string();
  auto session = c->sign_in_with_device_code(options());
  ASSERT_TRUE(session) << session.error().to_string() << "\n" << log;
  EXPECT_EQ(session->claims.subject(), "bob");
  ASSERT_EQ(op->polls.size(), 3u) << "polling must stop at the first success";
  EXPECT_GE(gap(shown_at, op->polls[0]), 0.95);  // the provider's interval: 1 s
  EXPECT_GE(gap(op->polls[0], op->polls[1]), 0.95);
  EXPECT_GE(gap(op->polls[1], op->polls[2]), 5.95);  // 1 s + 5 s after slow_down
  EXPECT_LT(gap(op->polls[1], op->polls[2]), 8.0);

  // RFC 8628 §3.1/§3.4: public client → client_id in the body; openid always requested.
  ASSERT_EQ(op->device_requests.size(), 1u);
  EXPECT_NE(op->device_requests[0].find("client_id=app"), std::string::npos);
  EXPECT_NE(op->device_requests[0].find("scope=openid%20profile%20offline_access"), std::string::npos)
      << op->device_requests[0];
  EXPECT_NE(op->poll_bodies[0].find("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code"),
            std::string::npos)
      << op->poll_bodies[0];
  EXPECT_NE(op->poll_bodies[0].find("client_id=app"), std::string::npos);
  // The device code is a secret: never logged, even at trace level.
  EXPECT_EQ(log.find("dc-secret-4f9a2b"), std::string::npos);
  ASSERT_TRUE(shown);
  EXPECT_EQ(shown->user_code, "WXYZ-1234");
  EXPECT_EQ(shown->interval, std::chrono::seconds(1));
}

TEST_F(DevicePolling, LostConnectionIsRetriedLessOften) {
  auto op = std::make_shared<ScriptedProvider>(issuer);
  op->token_answers = {{0, {}}, {200, op->success()}};
  auto c = client(op);
  ASSERT_TRUE(c);
  auto session = c->sign_in_with_device_code(options());
  ASSERT_TRUE(session) << session.error().to_string();
  ASSERT_EQ(op->polls.size(), 2u);
  EXPECT_GE(gap(op->polls[0], op->polls[1]), 1.95);  // §3.5: the interval doubled after the failure
}

TEST_F(DevicePolling, ServerExpiredTokenIsItsOwnCode) {
  auto op = std::make_shared<ScriptedProvider>(issuer);
  op->token_answers = {ScriptedProvider::error("expired_token")};
  auto c = client(op);
  ASSERT_TRUE(c);
  auto session = c->sign_in_with_device_code(options());
  ASSERT_FALSE(session);
  EXPECT_EQ(session.error().code, ErrorCode::device_code_expired);
  EXPECT_EQ(session.error().oauth_error, "expired_token");
  EXPECT_EQ(op->polls.size(), 1u);
}

TEST_F(DevicePolling, AccessDeniedAndOtherErrorsEndPolling) {
  auto op = std::make_shared<ScriptedProvider>(issuer);
  op->token_answers = {ScriptedProvider::error("access_denied")};
  auto c = client(op);
  ASSERT_TRUE(c);
  auto denied = c->sign_in_with_device_code(options());
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().code, ErrorCode::access_denied);

  op->token_answers = {ScriptedProvider::error("unauthorized_client")};
  auto refused = c->sign_in_with_device_code(options());
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::token_error);
  EXPECT_EQ(refused.error().oauth_error, "unauthorized_client");
  EXPECT_EQ(refused.error().oauth_description, "scripted");
  EXPECT_EQ(op->polls.size(), 2u);
}

TEST_F(DevicePolling, NoDeviceEndpointIsAClearError) {
  auto op = std::make_shared<ScriptedProvider>(issuer, false);
  auto c = client(op);
  ASSERT_TRUE(c);
  auto session = c->sign_in_with_device_code(options());
  ASSERT_FALSE(session);
  EXPECT_EQ(session.error().code, ErrorCode::missing_endpoint);
  EXPECT_NE(session.error().message.find("device_authorization_endpoint"), std::string::npos);
  EXPECT_TRUE(op->device_requests.empty());
  EXPECT_FALSE(shown);
}

TEST_F(DevicePolling, MissingIntervalMeansFiveSeconds) {
  auto op = std::make_shared<ScriptedProvider>(issuer);
  op->device_answer.erase("interval");
  op->device_answer["expires_in"] = 2;  // ends before the first 5 s poll: expired, never polled
  auto c = client(op);
  ASSERT_TRUE(c);
  const auto started = Steady::now();
  auto session = c->sign_in_with_device_code(options());
  ASSERT_FALSE(session);
  EXPECT_EQ(session.error().code, ErrorCode::device_code_expired);
  ASSERT_TRUE(shown);
  EXPECT_EQ(shown->interval, std::chrono::seconds(5));
  EXPECT_TRUE(op->polls.empty());
  EXPECT_GE(gap(started, Steady::now()), 1.9);
}

Result<core::DeviceAuthorization> parse(int status, const Json &body) {
  platform::HttpResponse r;
  r.status = status;
  r.body = SecretString(body.dump());
  return core::parse_device_authorization(r);
}

TEST(DeviceAuthorizationResponse, Rfc8628Example) {
  // RFC 8628 §3.2's example response.
  auto a = parse(200, {{"device_code", "GmRhmhcxhwAzkoEqiMEg_DnyEysNkuNhszIySk9eS"},
                       {"user_code", "WDJB-MJHT"},
                       {"verification_uri", "https://example.com/device"},
                       {"verification_uri_complete", "https://example.com/device?user_code=WDJB-MJHT"},
                       {"expires_in", 1800},
                       {"interval", 5}});
  ASSERT_TRUE(a) << a.error().to_string();
  EXPECT_EQ(a->device_code.reveal(), "GmRhmhcxhwAzkoEqiMEg_DnyEysNkuNhszIySk9eS");
  EXPECT_EQ(a->shown.user_code, "WDJB-MJHT");
  EXPECT_EQ(a->shown.verification_uri, "https://example.com/device");
  EXPECT_EQ(a->shown.verification_uri_complete, "https://example.com/device?user_code=WDJB-MJHT");
  EXPECT_EQ(a->expires_in, std::chrono::seconds(1800));
  EXPECT_EQ(a->shown.interval, std::chrono::seconds(5));
}

TEST(DeviceAuthorizationResponse, RefusesWhatAUserMustNotBeSentTo) {
  const Json ok = {
      {"device_code", "d"}, {"user_code", "u"}, {"verification_uri", "https://op.example/device"}, {"expires_in", 600}};
  EXPECT_TRUE(parse(200, ok));
  Json insecure = ok;
  insecure["verification_uri"] = "http://op.example/device";
  auto refused = parse(200, insecure);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::insecure_url);
  Json insecure_complete = ok;
  insecure_complete["verification_uri_complete"] = "http://op.example/device?user_code=u";
  EXPECT_FALSE(parse(200, insecure_complete));
  for (const char *member : {"device_code", "user_code", "verification_uri", "expires_in"}) {
    Json missing = ok;
    missing.erase(member);
    auto r = parse(200, missing);
    ASSERT_FALSE(r) << member;
    EXPECT_EQ(r.error().code, ErrorCode::malformed_response) << member;
  }
  Json negative = ok;
  negative["expires_in"] = 0;
  EXPECT_FALSE(parse(200, negative));
  Json zero_interval = ok;
  zero_interval["interval"] = 0;
  ASSERT_TRUE(parse(200, zero_interval));
  EXPECT_EQ(parse(200, zero_interval)->shown.interval, std::chrono::seconds(5));
  auto error = parse(400, {{"error", "invalid_client"}, {"error_description", "unknown client"}});
  ASSERT_FALSE(error);
  EXPECT_EQ(error.error().code, ErrorCode::authorization_error);
  EXPECT_EQ(error.error().oauth_error, "invalid_client");
  EXPECT_EQ(error.error().oauth_description, "unknown client");
}

}  // namespace
}  // namespace nativeauth
