// SPDX-License-Identifier: Apache-2.0
// SecretString: never printed, wiped when moved from, compared in constant time.
#include <nativeauth/secret.hpp>

#include <gtest/gtest.h>

#include <sstream>

namespace nativeauth {
namespace {

TEST(SecretString, StreamsAsRedacted) {
  std::ostringstream os;
  os << SecretString("hunter2") << ' ' << SecretString();
  EXPECT_EQ(os.str(), "[redacted] [empty]");
}

TEST(SecretString, MovedFromIsEmpty) {
  SecretString a("token-value-long-enough-to-live-on-the-heap-0123456789");
  SecretString b(std::move(a));
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): the point of the test
  EXPECT_EQ(b.reveal(), "token-value-long-enough-to-live-on-the-heap-0123456789");
  SecretString c;
  c = std::move(b);
  EXPECT_TRUE(b.empty());  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(c.size(), 54u);
}

TEST(SecretString, EqualityAndClone) {
  SecretString a("x");
  EXPECT_TRUE(a == a.clone());
  EXPECT_TRUE(a != SecretString("y"));
  a.clear();
  EXPECT_TRUE(a.empty());
}

TEST(SecureWipe, ZeroesMemory) {
  char buf[8] = {'s', 'e', 'c', 'r', 'e', 't', '!', '!'};
  secure_wipe(buf, sizeof buf);
  for (char c : buf) EXPECT_EQ(c, 0);
}

}  // namespace
}  // namespace nativeauth
