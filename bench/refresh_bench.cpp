// SPDX-License-Identifier: Apache-2.0
// A refresh round trip, everything real: access_token({force_refresh = true}) against the dev provider
// (tests/support/provider) with the session in the Secret Service keyring, beside the floor — a bare
// libcurl POST of the same refresh_token grant. Target (docs/performance.md): SDK ≤ 1.1 × floor.
//
// One SDK iteration (BM_RefreshSdk/keychain:1) is the whole refresh: the slot's process lock, a
// keychain read, the grant (on a fresh connection), ID token validation (JWKS cached), a keychain
// write, and publishing the state. BM_RefreshSdk/keychain:0 is the same with the session in memory.
// One floor iteration is curl_easy_perform on a handle reused across iterations (its connection stays
// open), with the refresh token the previous iteration got back (tokens rotate), then reading the new
// refresh token out of the response. The request is the SDK's own (core::make_token_request). The
// floor uses its own client (nativeauth-test-b), thus its own grant: the two chains never meet.
//
// The parts, to see what limits the SDK figure:
//   BarePost variants     a new connection per grant; the provider left idle before each grant
//   SdkTransport          the SDK's HttpTransport sending the floor's grant
//   KeychainRead/Write    the SDK store's load and save of the same record (a slot of their own)
//   KeychainBareRead/Write  the same through libsecret's simple API, as secret-tool does it
// A refresh must store the rotated refresh token before it hands out the new access token, so "bare
// POST + bare read + bare write" is the floor of a correct refresh; the bare POST alone is the floor
// the issue names.
//
// Runs inside tests/support/keyring-env only (it refuses to write to a real keyring). Repetitions are
// interleaved at random, so a machine that gets busier during the run slows both sides alike.
#include <nativeauth/nativeauth.hpp>

#include "core/token_endpoint.hpp"
#include "libcurl/curl_transport.hpp"
#include "oidc/discovery.hpp"
#include "provider_process.hpp"

#include <benchmark/benchmark.h>
#include <curl/curl.h>
#include <libsecret/secret.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace {

using nativeauth::testing::ProviderProcess;
using nativeauth::testing::ScopedEnv;
using nativeauth::testing::TempDir;

struct World {
  std::unique_ptr<ProviderProcess> provider;
  std::optional<nativeauth::Client> sdk;         ///< nativeauth-test, keychain store
  std::optional<nativeauth::Client> sdk_memory;  ///< nativeauth-cli, memory store: no keychain in the way
  std::string token_endpoint;
  std::string floor_client_id = "nativeauth-test-b";
  std::string floor_refresh_token;                                  ///< the floor's own chain of rotation
  std::shared_ptr<nativeauth::platform::CredentialStore> keychain;  ///< for KeychainRead/KeychainWrite
  nativeauth::SecretString sample_record;
};
World *g_world = nullptr;

[[noreturn]] void fail(const std::string &why) {
  std::fprintf(stderr, "refresh_bench: %s\n", why.c_str());
  std::exit(1);
}

/// Signs in through the headless test browser and waits until Chromium is gone (its result file).
nativeauth::Session sign_in(nativeauth::Client &client, const TempDir &tmp) {
  const std::string result = tmp.file("result.json");
  std::remove(result.c_str());
  auto session = client.sign_in();
  if (!session) {
    fail("sign-in failed: " + session.error().to_string() + "\n" +
         nativeauth::testing::read_file(tmp.file("browser.log")));
  }
  if (!nativeauth::testing::wait_for_file(result, std::chrono::seconds(60))) fail("the browser did not finish");
  return std::move(*session);
}

void BM_RefreshSdk(benchmark::State &state) {
  nativeauth::Client &c = state.range(0) ? *g_world->sdk : *g_world->sdk_memory;
  nativeauth::AccessTokenOptions forced;
  forced.force_refresh = true;
  for (auto _ : state) {
    auto token = c.access_token(forced);
    if (!token) {
      state.SkipWithError(token.error().to_string().c_str());
      break;
    }
    benchmark::DoNotOptimize(token);
  }
}

size_t collect(char *ptr, size_t size, size_t nmemb, void *userdata) {
  static_cast<std::string *>(userdata)->append(ptr, size * nmemb);
  return size * nmemb;
}

