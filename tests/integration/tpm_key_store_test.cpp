// SPDX-License-Identifier: Apache-2.0
// The TPM key store (platform/linux/tpm_key_store.cpp) against a real TPM 2.0: swtpm, Debian's software TPM
// (libtpms), started by the fixture (tests/support/cpp/swtpm_process.hpp) on Unix sockets it binds itself
// before swtpm starts, its state in a throw-away directory. Signatures are checked with the
// SDK's own ES256 verifier against the public JWK. Skipped only when swtpm is not installed
// (scripts/bootstrap installs it).
#include "linux/tpm_key_store.hpp"

#include "core/base64url.hpp"
#include "core/platform_defaults.hpp"
#include "crypto/crypto.hpp"
#include "swtpm_process.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <tss2/tss2_mu.h>
#include <unistd.h>

namespace nativeauth {
namespace {

using crypto::Bytes;
using linux_platform::make_tpm_key_store;
using platform::SlotKey;
using testing::Swtpm;
using testing::swtpm_installed;

const SlotKey kSlot{"https://issuer.example", "tpm-test", "default"};

Bytes bytes_of(const std::string &b64) {
  const auto decoded = core::base64url_decode(b64);
  EXPECT_TRUE(decoded.has_value()) << b64;
  return decoded ? Bytes(decoded->begin(), decoded->end()) : Bytes();
}

crypto::JwkPublicKey jwk_key(const std::string &jwk) {
  const auto j = nlohmann::json::parse(jwk);
  crypto::JwkPublicKey key;
  key.kty = j.at("kty").get<std::string>();
  key.crv = j.at("crv").get<std::string>();
  key.x = bytes_of(j.at("x").get<std::string>());
  key.y = bytes_of(j.at("y").get<std::string>());
  return key;
}

/// ES256 over `input` with the key `jwk` describes: the SDK's own verifier (crypto.cpp, OpenSSL).
Result<void> verify(const std::string &jwk, const std::string &input, const std::vector<std::uint8_t> &signature) {
  return crypto::verify_signature("ES256", jwk_key(jwk), input, Bytes(signature.begin(), signature.end()));
}

class TpmKeyStore : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!swtpm_installed()) GTEST_SKIP() << "swtpm is not installed (Debian: swtpm; scripts/bootstrap installs it)";
    tpm_ = std::make_unique<Swtpm>();
  }
  std::unique_ptr<Swtpm> tpm_;
};

TEST_F(TpmKeyStore, SignaturesVerifyAsEs256WithThePublicJwk) {
  auto store = make_tpm_key_store(tpm_->tcti());
  EXPECT_EQ(store->name(), "tpm");
  auto created = store->create(kSlot, "ES256");
  ASSERT_TRUE(created) << created.error().to_string();
  EXPECT_EQ(created->key->algorithm(), "ES256");
  const std::string jwk = created->key->public_jwk();
  // RFC 7638's member order, base64url without padding, 32-byte coordinates (43 characters)
  EXPECT_TRUE(std::regex_match(
      jwk, std::regex(R"(\{"crv":"P-256","kty":"EC","x":"[A-Za-z0-9_-]{43}","y":"[A-Za-z0-9_-]{43}"\})")))
      << jwk;
  const std::string input = "eyJhbGciOiJFUzI1NiJ9.eyJodG0iOiJQT1NUIn0";
  auto signature = created->key->sign(input);
  ASSERT_TRUE(signature) << signature.error().to_string();
  EXPECT_EQ(signature->size(), 64u);
  auto verified = verify(jwk, input, *signature);
  EXPECT_TRUE(verified) << verified.error().to_string();
  // the negative twin: the same signature over other bytes does not verify
  EXPECT_FALSE(verify(jwk, input + "x", *signature));
  // inputs longer than one TPM hash buffer (1024 bytes) are hashed whole
  const std::string long_input(3000, 'a');
  auto long_signature = created->key->sign(long_input);
  ASSERT_TRUE(long_signature) << long_signature.error().to_string();
  EXPECT_TRUE(verify(jwk, long_input, *long_signature));
  EXPECT_FALSE(verify(jwk, long_input.substr(0, 1024), *long_signature));
}

