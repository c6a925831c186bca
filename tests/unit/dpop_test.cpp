// SPDX-License-Identifier: Apache-2.0
// DPoP pieces without a server (RFC 9449): JWK thumbprints (RFC 7638's own example), proofs made by the
// software key store and checked as a server would (header, claims, ES256 signature by the embedded key),
// what counts as a nonce request, the per-server nonce book, and the software store's references.
#include "core/dpop.hpp"
#include "core/base64url.hpp"
#include "crypto/crypto.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <set>
#include <string>

namespace nativeauth::core {
namespace {

using Json = nlohmann::json;

platform::CreatedKey new_key() {
  auto created = platform::software_key_store()->create({"https://issuer.test", "app", "default"}, "ES256");
  EXPECT_TRUE(created) << created.error().to_string();
  return std::move(*created);
}

struct Jws {
  Json header, payload;
  std::string signing_input;
  crypto::Bytes signature;
};

Jws split(const SecretString &jwt) {
  const std::string s(jwt.reveal());
  const auto a = s.find('.'), b = s.find('.', a + 1);
  Jws out;
  out.header = Json::parse(base64url_decode(s.substr(0, a)).value_or(""), nullptr, false);
  out.payload = Json::parse(base64url_decode(s.substr(a + 1, b - a - 1)).value_or(""), nullptr, false);
  out.signing_input = s.substr(0, b);
  const std::string sig = base64url_decode(s.substr(b + 1)).value_or("");
  out.signature.assign(sig.begin(), sig.end());
  return out;
}

/// What a server does with a proof's signature: verify it with the JWK the header carries.
bool verifies(const Jws &jws) {
  crypto::JwkPublicKey key;
  key.kty = jws.header["jwk"].value("kty", "");
  key.crv = jws.header["jwk"].value("crv", "");
  const auto x = base64url_decode(jws.header["jwk"].value("x", "")).value_or("");
  const auto y = base64url_decode(jws.header["jwk"].value("y", "")).value_or("");
  key.x.assign(x.begin(), x.end());
  key.y.assign(y.begin(), y.end());
  return crypto::verify_signature(jws.header.value("alg", ""), key, jws.signing_input, jws.signature).has_value();
}

TEST(JwkThumbprint, Rfc7638Example) {
  // RFC 7638 §3.1, with members in another order and an extra one, which must not count.
  const std::string jwk =
      R"({"e":"AQAB","alg":"RS256","kid":"2011-04-29","kty":"RSA","n":")"
      R"(0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw)"
      R"("})";
  auto t = jwk_thumbprint(jwk);
  ASSERT_TRUE(t) << t.error().to_string();
  EXPECT_EQ(*t, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
}

TEST(JwkThumbprint, RefusesPrivateMembersAndUnknownTypes) {
  EXPECT_EQ(jwk_thumbprint(R"({"kty":"EC","crv":"P-256","x":"a","y":"b","d":"c"})").error().code,
            ErrorCode::key_unavailable);
  EXPECT_EQ(jwk_thumbprint(R"({"kty":"oct","k":"c"})").error().code, ErrorCode::key_unavailable);
  EXPECT_EQ(jwk_thumbprint(R"({"kty":"EC","crv":"P-256","x":"a"})").error().code, ErrorCode::key_unavailable);
  EXPECT_EQ(jwk_thumbprint("[]").error().code, ErrorCode::key_unavailable);
}

