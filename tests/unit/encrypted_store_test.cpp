// SPDX-License-Identifier: Apache-2.0
// The passphrase-protected store (core/encrypted_store.cpp, core/encrypted_format.cpp, the Linux host in
// platform/linux/encrypted_store_host.cpp) against real files and the real kernel keyring. The test process
// joins a new anonymous session keyring and sets NATIVEAUTH_KEYRING=session, so the keys it makes live in a
// keyring only it (and its children) hold. Faults are made by hand in the files, as a disk, a backup tool or
// an attacker with the user's files would make them. The one wait is for the kernel's key timer, polled.
#include "provider_process.hpp"

#include <nativeauth/storage.hpp>

#include "core/base64url.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include <grp.h>
#include <linux/keyctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace nativeauth {
namespace {

using namespace std::chrono_literals;
using platform::SlotKey;
using testing::TempDir;
using Json = nlohmann::json;
namespace fs = std::filesystem;

const SlotKey kSlotA{"https://idp.example", "app", "default"};
const SlotKey kSlotB{"https://idp.example", "app", "work"};
constexpr char kRecord[] = "{\"refresh_token\":\"rt-must-never-be-on-disk-in-the-clear\"}";

std::string slurp(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}
void spit(const std::string &path, const std::string &text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

class EncryptedStore : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ASSERT_GE(::syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, 0UL, 0UL, 0UL, 0UL), 0)
        << "no kernel key retention service here";
    ::setenv("NATIVEAUTH_KEYRING", "session", 1);
  }
  void SetUp() override { options_.directory = tmp_.file("store"); }

  std::shared_ptr<platform::CredentialStore> store() {
    auto s = make_encrypted_file_store(options_);
    EXPECT_TRUE(s) << s.error().to_string();
    return s ? *s : nullptr;
  }
  void unlock(const char *passphrase = "correct horse battery staple", std::chrono::seconds d = 60s) {
    auto u = unlock_encrypted_store(SecretString(passphrase), d, options_);
    ASSERT_TRUE(u) << u.error().to_string();
    EXPECT_TRUE(u->unlocked);
  }
  /// The slot's file: the one *.slot file whose header names `profile`.
  std::string slot_file(const SlotKey &key) {
    for (const auto &e : fs::directory_iterator(options_.directory)) {
      const std::string p = e.path().string();
      if (p.size() > 5 && p.substr(p.size() - 5) == ".slot" &&
          slurp(p).find("\"profile\":\"" + key.profile + "\"") != std::string::npos) {
        return p;
      }
    }
    ADD_FAILURE() << "no file for slot " << key.profile;
    return {};
  }
  /// Splits a slot file into its header line and the sealed record (JSON).
  static std::pair<std::string, Json> split(const std::string &path) {
    const std::string all = slurp(path);
    const auto nl = all.find('\n');
    return {all.substr(0, nl + 1), Json::parse(all.substr(nl + 1), nullptr, false)};
  }
  void expect_corrupt_naming(const std::string &path, const char *why) {
    auto loaded = store()->load(kSlotA);
    ASSERT_FALSE(loaded) << why << ": it loaded";
    EXPECT_EQ(loaded.error().code, ErrorCode::storage_corrupt) << why << ": " << loaded.error().to_string();
    EXPECT_NE(loaded.error().message.find(path), std::string::npos) << why << ": " << loaded.error().message;
  }

  TempDir tmp_;
  EncryptedStoreOptions options_;
};

