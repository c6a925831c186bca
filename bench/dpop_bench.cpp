// SPDX-License-Identifier: Apache-2.0
// DPoP (RFC 9449) on the hot path. Targets (issue 15, docs/performance.md):
//   - a proof with the software ES256 key (BM_DpopProof: header and claims as JSON, a 128-bit jti, base64url,
//     SHA-256 of the token for ath, the ES256 signature) costs at most 2x a bare ES256 signature through
//     OpenSSL's EVP API in the same run (BM_OpenSslEs256Sign, the floor: EVP_DigestSign over a signing input
//     of a proof's size, with a fresh EVP_MD_CTX per signature as any one-shot caller has);
//   - Client::authorize() of a session with a valid token and its key already open (BM_Authorize: the
//     access-token fast path, the key lookup, a proof, the two header values) at most 50 us.
#include <nativeauth/nativeauth.hpp>

#include "core/dpop.hpp"
#include "core/record.hpp"

#include <benchmark/benchmark.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

namespace {

using namespace std::chrono_literals;

constexpr const char *kAccessToken = "Qk1WdGpzX0xfV2ZrT0V6c2xCR3VtY2VyS0ZVUjhIeTA";
constexpr const char *kUrl = "https://api.example.com/v1/items?page=2";

[[noreturn]] void die(const std::string &why) {
  std::fprintf(stderr, "dpop_bench: %s\n", why.c_str());
  std::exit(1);
}

std::shared_ptr<nativeauth::platform::ProofKey> software_key() {
  auto created = nativeauth::platform::software_key_store()->create({}, "ES256");
  if (!created) die(created.error().to_string());
  return std::shared_ptr<nativeauth::platform::ProofKey>(std::move(created->key));
}

void BM_OpenSslEs256Sign(benchmark::State &state) {
  EVP_PKEY *key = EVP_EC_gen("P-256");
  if (!key) die("EVP_EC_gen failed");
  // A proof's signing input is about 330 bytes (header with the JWK, claims with ath).
  const std::string input(330, 'a');
  unsigned char sig[80];
  for (auto _ : state) {
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    std::size_t len = sizeof sig;
    if (EVP_DigestSignInit_ex(ctx, nullptr, "SHA256", nullptr, nullptr, key, nullptr) != 1 ||
        EVP_DigestSign(ctx, sig, &len, reinterpret_cast<const unsigned char *>(input.data()), input.size()) != 1) {
      die("EVP_DigestSign failed");
    }
    EVP_MD_CTX_free(ctx);
    benchmark::DoNotOptimize(sig);
  }
  EVP_PKEY_free(key);
}
BENCHMARK(BM_OpenSslEs256Sign);

void BM_DpopProof(benchmark::State &state) {
  auto key = software_key();
  const nativeauth::SecretString token(kAccessToken);
  for (auto _ : state) {
    auto proof = nativeauth::core::make_proof(*key, {"GET", kUrl, "", &token, std::chrono::system_clock::now()});
    if (!proof) die(proof.error().to_string());
    benchmark::DoNotOptimize(proof->reveal().data());
  }
}
BENCHMARK(BM_DpopProof);

nativeauth::Client bound_client() {
  nativeauth::ClientOptions options;
  options.issuer = "http://127.0.0.1:9";  // never contacted: the stored token is fresh for an hour
  options.client_id = "nativeauth-bench";
  options.profile = "dpop-bench";
  auto created = nativeauth::platform::software_key_store()->create({}, "ES256");
  if (!created) die(created.error().to_string());
  auto jkt = nativeauth::core::jwk_thumbprint(created->key->public_jwk());
  if (!jkt) die(jkt.error().to_string());

  nativeauth::Session session;
  session.issuer = options.issuer;
  session.client_id = options.client_id;
  session.profile = options.profile;
  session.access_token = nativeauth::SecretString(kAccessToken);
  session.token_type = "DPoP";
  const auto now = std::chrono::system_clock::now();
  session.access_token_expiry = now + 1h;
  session.issued_at = now;
  session.claims = nativeauth::Claims(R"({"sub":"alice"})");
  session.dpop = nativeauth::DpopBinding{"software", "ES256", *jkt, std::move(created->reference)};
  auto store = std::make_shared<nativeauth::MemoryCredentialStore>();
  if (!store->save({options.issuer, options.client_id, options.profile},
                   nativeauth::core::serialize_session(session, options.issuer + "/token"))) {
    die("could not fill the memory store");
  }
  options.platform.store = store;
  auto client = nativeauth::Client::create(std::move(options));
  if (!client) die(client.error().to_string());
  // The first call loads the record and opens the key (once); the benchmark measures the calls after it.
  auto first = client->authorize("GET", kUrl);
  if (!first || first->dpop.empty()) die(first ? "no proof" : first.error().to_string());
  return std::move(*client);
}

void BM_Authorize(benchmark::State &state) {
  nativeauth::Client client = bound_client();
  for (auto _ : state) {
    auto headers = client.authorize("GET", kUrl);
    if (!headers) die(headers.error().to_string());
    benchmark::DoNotOptimize(headers->dpop.reveal().data());
  }
}
BENCHMARK(BM_Authorize)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
