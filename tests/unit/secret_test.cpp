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

// A short secret lives inside the std::string object; a move copies its bytes out and must wipe the
// ones left behind. Read through the moved-from object's own buffer (it is part of the object).
bool inline_buffer_is_zero(const SecretString &s) {
  const char *p = s.reveal().data();
  for (std::size_t i = 0; i < std::string().capacity(); ++i) {
    if (p[i] != '\0') return false;
  }
  return true;
}

TEST(SecretString, MovingAShortSecretLeavesNoBytesBehind) {
  SecretString a("pin-4711");  // fits the small-string buffer
  SecretString b(std::move(a));
  EXPECT_TRUE(inline_buffer_is_zero(a));  // NOLINT(bugprone-use-after-move): the point of the test
  EXPECT_EQ(b.reveal(), "pin-4711");
  SecretString c("old-1234");
  c = std::move(b);
  EXPECT_TRUE(inline_buffer_is_zero(b));  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(c.reveal(), "pin-4711");
  // A long one moves its heap buffer: the moved-from is empty, and the assignment's old value gone.
  SecretString d("token-value-long-enough-to-live-on-the-heap-0123456789");
  SecretString e("another-long-token-value-on-the-heap-abcdefghijklmnop");
  e = std::move(d);
  EXPECT_TRUE(d.empty());  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(d.reveal().find("another"), std::string::npos);
  EXPECT_EQ(e.reveal(), "token-value-long-enough-to-live-on-the-heap-0123456789");
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
