// SPDX-License-Identifier: Apache-2.0
// Discovery: well-known URLs for issuers with paths, exact issuer match, endpoint checks, RFC 8414 fallback.
#include "oidc/discovery.hpp"

#include <gtest/gtest.h>

#include <map>

namespace nativeauth::oidc {
namespace {

std::string doc(const std::string &issuer, const std::string &extra = "") {
  return R"({"issuer":")" + issuer + R"(","authorization_endpoint":")" + issuer + R"(/auth","token_endpoint":")" +
         issuer + R"(/token","jwks_uri":")" + issuer + R"(/jwks","code_challenge_methods_supported":["S256"],)" +
         R"("id_token_signing_alg_values_supported":["ES256"],"authorization_response_iss_parameter_supported":true)" +
         extra + "}";
}

TEST(Discovery, WellKnownUrls) {
  EXPECT_EQ(openid_configuration_url("https://idp.example"), "https://idp.example/.well-known/openid-configuration");
  EXPECT_EQ(openid_configuration_url("https://idp.example/tenant"),
            "https://idp.example/tenant/.well-known/openid-configuration");
  EXPECT_EQ(openid_configuration_url("https://idp.example/tenant/"),
            "https://idp.example/tenant/.well-known/openid-configuration");
  EXPECT_EQ(oauth_metadata_url("https://idp.example"), "https://idp.example/.well-known/oauth-authorization-server");
  EXPECT_EQ(oauth_metadata_url("https://idp.example/tenant/a"),
            "https://idp.example/.well-known/oauth-authorization-server/tenant/a");
}

TEST(Discovery, ParsesMetadata) {
  auto m = parse_provider_metadata(doc("https://idp.example/t"), "https://idp.example/t");
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->token_endpoint, "https://idp.example/t/token");
  EXPECT_TRUE(m->authorization_response_iss_parameter_supported);
  EXPECT_EQ(m->id_token_signing_alg_values_supported, std::vector<std::string>{"ES256"});
}

TEST(Discovery, ReadsPushedAuthorizationRequests) {
  // RFC 9126 §5: absent means no PAR endpoint, and PAR not required.
  auto none = parse_provider_metadata(doc("https://idp.example"), "https://idp.example");
  ASSERT_TRUE(none) << none.error().message;
  EXPECT_TRUE(none->pushed_authorization_request_endpoint.empty());
  EXPECT_FALSE(none->require_pushed_authorization_requests);

  auto required = parse_provider_metadata(
      doc("https://idp.example",
          R"(,"pushed_authorization_request_endpoint":"https://idp.example/par","require_pushed_authorization_requests":true)"),
      "https://idp.example");
  ASSERT_TRUE(required) << required.error().message;
  EXPECT_EQ(required->pushed_authorization_request_endpoint, "https://idp.example/par");
  EXPECT_TRUE(required->require_pushed_authorization_requests);

  // Not a boolean: the default (false), as for every boolean of the metadata.
  auto odd = parse_provider_metadata(doc("https://idp.example", R"(,"require_pushed_authorization_requests":"true")"),
                                     "https://idp.example");
  ASSERT_TRUE(odd) << odd.error().message;
  EXPECT_FALSE(odd->require_pushed_authorization_requests);

  // The PAR endpoint carries the whole authorization request: https (or loopback http) like every endpoint.
  auto insecure = parse_provider_metadata(doc("https://idp.example",
                                              R"(,"pushed_authorization_request_endpoint":"http://idp.example/par")"),
                                          "https://idp.example");
  ASSERT_FALSE(insecure);
  EXPECT_EQ(insecure.error().code, ErrorCode::insecure_url);
  EXPECT_NE(insecure.error().message.find("pushed_authorization_request_endpoint"), std::string::npos)
      << insecure.error().message;
}

TEST(Discovery, IssuerMustMatchExactly) {
  for (const char *configured : {"https://idp.example/t/", "https://idp.example/T", "https://idp.example"}) {
    auto m = parse_provider_metadata(doc("https://idp.example/t"), configured);
    ASSERT_FALSE(m) << configured;
    EXPECT_EQ(m.error().code, ErrorCode::issuer_mismatch);
  }
}

TEST(Discovery, RefusesInsecureEndpoints) {
  auto m = parse_provider_metadata(
      R"({"issuer":"https://idp.example","authorization_endpoint":"https://idp.example/a","token_endpoint":"http://idp.example/token"})",
      "https://idp.example");
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code, ErrorCode::insecure_url);
}

TEST(Discovery, RequiresEndpointsAndS256) {
  auto no_token = parse_provider_metadata(R"({"issuer":"https://i","authorization_endpoint":"https://i/a"})",
                                          "https://i");
  ASSERT_FALSE(no_token);
  EXPECT_EQ(no_token.error().code, ErrorCode::missing_endpoint);
  auto plain_only = parse_provider_metadata(
      R"({"issuer":"https://i","authorization_endpoint":"https://i/a","token_endpoint":"https://i/t","code_challenge_methods_supported":["plain"]})",
      "https://i");
  ASSERT_FALSE(plain_only);
  EXPECT_EQ(plain_only.error().code, ErrorCode::missing_endpoint);
  EXPECT_FALSE(parse_provider_metadata("not json", "https://i"));
}

/// Answers from a table of canned documents (a stand-in for a provider that serves only RFC 8414
/// metadata, which the test provider does not do) and records what was asked.
class TableTransport final : public platform::HttpTransport {
 public:
  std::map<std::string, std::pair<int, std::string>> table;
  std::vector<std::string> asked;
  Result<platform::HttpResponse> send(const platform::HttpRequest &request) override {
    asked.push_back(request.url);
    platform::HttpResponse r;
    const auto it = table.find(request.url);
    r.status = it == table.end() ? 404 : it->second.first;
    if (it != table.end()) r.body = SecretString(it->second.second);
    return r;
  }
};

TEST(Discovery, FallsBackToRfc8414AndCaches) {
  clear_discovery_cache();
  TableTransport http;
  const std::string issuer = "https://as.example/tenant";
  http.table["https://as.example/.well-known/oauth-authorization-server/tenant"] = {200, doc(issuer)};
  auto m = discover(http, issuer, {});
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(http.asked.size(), 2u);
  auto again = discover(http, issuer, {});
  ASSERT_TRUE(again);
  EXPECT_EQ(http.asked.size(), 2u) << "second discovery must come from the cache";
  clear_discovery_cache();
}

TEST(Discovery, ReportsBothFailures) {
  clear_discovery_cache();
  TableTransport http;
  auto m = discover(http, "https://nothing.example", {});
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code, ErrorCode::discovery_failed);
  EXPECT_NE(m.error().message.find("404"), std::string::npos);
}

TEST(Discovery, RefusesHttpIssuerThatIsNotLoopback) {
  clear_discovery_cache();
  TableTransport http;
  auto m = discover(http, "http://idp.example", {});
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code, ErrorCode::insecure_url);
  EXPECT_TRUE(http.asked.empty());
}

}  // namespace
}  // namespace nativeauth::oidc