TEST_F(EncryptedStore, ARecordRoundTripsAndNeitherItNorThePassphraseReachesTheDisk) {
  unlock("a passphrase that must not be on disk");
  ASSERT_TRUE(store()->save(kSlotA, SecretString(kRecord)));
  auto loaded = store()->load(kSlotA);
  ASSERT_TRUE(loaded && loaded->has_value()) << (loaded ? "empty" : loaded.error().to_string());
  EXPECT_EQ((*loaded)->reveal(), kRecord);

  struct stat dir {};
  ASSERT_EQ(::stat(options_.directory.c_str(), &dir), 0);
  EXPECT_EQ(dir.st_mode & 0777, 0700u);
  int files = 0;
  for (const auto &e : fs::directory_iterator(options_.directory)) {
    const std::string text = slurp(e.path().string());
    EXPECT_EQ(text.find("rt-must-never"), std::string::npos) << e.path() << " holds the record in the clear";
    EXPECT_EQ(text.find("must not be on disk"), std::string::npos) << e.path() << " holds the passphrase";
    struct stat st {};
    ASSERT_EQ(::stat(e.path().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u) << e.path();
    ++files;
  }
  EXPECT_EQ(files, 2) << "store.json and one slot file";
  const Json params = Json::parse(slurp(options_.directory + "/store.json"));
  EXPECT_EQ(params.value("nativeauth_encrypted_store", 0), 1);
  EXPECT_EQ(params.value("kdf", ""), "scrypt");
  EXPECT_EQ(params.value("n", 0), 32768);
  EXPECT_EQ(params.value("r", 0), 8);
  EXPECT_EQ(params.value("p", 0), 1);
  auto list = store()->list(kSlotA.issuer);
  ASSERT_TRUE(list);
  EXPECT_EQ(list->size(), 1u);
}

TEST_F(EncryptedStore, ALockedStoreSaysToRunNativeauthUnlock) {
  auto before = store()->load(kSlotA);  // not even created yet
  ASSERT_FALSE(before);
  EXPECT_EQ(before.error().code, ErrorCode::storage_locked);
  EXPECT_NE(before.error().message.find("`nativeauth unlock`"), std::string::npos) << before.error().message;

  unlock();
  ASSERT_TRUE(store()->save(kSlotA, SecretString(kRecord)));
  auto status = encrypted_store_status(options_);
  ASSERT_TRUE(status && status->exists && status->unlocked && status->unlocked_until);
  EXPECT_GT(*status->unlocked_until, std::chrono::system_clock::now() + 50s);

  ASSERT_TRUE(lock_encrypted_store(options_));
  auto after = store()->load(kSlotA);
  ASSERT_FALSE(after);
  EXPECT_EQ(after.error().code, ErrorCode::storage_locked);
  EXPECT_TRUE(after.error().transient);
  EXPECT_NE(after.error().message.find("`nativeauth unlock`"), std::string::npos) << after.error().message;
  EXPECT_FALSE(store()->save(kSlotA, SecretString(kRecord))) << "a locked store must not write";
  status = encrypted_store_status(options_);
  ASSERT_TRUE(status);
  EXPECT_TRUE(status->exists);
  EXPECT_FALSE(status->unlocked);
  EXPECT_TRUE(lock_encrypted_store(options_)) << "locking a locked store is not an error";

  unlock();  // the same passphrase again: the record is back
  auto again = store()->load(kSlotA);
  ASSERT_TRUE(again && again->has_value());
  EXPECT_EQ((*again)->reveal(), kRecord);
}

TEST_F(EncryptedStore, AWrongPassphraseIsToldAsSuchAndLeavesTheStoreLocked) {
  unlock("the right one");
  ASSERT_TRUE(lock_encrypted_store(options_));
  auto wrong = unlock_encrypted_store(SecretString("the wrong one"), 60s, options_);
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, ErrorCode::storage_locked);
  EXPECT_NE(wrong.error().message.find("wrong passphrase"), std::string::npos) << wrong.error().message;
  auto status = encrypted_store_status(options_);
  ASSERT_TRUE(status);
  EXPECT_FALSE(status->unlocked);
  auto empty = unlock_encrypted_store(SecretString(""), 60s, options_);
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, ErrorCode::invalid_argument);
  unlock("the right one");
}

