// SPDX-License-Identifier: Apache-2.0
// The CNG key store (platform/windows/ncrypt_key_store.cpp) against the real key storage providers: a key made,
// signing what its public JWK verifies (crypto::verify_signature, the SDK's own ES256 check), refusing to be
// exported, reopened by a new store object, deleted, and deleted again. No fakes.
//
// Wine 8 cannot make an ECDSA P-256 key in NCrypt at all (NCryptCreatePersistedKey: "Algorithm not handled",
// NTE_NOT_SUPPORTED; named keys: "Persistent keys are not supported"; NCryptOpenKey is a stub). Under wine the
// lifecycle tests therefore check that creating fails cleanly (key_unavailable, naming the provider) and that
// make_ncrypt_key_store() answers nullptr, so the core falls back to software keys; then they skip, saying why.
#include "windows/ncrypt_key_store.hpp"

#include "core/base64url.hpp"
#include "crypto/crypto.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>
// clang-format off: needs <windows.h> first
#include <bcrypt.h>
#include <ncrypt.h>
// clang-format on

namespace nativeauth::windows {
namespace {

constexpr const char *kWineHasNoNcryptEcdsa =
    "wine 8's ncrypt cannot make an ECDSA P-256 key (NCryptCreatePersistedKey answers NTE_NOT_SUPPORTED, "
    "\"Algorithm not handled\"), persists no key and has no NCryptOpenKey: nothing of a CNG key's life can run";

/// True when this is a Windows build running under wine (ntdll exports wine_get_version only there).
bool under_wine() {
  HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
  return ntdll != nullptr && GetProcAddress(ntdll, "wine_get_version") != nullptr;
}

const platform::SlotKey kSlot{"https://issuer.example", "ncrypt-key-store-test", "default"};

crypto::JwkPublicKey parse_jwk(const std::string &text) {
  crypto::JwkPublicKey key;
  const nlohmann::json jwk = nlohmann::json::parse(text, nullptr, false);
  if (!jwk.is_object()) return key;
  auto bytes = [&](const char *member) {
    const auto decoded = core::base64url_decode(jwk.value(member, std::string()));
    return decoded ? crypto::Bytes(decoded->begin(), decoded->end()) : crypto::Bytes();
  };
  key.kty = jwk.value("kty", std::string());
  key.crv = jwk.value("crv", std::string());
  key.x = bytes("x");
  key.y = bytes("y");
  return key;
}

/// The key name in a reference "<provider>|<key name>", as UTF-16 for NCrypt.
std::wstring key_name_of(const SecretString &reference) {
  const std::string_view text = reference.reveal();
  const std::string name(text.substr(text.find('|') + 1));
  return std::wstring(name.begin(), name.end());
}

const wchar_t *provider_name(NcryptProvider p) {
  return p == NcryptProvider::platform ? MS_PLATFORM_CRYPTO_PROVIDER : MS_KEY_STORAGE_PROVIDER;
}
std::string narrow_ascii(const wchar_t *w) {  // the providers' names are ASCII
  std::string out;
  for (; *w != L'\0'; ++w) out += static_cast<char>(*w);
  return out;
}

class NcryptLifecycleTest : public ::testing::TestWithParam<NcryptProvider> {};

INSTANTIATE_TEST_SUITE_P(Providers, NcryptLifecycleTest,
                         ::testing::Values(NcryptProvider::platform, NcryptProvider::software),
                         [](const auto &p) { return p.param == NcryptProvider::platform ? "Tpm" : "Software"; });

// One key's whole life, so that each step runs on the key the step before made.
TEST_P(NcryptLifecycleTest, KeyIsMadeSignsStaysInsideIsReopenedAndDeleted) {
  const NcryptProvider which = GetParam();
  const std::string problem = ncrypt_provider_problem(which);
  auto store = make_ncrypt_key_store(which);
  EXPECT_EQ(store->name(), which == NcryptProvider::platform ? "cng-platform" : "cng-software");
  auto created = store->create(kSlot, "ES256");
  if (!problem.empty()) {
    // What a provider that cannot make keys does: a clean key_unavailable naming it, and nothing made.
    ASSERT_FALSE(created.has_value());
    EXPECT_EQ(created.error().code, ErrorCode::key_unavailable);
    EXPECT_NE(created.error().message.find(narrow_ascii(provider_name(which))), std::string::npos)
        << created.error().message;
    if (under_wine()) GTEST_SKIP() << kWineHasNoNcryptEcdsa;
    GTEST_SKIP() << "this machine's " << narrow_ascii(provider_name(which)) << " cannot make P-256 keys: " << problem;
  }
  ASSERT_TRUE(created.has_value()) << created.error().message;
  // Nothing left behind in the user's key store, whichever check below fails.
  struct RemoveAtEnd {
    platform::KeyStore &store;
    const SecretString &reference;
    ~RemoveAtEnd() { (void)store.remove(kSlot, reference); }
  } remove_at_end{*store, created->reference};
  const std::string reference(created->reference.reveal());
  EXPECT_EQ(reference.rfind(narrow_ascii(provider_name(which)) + "|nativeauth-dpop-", 0), 0u) << reference;

  // The public JWK: exactly the required members, in RFC 7638's order.
  const std::string jwk = created->key->public_jwk();
  const crypto::JwkPublicKey pub = parse_jwk(jwk);
  EXPECT_EQ(jwk, R"({"crv":"P-256","kty":"EC","x":")" + core::base64url_encode(pub.x.data(), pub.x.size()) +
                     R"(","y":")" + core::base64url_encode(pub.y.data(), pub.y.size()) + R"("})");
  EXPECT_EQ(created->key->algorithm(), "ES256");

