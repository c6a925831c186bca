// SPDX-License-Identifier: Apache-2.0
// The kernel keyring wrapper (platform/linux/kernel_keyring.cpp) against the real kernel key retention
// service. The test process first joins a new anonymous session keyring (KEYCTL_JOIN_SESSION_KEYRING) and
// sets NATIVEAUTH_KEYRING=session, so every key it makes lives in a keyring only this process holds and
// the user's own keys are never touched.
#include "linux/kernel_keyring.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>

#include <linux/keyctl.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace nativeauth {
namespace {

namespace kk = kernel_keyring;
using namespace std::chrono_literals;

class KernelKeyring : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ASSERT_GE(::syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, 0UL, 0UL, 0UL, 0UL), 0)
        << "no kernel key retention service here";
    ::setenv("NATIVEAUTH_KEYRING", "session", 1);
  }
  /// KEYCTL_DESCRIBE: "type;uid;gid;perm;description".
  static std::string describe(const std::string &description) {
    const long id = ::syscall(SYS_keyctl, KEYCTL_SEARCH, static_cast<unsigned long>(KEY_SPEC_SESSION_KEYRING),
                              reinterpret_cast<unsigned long>("user"),
                              reinterpret_cast<unsigned long>(description.c_str()), 0UL);
    if (id < 0) return {};
    char buf[512] = {};
    const long n = ::syscall(SYS_keyctl, KEYCTL_DESCRIBE, id, reinterpret_cast<unsigned long>(buf), sizeof buf, 0UL);
    return n > 0 ? std::string(buf) : std::string();
  }
};

TEST_F(KernelKeyring, PutThenGetThenRemove) {
  ASSERT_EQ(kk::ring_from_environment(), kk::Ring::session);
  const std::string d = "nativeauth-test:put-get-remove";
  auto none = kk::get(kk::Ring::session, d);
  ASSERT_TRUE(none) << none.error().message;
  EXPECT_FALSE(none->has_value());

  ASSERT_TRUE(kk::put(kk::Ring::session, d, SecretString("first"), 60s));
  ASSERT_TRUE(kk::put(kk::Ring::session, d, SecretString("second, replacing"), 60s));
  auto got = kk::get(kk::Ring::session, d);
  ASSERT_TRUE(got && got->has_value());
  EXPECT_EQ((*got)->reveal(), "second, replacing");

  ASSERT_TRUE(kk::remove(kk::Ring::session, d));
  auto gone = kk::get(kk::Ring::session, d);
  ASSERT_TRUE(gone);
  EXPECT_FALSE(gone->has_value());
  EXPECT_TRUE(kk::remove(kk::Ring::session, d)) << "removing what is not there is not an error";
}

TEST_F(KernelKeyring, KeysAreForThePossessorAndTheUserOnly) {
  const std::string d = "nativeauth-test:permissions";
  ASSERT_TRUE(kk::put(kk::Ring::session, d, SecretString("x"), 60s));
  const std::string desc = describe(d);
  ASSERT_FALSE(desc.empty());
  // type;uid;gid;perm;description — perm in hex: possessor, user, group, other, a byte each.
  std::size_t at = 0;
  for (int i = 0; i < 3; ++i) at = desc.find(';', at) + 1;
  const unsigned long perm = std::stoul(desc.substr(at, desc.find(';', at) - at), nullptr, 16);
  EXPECT_EQ(perm & 0x0000ffffUL, 0UL) << "group and other get nothing: " << desc;
  EXPECT_EQ(perm >> 24, 0x3fUL) << "the possessor gets everything: " << desc;
  EXPECT_EQ((perm >> 16) & 0xffUL, 0x2fUL) << "the user: view, read, write, search, setattr: " << desc;
  ASSERT_TRUE(kk::remove(kk::Ring::session, d));
}

// The kernel drops the key after its timeout: the one wait here is for that kernel timer, polled.
TEST_F(KernelKeyring, TheKernelDropsAKeyAfterItsTimeout) {
  const std::string d = "nativeauth-test:timeout";
  ASSERT_TRUE(kk::put(kk::Ring::session, d, SecretString("short-lived"), 1s));
  auto now = kk::get(kk::Ring::session, d);
  ASSERT_TRUE(now && now->has_value());
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  bool gone = false;
  while (!gone && std::chrono::steady_clock::now() < deadline) {
    auto later = kk::get(kk::Ring::session, d);
    ASSERT_TRUE(later) << later.error().message;
    gone = !later->has_value();
    if (!gone) std::this_thread::sleep_for(50ms);  // polling the kernel's timer, not synchronising threads
  }
  EXPECT_TRUE(gone) << "the key outlived its one-second timeout by 10 s";
}

TEST_F(KernelKeyring, RemoveMatchingTakesExactlyTheKeysWithThePrefix) {
  ASSERT_TRUE(kk::put(kk::Ring::session, "nativeauth-test:drop:a", SecretString("1"), 60s));
  ASSERT_TRUE(kk::put(kk::Ring::session, "nativeauth-test:drop:b", SecretString("2"), 60s));
  ASSERT_TRUE(kk::put(kk::Ring::session, "nativeauth-test:keep:c", SecretString("3"), 60s));
  auto removed = kk::remove_matching(kk::Ring::session, "nativeauth-test:drop:");
  ASSERT_TRUE(removed) << removed.error().message;
  EXPECT_EQ(*removed, 2);
  for (const char *gone : {"nativeauth-test:drop:a", "nativeauth-test:drop:b"}) {
    auto got = kk::get(kk::Ring::session, gone);
    ASSERT_TRUE(got);
    EXPECT_FALSE(got->has_value()) << gone;
  }
  auto kept = kk::get(kk::Ring::session, "nativeauth-test:keep:c");
  ASSERT_TRUE(kept && kept->has_value());
  ASSERT_TRUE(kk::remove(kk::Ring::session, "nativeauth-test:keep:c"));
}

TEST_F(KernelKeyring, ABadRingSettingIsAnError) {
  ::setenv("NATIVEAUTH_KEYRING", "everyone", 1);
  auto e = kk::ring_setting_error();
  ::setenv("NATIVEAUTH_KEYRING", "session", 1);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->code, ErrorCode::invalid_configuration);
  EXPECT_FALSE(kk::ring_setting_error().has_value());
}

}  // namespace
}  // namespace nativeauth