TEST_F(EncryptedStore, AChangedCiphertextOrTagIsCorruptAndNamesTheFile) {
  unlock();
  ASSERT_TRUE(store()->save(kSlotA, SecretString(kRecord)));
  const std::string path = slot_file(kSlotA);
  const std::string original = slurp(path);
  for (const bool tag : {false, true}) {
    auto [header, record] = split(path);
    std::string sealed = *core::base64url_decode(record["sealed"].get<std::string>());
    sealed[tag ? sealed.size() - 1 : 0] ^= 0x01;
    record["sealed"] = core::base64url_encode(sealed);
    spit(path, header + record.dump() + "\n");
    expect_corrupt_naming(path, tag ? "tag" : "ciphertext");
    spit(path, original);
  }
  auto [header, record] = split(path);
  std::string nonce = *core::base64url_decode(record["nonce"].get<std::string>());
  nonce[0] ^= 0x01;
  record["nonce"] = core::base64url_encode(nonce);
  spit(path, header + record.dump() + "\n");
  expect_corrupt_naming(path, "nonce");
  spit(path, original);
  auto loaded = store()->load(kSlotA);
  ASSERT_TRUE(loaded && loaded->has_value()) << "the original opens again";
}

TEST_F(EncryptedStore, ATruncatedFileIsAnErrorNeverAnEmptySlot) {
  unlock();
  ASSERT_TRUE(store()->save(kSlotA, SecretString(kRecord)));
  const std::string path = slot_file(kSlotA);
  const std::string original = slurp(path);
  const std::size_t header_end = original.find('\n') + 1;
  // Every cut that loses a byte of the record (the final newline carries none).
  for (std::size_t keep : {original.size() - 2, original.size() - 3, original.size() - 20, header_end + 30,
                           header_end + 1, header_end, header_end - 1, std::size_t{10}}) {
    spit(path, original.substr(0, keep));
    auto loaded = store()->load(kSlotA);
    ASSERT_FALSE(loaded) << "cut to " << keep << " of " << original.size() << " bytes, it loaded";
    EXPECT_EQ(loaded.error().code, ErrorCode::storage_corrupt) << keep << ": " << loaded.error().to_string();
    EXPECT_NE(loaded.error().message.find(path), std::string::npos) << keep << ": " << loaded.error().message;
  }
}

// The additional data binds the slot: another slot's sealed record under this slot's header does not open.
TEST_F(EncryptedStore, ARecordMovedIntoAnotherSlotsFileDoesNotOpen) {
  unlock();
  ASSERT_TRUE(store()->save(kSlotA, SecretString(kRecord)));
  ASSERT_TRUE(store()->save(kSlotB, SecretString("{\"refresh_token\":\"the work account\"}")));
  const std::string a = slot_file(kSlotA), b = slot_file(kSlotB);
  const auto [header_a, record_a] = split(a);
  const auto [header_b, record_b] = split(b);
  spit(a, header_a + record_b.dump() + "\n");  // B's record, A's header: the file store cannot tell
  auto loaded = store()->load(kSlotA);
  ASSERT_FALSE(loaded) << "slot B's record opened as slot A's";
  EXPECT_EQ(loaded.error().code, ErrorCode::storage_corrupt);
  EXPECT_NE(loaded.error().message.find("moved from another slot"), std::string::npos) << loaded.error().message;
  EXPECT_NE(loaded.error().message.find(a), std::string::npos) << loaded.error().message;
  spit(a, slurp(b));  // the whole file of B under A's name: refused by its header
  auto swapped = store()->load(kSlotA);
  ASSERT_FALSE(swapped);
  EXPECT_EQ(swapped.error().code, ErrorCode::storage_corrupt) << swapped.error().to_string();
}