TEST_F(TpmKeyStore, TheReferenceIsTheTpmWrappedBlobOfAKeyThatCannotLeaveTheTpm) {
  auto created = make_tpm_key_store(tpm_->tcti())->create(kSlot, "ES256");
  ASSERT_TRUE(created) << created.error().to_string();
  const std::string reference(created->reference.reveal());
  ASSERT_EQ(reference.rfind("tpm2-v1:", 0), 0u);
  const auto blob = core::base64url_decode(reference.substr(8));
  ASSERT_TRUE(blob);
  const auto *data = reinterpret_cast<const std::uint8_t *>(blob->data());
  TPM2B_PUBLIC pub{};
  TPM2B_PRIVATE priv{};
  std::size_t offset = 0;
  ASSERT_EQ(Tss2_MU_TPM2B_PUBLIC_Unmarshal(data, blob->size(), &offset, &pub), TSS2_RC_SUCCESS);
  ASSERT_EQ(Tss2_MU_TPM2B_PRIVATE_Unmarshal(data, blob->size(), &offset, &priv), TSS2_RC_SUCCESS);
  EXPECT_EQ(offset, blob->size()) << "the reference holds the public area and the wrapped private area only";
  // The TPM's own guarantee that the private key never leaves it in the clear: made inside it
  // (sensitiveDataOrigin), not duplicable to another TPM (fixedTPM) or parent (fixedParent).
  const TPMA_OBJECT attributes = pub.publicArea.objectAttributes;
  EXPECT_TRUE(attributes & TPMA_OBJECT_FIXEDTPM);
  EXPECT_TRUE(attributes & TPMA_OBJECT_FIXEDPARENT);
  EXPECT_TRUE(attributes & TPMA_OBJECT_SENSITIVEDATAORIGIN);
  EXPECT_TRUE(attributes & TPMA_OBJECT_SIGN_ENCRYPT);
  EXPECT_FALSE(attributes & TPMA_OBJECT_DECRYPT);
  // its public part is the JWK's
  const auto jwk = jwk_key(created->key->public_jwk());
  EXPECT_EQ(Bytes(pub.publicArea.unique.ecc.x.buffer, pub.publicArea.unique.ecc.x.buffer + 32), jwk.x);
  EXPECT_EQ(Bytes(pub.publicArea.unique.ecc.y.buffer, pub.publicArea.unique.ecc.y.buffer + 32), jwk.y);
  // A P-256 private scalar is 32 bytes; the wrapped private area is an HMAC and the encrypted sensitive area,
  // which no software can open without the TPM's storage key.
  EXPECT_GT(priv.size, 32u);
}

