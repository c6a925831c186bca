// SPDX-License-Identifier: Apache-2.0
// URL and query handling: encoding, parsing, loopback rules, redaction.
#include "core/url.hpp"

#include <gtest/gtest.h>

namespace nativeauth::core {
namespace {

TEST(Url, PercentEncodeKeepsOnlyUnreserved) {
  EXPECT_EQ(percent_encode("aZ09-._~"), "aZ09-._~");
  EXPECT_EQ(percent_encode("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
}

TEST(Url, PercentDecode) {
  EXPECT_EQ(percent_decode("a%20b+c", true), "a b c");
  EXPECT_EQ(percent_decode("a+c", false), "a+c");
  EXPECT_FALSE(percent_decode("%2", true));
  EXPECT_FALSE(percent_decode("%zz", true));
  EXPECT_FALSE(percent_decode("abc%", true));
}

TEST(Url, ParamsRoundTrip) {
  const Params p = {{"scope", "openid profile"}, {"redirect_uri", "http://127.0.0.1:1/cb?x=1&y"}, {"empty", ""}};
  const auto parsed = parse_params(encode_params(p));
  ASSERT_TRUE(parsed);
  EXPECT_EQ(*parsed, p);
}

TEST(Url, ParseParamsHandlesEdgeCases) {
  auto p = parse_params("a=1&&b&c=x%3Dy&a=2");
  ASSERT_TRUE(p);
  EXPECT_EQ(find_param(*p, "a"), "1");
  EXPECT_EQ(find_param(*p, "b"), "");
  EXPECT_EQ(find_param(*p, "c"), "x=y");
  EXPECT_EQ(count_param(*p, "a"), 2u);
  EXPECT_FALSE(find_param(*p, "d"));
  EXPECT_FALSE(parse_params("a=%G1"));
}

TEST(Url, AppendQueryKeepsExistingQueryAndDropsFragment) {
  EXPECT_EQ(append_query("https://p/auth", {{"a", "1"}}), "https://p/auth?a=1");
  EXPECT_EQ(append_query("https://p/auth?tenant=x", {{"a", "1"}}), "https://p/auth?tenant=x&a=1");
  EXPECT_EQ(append_query("https://p/auth?", {{"a", "1"}}), "https://p/auth?a=1");
  EXPECT_EQ(append_query("https://p/auth#frag", {{"a", "1"}}), "https://p/auth?a=1");
}

TEST(Url, ParseUrl) {
  auto u = parse_url("HTTPS://Example.COM:8443/tenant/x?y=1#f");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->scheme, "https");
  EXPECT_EQ(u->host, "example.com");
  EXPECT_EQ(u->port, 8443);
  EXPECT_EQ(u->path, "/tenant/x");
  EXPECT_EQ(u->query, "y=1");
  EXPECT_EQ(u->fragment, "f");
  auto v6 = parse_url("http://[::1]:9/cb");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 9);
  EXPECT_FALSE(parse_url("no-scheme"));
  EXPECT_FALSE(parse_url("https:/x"));
  EXPECT_FALSE(parse_url("https://user:pw@host/"));
  EXPECT_FALSE(parse_url("https://host:99999/"));
  EXPECT_FALSE(parse_url("https://:80/"));
}

TEST(Url, LoopbackHosts) {
  for (const char *h : {"127.0.0.1", "127.1.2.3", "::1", "localhost"}) EXPECT_TRUE(is_loopback_host(h)) << h;
  for (const char *h :
       {"127.0.0.1.evil.com", "128.0.0.1", "1.2.3.4", "example.com", "127.0.0", "127.0.0.256", "localhost.evil"})
    EXPECT_FALSE(is_loopback_host(h)) << h;
}

TEST(Url, RequireSecureUrl) {
  EXPECT_TRUE(require_secure_url("https://idp.example/", "issuer"));
  EXPECT_TRUE(require_secure_url("http://127.0.0.1:4000/tenant", "issuer"));
  EXPECT_TRUE(require_secure_url("http://localhost:4000", "issuer"));
  const auto bad = require_secure_url("http://idp.example/", "issuer");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::insecure_url);
  EXPECT_FALSE(require_secure_url("ftp://idp.example/", "issuer"));
  EXPECT_FALSE(require_secure_url("http://127.0.0.1.nip.io/", "issuer"));
}

TEST(Url, RedactHidesSecretsKeepsHarmless) {
  const auto r = redact_url("https://p/auth?client_id=app&state=S3CR3T&code_challenge=C&scope=openid#x");
  EXPECT_EQ(r, "https://p/auth?client_id=app&state=***&code_challenge=***&scope=openid");
  EXPECT_EQ(redact_url("http://127.0.0.1:5/cb?code=abc&state=def&iss=x"),
            "http://127.0.0.1:5/cb?code=***&state=***&iss=x");
}

}  // namespace
}  // namespace nativeauth::core