  // Signs R ‖ S that verifies; a changed input does not.
  const std::string input = "eyJhbGciOiJFUzI1NiJ9.eyJqdGkiOiIxIn0";
  auto sig = created->key->sign(input);
  ASSERT_TRUE(sig.has_value()) << sig.error().message;
  EXPECT_EQ(sig->size(), 64u);
  EXPECT_TRUE(crypto::verify_signature("ES256", pub, input, *sig).has_value());
  EXPECT_FALSE(crypto::verify_signature("ES256", pub, input + "x", *sig).has_value());

  // Non-exportable: the provider refuses the private key in every form.
  NCRYPT_PROV_HANDLE prov = 0;
  ASSERT_EQ(NCryptOpenStorageProvider(&prov, provider_name(which), 0), ERROR_SUCCESS);
  NCRYPT_KEY_HANDLE raw = 0;
  ASSERT_EQ(NCryptOpenKey(prov, &raw, key_name_of(created->reference).c_str(), 0, NCRYPT_SILENT_FLAG), ERROR_SUCCESS);
  for (const wchar_t *blob : {BCRYPT_ECCPRIVATE_BLOB, NCRYPT_PKCS8_PRIVATE_KEY_BLOB, BCRYPT_PRIVATE_KEY_BLOB}) {
    std::vector<BYTE> out(4096);
    DWORD written = 0;
    EXPECT_NE(NCryptExportKey(raw, 0, blob, nullptr, out.data(), static_cast<DWORD>(out.size()), &written,
                              NCRYPT_SILENT_FLAG),
              ERROR_SUCCESS);
  }
  NCryptFreeObject(raw);
  NCryptFreeObject(prov);

  // A new store object (another process would do the same) reopens the key from the reference alone.
  auto again = make_ncrypt_key_store(which)->open(kSlot, created->reference);
  ASSERT_TRUE(again.has_value()) << again.error().message;
  EXPECT_EQ((*again)->public_jwk(), jwk);
  auto sig2 = (*again)->sign(input);
  ASSERT_TRUE(sig2.has_value()) << sig2.error().message;
  EXPECT_TRUE(crypto::verify_signature("ES256", pub, input, *sig2).has_value());