TEST(DpopProof, CarriesTheClaimsAndVerifiesWithTheEmbeddedKey) {
  auto key = new_key();
  const SecretString token("an-access-token");
  const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000));
  auto proof = make_proof(*key.key, {"GET", "https://api.test:8443/v1/items?page=2#top", "n-1", &token, now});
  ASSERT_TRUE(proof) << proof.error().to_string();
  const Jws jws = split(*proof);
  EXPECT_EQ(jws.header.value("typ", ""), "dpop+jwt");
  EXPECT_EQ(jws.header.value("alg", ""), "ES256");
  EXPECT_EQ(jws.header["jwk"].dump(), Json::parse(key.key->public_jwk()).dump());
  EXPECT_FALSE(jws.header["jwk"].contains("d")) << "never the private key";
  EXPECT_EQ(jws.payload.value("htm", ""), "GET");
  EXPECT_EQ(jws.payload.value("htu", ""), "https://api.test:8443/v1/items") << "no query, no fragment (§4.2)";
  EXPECT_EQ(jws.payload.value("iat", 0LL), 1'800'000'000LL);
  EXPECT_EQ(jws.payload.value("nonce", ""), "n-1");
  auto ath = crypto::sha256("an-access-token");
  EXPECT_EQ(jws.payload.value("ath", ""), base64url_encode(ath->data(), ath->size()));
  EXPECT_GE(jws.payload.value("jti", "").size(), 22u);
  EXPECT_EQ(jws.signature.size(), 64u);
  EXPECT_TRUE(verifies(jws));
  Jws forged = jws;
  forged.signing_input[forged.signing_input.size() - 2] ^= 1;
  EXPECT_FALSE(verifies(forged));
}

TEST(DpopProof, TokenRequestProofsHaveNoAthOrNonceAndFreshJti) {
  auto key = new_key();
  std::set<std::string> jtis;
  for (int i = 0; i < 20; ++i) {
    auto proof = make_proof(*key.key, {"POST", "http://127.0.0.1:9/token", "", nullptr, {}});
    ASSERT_TRUE(proof);
    const Jws jws = split(*proof);
    EXPECT_FALSE(jws.payload.contains("ath"));
    EXPECT_FALSE(jws.payload.contains("nonce"));
    jtis.insert(jws.payload.value("jti", ""));
    EXPECT_TRUE(verifies(jws));
  }
  EXPECT_EQ(jtis.size(), 20u) << "every proof has its own jti";
  EXPECT_EQ(make_proof(*key.key, {"GET", "/relative", "", nullptr, {}}).error().code, ErrorCode::invalid_argument);
}

platform::HttpResponse answer(int status, std::string body, std::string nonce, std::string challenge) {
  platform::HttpResponse r;
  r.status = status;
  r.body = SecretString(std::move(body));
  r.dpop_nonce = std::move(nonce);
  r.www_authenticate = std::move(challenge);
  return r;
}

TEST(DpopNonce, WhatAsksForOne) {
  EXPECT_TRUE(asks_for_nonce(answer(400, R"({"error":"use_dpop_nonce"})", "n", "")));
  EXPECT_FALSE(asks_for_nonce(answer(400, R"({"error":"use_dpop_nonce"})", "", ""))) << "no nonce given";
  EXPECT_FALSE(asks_for_nonce(answer(400, R"({"error":"invalid_dpop_proof"})", "n", "")));
  EXPECT_TRUE(asks_for_nonce(answer(401, "", "n", R"(DPoP error="use_dpop_nonce", algs="ES256")")));
  EXPECT_FALSE(asks_for_nonce(answer(401, "", "n", R"(Bearer error="use_dpop_nonce")"))) << "only DPoP's challenge";
  EXPECT_FALSE(asks_for_nonce(answer(401, "", "n", R"(DPoP error="invalid_token")")));
  EXPECT_FALSE(asks_for_nonce(answer(200, R"({"error":"use_dpop_nonce"})", "n", "")));
}