void BM_RefreshBarePost(benchmark::State &state) {
  static CURL *easy = curl_easy_init();  // reused across iterations and repetitions: the connection stays
  std::string body;
  for (auto _ : state) {
    if (state.range(1) > 0) {
      state.PauseTiming();
      std::this_thread::sleep_for(std::chrono::microseconds(state.range(1)));
      state.ResumeTiming();
    }
    auto request = nativeauth::core::make_token_request(
        g_world->token_endpoint, {{"grant_type", "refresh_token"}, {"refresh_token", g_world->floor_refresh_token}},
        g_world->floor_client_id, nativeauth::SecretString());
    curl_slist *headers = nullptr;
    for (const auto &[name, value] : request.headers)
      headers = curl_slist_append(headers, (name + ": " + value).c_str());
    body.clear();
    curl_easy_setopt(easy, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, request.body.reveal().data());
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &collect);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(easy, CURLOPT_FRESH_CONNECT, static_cast<long>(state.range(0)));
    const CURLcode rc = curl_easy_perform(easy);
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, nullptr);
    curl_slist_free_all(headers);
    long status = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    if (rc != CURLE_OK || status != 200) {
      state.SkipWithError(rc != CURLE_OK ? curl_easy_strerror(rc) : "the provider refused the grant");
      break;
    }
    // The next iteration needs the rotated refresh token.
    nativeauth::platform::HttpResponse response;
    response.status = static_cast<int>(status);
    response.content_type = "application/json";
    response.body = nativeauth::SecretString(body);
    auto tokens = nativeauth::core::parse_token_response(response);
    if (!tokens || tokens->refresh_token.empty()) {
      state.SkipWithError("no refresh token in the response");
      break;
    }
    g_world->floor_refresh_token = std::string(tokens->refresh_token.reveal());
    benchmark::DoNotOptimize(g_world->floor_refresh_token);
  }
}

// The SDK's own HTTP transport (platform/libcurl/curl_transport.cpp) sending the same grant as the floor, on
// the floor's chain: what the transport adds (its options, a fresh connection per grant).
void BM_RefreshSdkTransport(benchmark::State &state) {
  static auto http = nativeauth::libcurl::make_curl_transport({});
  for (auto _ : state) {
    auto request = nativeauth::core::make_token_request(
        g_world->token_endpoint, {{"grant_type", "refresh_token"}, {"refresh_token", g_world->floor_refresh_token}},
        g_world->floor_client_id, nativeauth::SecretString());
    auto response = http->send(request);
    if (!response) {
      state.SkipWithError(response.error().to_string().c_str());
      break;
    }
    auto tokens = nativeauth::core::parse_token_response(*response);
    if (!tokens || tokens->refresh_token.empty()) {
      state.SkipWithError("no refresh token in the response");
      break;
    }
    g_world->floor_refresh_token = std::string(tokens->refresh_token.reveal());
  }
}

nativeauth::platform::SlotKey part_slot() { return {g_world->provider->issuer(), "nativeauth-bench", "keychain-part"}; }

void BM_KeychainRead(benchmark::State &state) {
  if (!g_world->keychain->save(part_slot(), g_world->sample_record)) {
    state.SkipWithError("keychain save failed");
    return;
  }
  for (auto _ : state) {
    auto loaded = g_world->keychain->load(part_slot());
    if (!loaded || !loaded->has_value()) {
      state.SkipWithError("keychain load failed");
      break;
    }
    benchmark::DoNotOptimize(loaded);
  }
}

void BM_KeychainWrite(benchmark::State &state) {
  for (auto _ : state) {
    if (!g_world->keychain->save(part_slot(), g_world->sample_record)) {
      state.SkipWithError("keychain save failed");
      break;
    }
  }
}

// The keychain's own floor: libsecret's simple API, as secret-tool uses it, on the same schema and
// attributes (io.nativeauth.Slot, see platform/linux/secret_store.cpp) and the same record.
const SecretSchema kSlotSchema = {"io.nativeauth.Slot",
                                  SECRET_SCHEMA_NONE,
                                  {{"issuer", SECRET_SCHEMA_ATTRIBUTE_STRING},
                                   {"client_id", SECRET_SCHEMA_ATTRIBUTE_STRING},
                                   {"profile", SECRET_SCHEMA_ATTRIBUTE_STRING},
                                   {nullptr, SECRET_SCHEMA_ATTRIBUTE_STRING}},
                                  0,
                                  nullptr,
                                  nullptr,
                                  nullptr,
                                  nullptr,
                                  nullptr,
                                  nullptr,
                                  nullptr};

GHashTable *bare_attributes() {
  static const std::string issuer = g_world->provider->issuer();
  GHashTable *attrs = g_hash_table_new(g_str_hash, g_str_equal);
  g_hash_table_insert(attrs, const_cast<char *>("issuer"), const_cast<char *>(issuer.c_str()));
  g_hash_table_insert(attrs, const_cast<char *>("client_id"), const_cast<char *>("nativeauth-bench"));
  g_hash_table_insert(attrs, const_cast<char *>("profile"), const_cast<char *>("keychain-bare"));
  return attrs;
}

bool bare_store() {
  GHashTable *attrs = bare_attributes();
  GError *error = nullptr;
  const bool ok = secret_password_storev_sync(&kSlotSchema, attrs, SECRET_COLLECTION_DEFAULT, "nativeauth bench",
                                              g_world->sample_record.reveal().data(), nullptr, &error);
  if (error) g_error_free(error);
  g_hash_table_unref(attrs);
  return ok;
}

void BM_KeychainBareRead(benchmark::State &state) {
  if (!bare_store()) {
    state.SkipWithError("secret_password_storev_sync failed");
    return;
  }
  for (auto _ : state) {
    GHashTable *attrs = bare_attributes();
    GError *error = nullptr;
    gchar *secret = secret_password_lookupv_sync(&kSlotSchema, attrs, nullptr, &error);
    g_hash_table_unref(attrs);
    if (error) g_error_free(error);
    if (!secret) {
      state.SkipWithError("secret_password_lookupv_sync found nothing");
      break;
    }
    secret_password_free(secret);
  }
}