TEST_F(TpmKeyStore, AKeyReopenedFromItsReferenceInAnotherStoreAndProcessSignsForTheSameJwk) {
  std::string jwk;
  SecretString reference;
  {
    auto created = make_tpm_key_store(tpm_->tcti())->create(kSlot, "ES256");
    ASSERT_TRUE(created) << created.error().to_string();
    jwk = created->key->public_jwk();
    reference = std::move(created->reference);
  }
  auto reopened = make_tpm_key_store(tpm_->tcti())->open(kSlot, reference);
  ASSERT_TRUE(reopened) << reopened.error().to_string();
  EXPECT_EQ((*reopened)->public_jwk(), jwk);
  auto signature = (*reopened)->sign("a.b");
  ASSERT_TRUE(signature) << signature.error().to_string();
  EXPECT_TRUE(verify(jwk, "a.b", *signature));

  // a new process: it knows only the reference
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  const pid_t child = ::fork();
  if (child == 0) {
    auto key = make_tpm_key_store(tpm_->tcti())->open(kSlot, reference);
    auto sig = key ? (*key)->sign("c.d") : Result<std::vector<std::uint8_t>>(key.error());
    if (sig) (void)!::write(pipe_fds[1], sig->data(), sig->size());
    ::_exit(sig ? 0 : 1);
  }
  ::close(pipe_fds[1]);
  std::vector<std::uint8_t> from_child(64);
  std::size_t got = 0;
  for (ssize_t n; got < 64 && (n = ::read(pipe_fds[0], from_child.data() + got, 64 - got)) > 0;) got += n;
  ::close(pipe_fds[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  ASSERT_EQ(got, 64u);
  EXPECT_TRUE(verify(jwk, "c.d", from_child));
}

TEST_F(TpmKeyStore, AKeySurvivesARestartOfTheTpmWithTheSameState) {
  auto created = make_tpm_key_store(tpm_->tcti())->create(kSlot, "ES256");
  ASSERT_TRUE(created) << created.error().to_string();
  const std::string jwk = created->key->public_jwk();
  tpm_->stop();
  auto while_down = created->key->sign("a.b");
  ASSERT_FALSE(while_down);
  EXPECT_EQ(while_down.error().code, ErrorCode::key_unavailable);
  tpm_->start();
  // the key object made before the restart signs again, and the reference opens in a new store
  auto signature = created->key->sign("a.b");
  ASSERT_TRUE(signature) << signature.error().to_string();
  EXPECT_TRUE(verify(jwk, "a.b", *signature));
  auto reopened = make_tpm_key_store(tpm_->tcti())->open(kSlot, created->reference);
  ASSERT_TRUE(reopened) << reopened.error().to_string();
  auto again = (*reopened)->sign("e.f");
  ASSERT_TRUE(again) << again.error().to_string();
  EXPECT_TRUE(verify(jwk, "e.f", *again));
}

TEST_F(TpmKeyStore, ABlobFromAnotherTpmIsKeyUnavailable) {
  auto created = make_tpm_key_store(tpm_->tcti())->create(kSlot, "ES256");
  ASSERT_TRUE(created) << created.error().to_string();
  Swtpm other;  // another TPM: other seeds, another storage key
  auto store = make_tpm_key_store(other.tcti());
  auto opened = store->open(kSlot, created->reference);
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code, ErrorCode::key_unavailable);
  EXPECT_NE(opened.error().message.find("another TPM"), std::string::npos) << opened.error().message;
  EXPECT_NE(opened.error().message.find("sign in again"), std::string::npos) << opened.error().message;
  // the twin: the TPM that made it opens it
  EXPECT_TRUE(make_tpm_key_store(tpm_->tcti())->open(kSlot, created->reference));
}

TEST_F(TpmKeyStore, AReferenceThatIsNoTpmBlobIsKeyUnavailable) {
  auto store = make_tpm_key_store(tpm_->tcti());
  for (const char *bad : {"", "tpm2-v1:", "tpm2-v1:!!!!", "tpm2-v1:AAAA", "software:abc"}) {
    auto opened = store->open(kSlot, SecretString(bad));
    ASSERT_FALSE(opened) << bad;
    EXPECT_EQ(opened.error().code, ErrorCode::key_unavailable) << bad;
  }
  auto es384 = store->create(kSlot, "ES384");
  ASSERT_FALSE(es384);
  EXPECT_EQ(es384.error().code, ErrorCode::invalid_argument);
}

TEST_F(TpmKeyStore, TwoThreadsSignAtOnce) {
  auto store = make_tpm_key_store(tpm_->tcti());
  auto first = store->create(kSlot, "ES256");
  auto second = store->create(kSlot, "ES256");
  ASSERT_TRUE(first && second);
  std::vector<std::thread> threads;
  std::vector<int> verified(2, 0);
  platform::ProofKey *keys[] = {first->key.get(), second->key.get()};
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        const std::string input = "thread" + std::to_string(t) + "." + std::to_string(i);
        auto signature = keys[t]->sign(input);
        if (signature && verify(keys[t]->public_jwk(), input, *signature)) ++verified[t];
      }
    });
  }
  for (auto &thread : threads) thread.join();
  EXPECT_EQ(verified[0], 10);
  EXPECT_EQ(verified[1], 10);
}

// No TPM at the address: a Unix socket nobody listens on, and a TCP port bound but not listening (the
// kernel refuses the connection; no other process can take the port meanwhile). Refused at once.
TEST(TpmKeyStoreUnreachable, NoTpmAtTheTctiIsKeyUnavailableAtOnceWithWhatToDo) {
  if (!swtpm_installed()) GTEST_SKIP() << "swtpm is not installed (Debian: swtpm; scripts/bootstrap installs it)";
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr *>(&address), sizeof(address)), 0);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr *>(&address), &length), 0);
  const std::string tcp = "swtpm:host=127.0.0.1,port=" + std::to_string(ntohs(address.sin_port));
  for (const std::string &tcti : {tcp, std::string("swtpm:path=/nonexistent/nativeauth/sock")}) {
    const auto started = std::chrono::steady_clock::now();
    auto created = make_tpm_key_store(tcti)->create(kSlot, "ES256");
    const auto took = std::chrono::steady_clock::now() - started;
    ASSERT_FALSE(created) << tcti;
    EXPECT_EQ(created.error().code, ErrorCode::key_unavailable);
    EXPECT_LT(took, std::chrono::seconds(2)) << tcti;
    const std::string &message = created.error().message;
    EXPECT_NE(message.find(tcti), std::string::npos) << message;
    EXPECT_NE(message.find("NATIVEAUTH_TPM_TCTI"), std::string::npos) << message;
    EXPECT_NE(message.find("NATIVEAUTH_TPM=off"), std::string::npos) << message;
  }
  ::close(fd);
}