TEST_F(EncryptedStore, UnknownVersionsAndChangedParametersAreRefused) {
  unlock();
  ASSERT_TRUE(store()->save(kSlotA, SecretString(kRecord)));
  const std::string path = slot_file(kSlotA);
  auto [header, record] = split(path);
  record["nativeauth_encrypted"] = 2;
  spit(path, header + record.dump() + "\n");
  expect_corrupt_naming(path, "record version 2");

  const std::string params_path = options_.directory + "/store.json";
  const std::string params = slurp(params_path);
  Json newer = Json::parse(params);
  newer["nativeauth_encrypted_store"] = 2;
  spit(params_path, newer.dump());
  auto status = encrypted_store_status(options_);
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, ErrorCode::storage_unavailable) << status.error().to_string();
  EXPECT_NE(status.error().message.find("format 2"), std::string::npos) << status.error().message;

  Json greedy = Json::parse(params);
  greedy["n"] = 1 << 20;  // 1 GiB of scrypt memory: refused before anything is derived
  spit(params_path, greedy.dump());
  auto refused = unlock_encrypted_store(SecretString("correct horse battery staple"), 60s, options_);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::storage_corrupt) << refused.error().to_string();
  EXPECT_NE(refused.error().message.find(params_path), std::string::npos) << refused.error().message;

  spit(params_path, params.substr(0, params.size() / 2));
  auto cut = store()->load(kSlotA);
  ASSERT_FALSE(cut);
  EXPECT_EQ(cut.error().code, ErrorCode::storage_corrupt) << cut.error().to_string();
}

// The kernel drops the key when --for ends: the one wait here is for that kernel timer, polled.
TEST_F(EncryptedStore, TheStoreLocksItselfWhenTheDurationEnds) {
  unlock("correct horse battery staple", 1s);
  ASSERT_TRUE(store()->save(kSlotA, SecretString(kRecord)));
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  bool locked = false;
  while (!locked && std::chrono::steady_clock::now() < deadline) {
    auto status = encrypted_store_status(options_);
    ASSERT_TRUE(status) << status.error().to_string();
    locked = !status->unlocked;
    if (!locked) std::this_thread::sleep_for(50ms);  // polling the kernel's timer
  }
  ASSERT_TRUE(locked) << "still unlocked 10 s after a one-second unlock";
  auto loaded = store()->load(kSlotA);
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().code, ErrorCode::storage_locked);
}

/// A child that becomes `uid` (unless it is -1), joins a keyring session of its own (as another user's
/// login would have), and reads the key by its serial: 0 when the read worked, else the errno.
int read_key_as(long serial, int uid) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (uid >= 0 && (::setgroups(0, nullptr) != 0 || ::setgid(static_cast<gid_t>(uid)) != 0 ||
                     ::setuid(static_cast<uid_t>(uid)) != 0)) {
      ::_exit(120);
    }
    if (::syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, 0UL, 0UL, 0UL, 0UL) < 0) ::_exit(121);
    char buf[256];
    const long n = ::syscall(SYS_keyctl, KEYCTL_READ, serial, reinterpret_cast<unsigned long>(buf), sizeof buf, 0UL);
    ::_exit(n >= 0 ? 0 : (errno & 0x7f));
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

TEST_F(EncryptedStore, AnotherUserCannotReadTheKey) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to become another user (nobody, 65534)";
  unlock();
  const Json params = Json::parse(slurp(options_.directory + "/store.json"));
  const std::string name = "nativeauth:encrypted-store:" + params.value("id", "");
  const long serial = ::syscall(SYS_keyctl, KEYCTL_SEARCH, static_cast<unsigned long>(KEY_SPEC_SESSION_KEYRING),
                                reinterpret_cast<unsigned long>("user"), reinterpret_cast<unsigned long>(name.c_str()),
                                0UL);
  ASSERT_GT(serial, 0) << "the key is not in the session keyring";
  EXPECT_EQ(read_key_as(serial, -1), 0) << "the same user, in a keyring session of its own, reads it";
  EXPECT_EQ(read_key_as(serial, 65534), EACCES) << "nobody read the key (or failed otherwise)";
}

}  // namespace
}  // namespace nativeauth