void BM_KeychainBareWrite(benchmark::State &state) {
  for (auto _ : state) {
    if (!bare_store()) {
      state.SkipWithError("secret_password_storev_sync failed");
      break;
    }
  }
}

// keychain:1 is the refresh as apps run it; keychain:0 keeps the session in a MemoryCredentialStore
// (another client, its own grant chain): everything the SDK does but the platform keychain's read and
// write, i.e. what the SDK itself adds to the grant.
BENCHMARK(BM_RefreshSdk)->ArgName("keychain")->Arg(1)->Arg(0)->UseRealTime()->Unit(benchmark::kMillisecond);
// fresh_connect:0/idle_us:0 is the floor (a kept-alive connection, grants back to back).
// fresh_connect:1 opens a new connection per POST, as the SDK does for every grant (platform/libcurl/curl_transport.cpp:
// libcurl would otherwise re-send a grant by itself when a kept-alive connection turns out dead).
// idle_us:7000 leaves the provider idle for 7 ms before each grant (untimed), as it is during an SDK
// refresh while the keychain is read and written: an idle provider (and idle CPUs) answer slower.
BENCHMARK(BM_RefreshBarePost)
    ->ArgNames({"fresh_connect", "idle_us"})
    ->Args({0, 0})
    ->Args({1, 0})
    ->Args({1, 7000})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RefreshSdkTransport)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_KeychainRead)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_KeychainWrite)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_KeychainBareRead)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_KeychainBareWrite)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char **argv) {
  if (!std::getenv("NATIVEAUTH_KEYRING_ENV")) fail("run inside tests/support/keyring-env (it writes to the keyring)");

  // Defaults that the command line may override: interleaved repetitions, medians reported.
  std::vector<char *> args{argv[0]};
  std::string defaults[] = {"--benchmark_repetitions=5", "--benchmark_enable_random_interleaving=true",
                            "--benchmark_min_time=1", "--benchmark_report_aggregates_only=true"};
  for (auto &d : defaults) args.push_back(d.data());
  for (int i = 1; i < argc; ++i) args.push_back(argv[i]);
  int n = static_cast<int>(args.size());
  benchmark::Initialize(&n, args.data());
  if (benchmark::ReportUnrecognizedArguments(n, args.data())) return 1;

  curl_global_init(CURL_GLOBAL_DEFAULT);
  World world;
  g_world = &world;
  std::string why;
  world.provider = ProviderProcess::start({}, &why);
  if (!world.provider) fail("the dev provider did not start: " + why);

  TempDir tmp, profile;
  ScopedEnv env;
  nativeauth::testing::use_test_browser(env, "login", profile.path(), tmp.file("result.json"), tmp.file("browser.log"));

  const std::string issuer = world.provider->issuer();
  const nativeauth::platform::SlotKey slot{issuer, "nativeauth-test", "refresh-bench"};
  auto options = [&](const std::string &client_id, nativeauth::StorageKind storage) {
    nativeauth::ClientOptions o;
    o.issuer = issuer;
    o.client_id = client_id;
    o.profile = slot.profile;
    o.storage = storage;
    return o;
  };
  auto sdk = nativeauth::Client::create(options(slot.client_id, nativeauth::StorageKind::keychain));
  if (!sdk) fail(sdk.error().to_string());
  world.sdk.emplace(std::move(*sdk));
  (void)sign_in(*world.sdk, tmp);
  if (!world.sdk->access_token()) fail("access_token() after sign-in failed");

  auto memory = nativeauth::Client::create(options("nativeauth-cli", nativeauth::StorageKind::memory));
  if (!memory) fail(memory.error().to_string());
  world.sdk_memory.emplace(std::move(*memory));
  (void)sign_in(*world.sdk_memory, tmp);

  auto floor_client = nativeauth::Client::create(options(world.floor_client_id, nativeauth::StorageKind::memory));
  if (!floor_client) fail(floor_client.error().to_string());
  auto floor_session = sign_in(*floor_client, tmp);
  world.floor_refresh_token = std::string(floor_session.refresh_token.reveal());
  if (world.floor_refresh_token.empty()) fail("the provider issued no refresh token");

  auto http = nativeauth::libcurl::make_curl_transport({});
  auto metadata = nativeauth::oidc::discover(*http, issuer, {});
  if (!metadata) fail(metadata.error().to_string());
  world.token_endpoint = (*metadata)->token_endpoint;

  auto keychain = nativeauth::make_keychain_store({});
  if (!keychain) fail(keychain.error().to_string());
  world.keychain = *keychain;
  auto stored = world.keychain->load(slot);
  if (!stored || !stored->has_value()) fail("the signed-in session is not in the keychain");
  world.sample_record = std::move(**stored);

  benchmark::AddCustomContext("provider", "tests/support/provider (oidc-provider, RS256, loopback http)");
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  g_world = nullptr;
  return 0;
}