  // Deleted for good; deleting what is gone is fine.
  ASSERT_TRUE(store->remove(kSlot, created->reference).has_value());
  auto gone = store->open(kSlot, created->reference);
  ASSERT_FALSE(gone.has_value());
  EXPECT_EQ(gone.error().code, ErrorCode::key_unavailable);
  EXPECT_TRUE(store->remove(kSlot, created->reference).has_value());
}

TEST(NcryptKeyStore, ChoosesTheFirstProviderThatCanMakeP256KeysOrNone) {
  const std::string tpm = ncrypt_provider_problem(NcryptProvider::platform);
  const std::string software = ncrypt_provider_problem(NcryptProvider::software);
  auto chosen = make_ncrypt_key_store();
  EXPECT_EQ(make_ncrypt_key_store(), chosen);  // chosen once per process
  if (tpm.empty()) {
    ASSERT_NE(chosen, nullptr);
    EXPECT_EQ(chosen->name(), "cng-platform");
  } else if (software.empty()) {
    ASSERT_NE(chosen, nullptr);
    EXPECT_EQ(chosen->name(), "cng-software");
  } else {
    EXPECT_EQ(chosen, nullptr) << "no provider can make a P-256 key here, yet a store was chosen";
  }
  if (under_wine()) {
    // Wine opens any provider name and says yes to NCryptIsAlgSupported, but makes no P-256 key.
    EXPECT_EQ(chosen, nullptr);
    EXPECT_NE(software.find("Microsoft Software Key Storage Provider cannot make a P-256 key"), std::string::npos)
        << software;
    EXPECT_NE(tpm, "");
  }
}

TEST(NcryptKeyStore, OnlyEs256IsMade) {
  auto created = make_ncrypt_key_store(NcryptProvider::software)->create(kSlot, "EdDSA");
  ASSERT_FALSE(created.has_value());
  EXPECT_EQ(created.error().code, ErrorCode::invalid_argument);
}

TEST(NcryptKeyStore, ReferencesItDidNotMakeAreRefused) {
  auto store = make_ncrypt_key_store(NcryptProvider::software);
  for (const char *bad :
       {"", "nativeauth-dpop-00112233445566778899aabbccddeeff", "|nativeauth-dpop-00112233445566778899aabbccddeeff",
        "Microsoft Software Key Storage Provider|", "Microsoft Software Key Storage Provider|other-key",
        "Microsoft Software Key Storage Provider|nativeauth-dpop-00112233445566778899aabbccddeefg",
        "Microsoft Software Key Storage Provider|nativeauth-dpop-00112233445566778899aabbccddeeff0",
        "Some Other Provider|nativeauth-dpop-00112233445566778899aabbccddeeff"}) {
    auto opened = store->open(kSlot, SecretString(std::string(bad)));
    ASSERT_FALSE(opened.has_value()) << bad;
    EXPECT_EQ(opened.error().code, ErrorCode::key_unavailable) << bad;
    auto removed = store->remove(kSlot, SecretString(std::string(bad)));
    ASSERT_FALSE(removed.has_value()) << bad;
    EXPECT_EQ(removed.error().code, ErrorCode::key_unavailable) << bad;
  }
}

TEST(NcryptKeyStore, AKeyThatWasNeverMadeIsUnavailableAndRemovingItIsFine) {
  auto store = make_ncrypt_key_store(NcryptProvider::software);
  const SecretString never(std::string("Microsoft Software Key Storage Provider|nativeauth-dpop-") +
                           "0123456789abcdef0123456789abcdef");
  auto opened = store->open(kSlot, never);
  ASSERT_FALSE(opened.has_value());
  EXPECT_EQ(opened.error().code, ErrorCode::key_unavailable);
  if (under_wine()) GTEST_SKIP() << kWineHasNoNcryptEcdsa << " (NCryptOpenKey answers NTE_NOT_SUPPORTED for any name)";
  EXPECT_TRUE(store->remove(kSlot, never).has_value());
}

}  // namespace
}  // namespace nativeauth::windows