// tpm2-tss missing or broken: ctest runs this alone with a stand-in libtss2-esys.so.0 that has no ESAPI
// (tss_stub.c, first in LD_LIBRARY_PATH); the store must say what to install, and nothing else may fail.
TEST(TpmKeyStoreWithoutTss, CreateAndOpenSayWhatToInstall) {
  if (!std::getenv("NATIVEAUTH_TEST_TSS_STUB")) GTEST_SKIP() << "run by ctest with the stand-in libtss2-esys.so.0";
  auto store = make_tpm_key_store("swtpm:path=/nonexistent/sock");
  auto created = store->create(kSlot, "ES256");
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().code, ErrorCode::key_unavailable);
  EXPECT_NE(created.error().message.find("libtss2-esys"), std::string::npos) << created.error().message;
  EXPECT_NE(created.error().message.find("NATIVEAUTH_TPM=off"), std::string::npos) << created.error().message;
  auto opened = store->open(kSlot, SecretString("tpm2-v1:AAAA"));
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code, ErrorCode::key_unavailable);
  EXPECT_NE(opened.error().message.find("libtss2-esys"), std::string::npos) << opened.error().message;
}

// make_tpm_key_store_if_present(): the environment decides, without touching a TPM.
TEST(TpmKeyStoreDetection, TheEnvironmentChoosesTheTpmStoreOrNone) {
  ::setenv("NATIVEAUTH_TPM_TCTI", "swtpm:path=/nonexistent/sock", 1);
  auto store = linux_platform::make_tpm_key_store_if_present();
  ASSERT_TRUE(store);
  EXPECT_EQ(store->name(), "tpm");
  EXPECT_EQ(linux_platform::tpm_tcti_from_environment(), "swtpm:path=/nonexistent/sock");
  ::setenv("NATIVEAUTH_TPM", "off", 1);
  EXPECT_FALSE(linux_platform::make_tpm_key_store_if_present());
  ::unsetenv("NATIVEAUTH_TPM");
  ::unsetenv("NATIVEAUTH_TPM_TCTI");
  EXPECT_EQ(linux_platform::tpm_tcti_from_environment(), "device:/dev/tpmrm0");
  EXPECT_EQ(static_cast<bool>(linux_platform::make_tpm_key_store_if_present()),
            ::access("/dev/tpmrm0", R_OK | W_OK) == 0);
}

// Linux's defaults (platform/linux/defaults.cpp) give a Client the TPM store when there is a TPM, and leave an
// app's own store alone.
TEST(TpmKeyStoreDetection, LinuxDefaultsUseTheTpmStoreWhenThereIsATpm) {
  ClientOptions options;
  options.storage = StorageKind::memory;
  ::setenv("NATIVEAUTH_TPM_TCTI", "swtpm:path=/nonexistent/sock", 1);
  auto defaults = platform::complete(platform::Platform{}, options);
  ASSERT_TRUE(defaults) << defaults.error().to_string();
  ASSERT_TRUE(defaults->platform.keys);
  EXPECT_EQ(defaults->platform.keys->name(), "tpm");
  platform::Platform own;
  own.keys = make_tpm_key_store("swtpm:path=/app/own");  // any store the app gives
  auto with_own = platform::complete(own, options);
  ASSERT_TRUE(with_own) << with_own.error().to_string();
  EXPECT_EQ(with_own->platform.keys, own.keys);
  ::setenv("NATIVEAUTH_TPM", "off", 1);
  auto opted_out = platform::complete(platform::Platform{}, options);
  ASSERT_TRUE(opted_out) << opted_out.error().to_string();
  EXPECT_FALSE(opted_out->platform.keys) << "left empty: the core fills in its software store";
  ::unsetenv("NATIVEAUTH_TPM");
  ::unsetenv("NATIVEAUTH_TPM_TCTI");
}

}  // namespace
}  // namespace nativeauth