TEST(DpopNonce, KeptPerServerOrigin) {
  NonceBook book;
  book.remember("https://as.test/token", answer(400, "", "as-nonce", ""));
  book.remember("http://127.0.0.1:8080/userinfo", answer(401, "", "rs-nonce", ""));
  EXPECT_EQ(book.nonce_for("https://as.test:443/par?x=1"), "as-nonce") << "the default port is the same origin";
  EXPECT_EQ(book.nonce_for("https://AS.test/other"), "as-nonce");
  EXPECT_EQ(book.nonce_for("http://127.0.0.1:8080/api"), "rs-nonce");
  EXPECT_EQ(book.nonce_for("http://127.0.0.1:8081/api"), "") << "another port, another server";
  EXPECT_EQ(book.nonce_for("http://as.test/token"), "") << "another scheme, another server";
  book.remember("https://as.test/token", answer(200, "", "bad\"nonce", ""));
  EXPECT_EQ(book.nonce_for("https://as.test/token"), "as-nonce") << "a nonce outside NQCHAR is ignored";
  book.remember("https://as.test/token", answer(200, "", "next", ""));
  EXPECT_EQ(book.nonce_for("https://as.test/token"), "next");
}

// Client::use_dpop_nonce(): a nonce the app saw itself, checked like one from a response.
TEST(DpopNonce, GivenByTheAppIsKeptOnlyWhenItIsANonceForAnOrigin) {
  NonceBook book;
  EXPECT_TRUE(book.remember("https://rs.test/me", std::string_view("seen-by-curl")));
  EXPECT_EQ(book.nonce_for("https://rs.test/other"), "seen-by-curl");
  EXPECT_FALSE(book.remember("https://rs.test/me", std::string_view("bad\"nonce")));
  EXPECT_FALSE(book.remember("https://rs.test/me", std::string_view("")));
  EXPECT_FALSE(book.remember("https://rs.test/me", std::string_view(std::string(1025, 'n'))));
  EXPECT_EQ(book.nonce_for("https://rs.test/me"), "seen-by-curl") << "a refused nonce replaces nothing";
  EXPECT_FALSE(book.remember("rs.test/me", std::string_view("n"))) << "not an absolute URL";
}

TEST(SoftwareKeyStore, ReopensTheSameKeyFromItsReference) {
  auto store = platform::software_key_store();
  EXPECT_EQ(store->name(), "software");
  auto created = new_key();
  auto jkt = jwk_thumbprint(created.key->public_jwk());
  ASSERT_TRUE(jkt);
  auto reopened = store->open({"https://issuer.test", "app", "default"}, created.reference);
  ASSERT_TRUE(reopened) << reopened.error().to_string();
  EXPECT_EQ(*jwk_thumbprint((*reopened)->public_jwk()), *jkt);
  auto proof = make_proof(**reopened, {"POST", "https://as.test/token", "", nullptr, {}});
  ASSERT_TRUE(proof);
  const Jws jws = split(*proof);
  EXPECT_TRUE(verifies(jws));
  EXPECT_EQ(jws.header["jwk"].dump(), Json::parse(created.key->public_jwk()).dump());
  EXPECT_TRUE(store->remove({"https://issuer.test", "app", "default"}, created.reference));
}

TEST(SoftwareKeyStore, RefusesReferencesThatAreNotItsKeys) {
  auto store = platform::software_key_store();
  const platform::SlotKey slot{"https://issuer.test", "app", "default"};
  EXPECT_EQ(store->open(slot, SecretString("not json")).error().code, ErrorCode::key_unavailable);
  auto a = new_key();
  auto b = new_key();
  Json mixed = Json::parse(a.reference.reveal());
  mixed["x"] = Json::parse(b.reference.reveal())["x"];  // a's private key with b's point
  EXPECT_EQ(store->open(slot, SecretString(mixed.dump())).error().code, ErrorCode::key_unavailable);
  Json other_curve = Json::parse(a.reference.reveal());
  other_curve["crv"] = "P-384";
  EXPECT_EQ(store->open(slot, SecretString(other_curve.dump())).error().code, ErrorCode::key_unavailable);
  EXPECT_EQ(store->create(slot, "RS256").error().code, ErrorCode::invalid_argument);
}

}  // namespace
}  // namespace nativeauth::core
