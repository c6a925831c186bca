// SPDX-License-Identifier: Apache-2.0
// Result<T> and Error: the shape apps rely on instead of exceptions.
#include <nativeauth/result.hpp>

#include <gtest/gtest.h>

#include <memory>

namespace nativeauth {
namespace {

Result<int> half(int x) {
  if (x % 2) return make_error(ErrorCode::invalid_argument, "odd");
  return x / 2;
}

TEST(Result, ValueAndError) {
  auto ok = half(4);
  ASSERT_TRUE(ok);
  EXPECT_EQ(*ok, 2);
  EXPECT_EQ(ok.value_or(9), 2);
  auto bad = half(3);
  EXPECT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(bad.value_or(9), 9);
}

TEST(Result, MoveOnlyValues) {
  Result<std::unique_ptr<int>> r(std::make_unique<int>(7));
  ASSERT_TRUE(r.has_value());
  std::unique_ptr<int> p = std::move(r).value();
  EXPECT_EQ(*p, 7);
}

TEST(Result, Void) {
  Result<void> ok;
  EXPECT_TRUE(ok);
  Result<void> bad = make_error(ErrorCode::timeout, "slow");
  EXPECT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "slow");
}

TEST(Result, WrongAccessAborts) {
  EXPECT_DEATH({ (void)half(3).value(); }, "");
  EXPECT_DEATH({ (void)half(4).error(); }, "");
}

TEST(Error, StableNamesAndOneLineRendering) {
  EXPECT_STREQ(to_string(ErrorCode::access_denied), "access_denied");
  EXPECT_EQ(static_cast<int>(ErrorCode::access_denied), 400);
  EXPECT_EQ(static_cast<int>(ErrorCode::invalid_grant), 501);
  Error e = make_error(ErrorCode::invalid_grant, "refresh token revoked");
  e.oauth_error = "invalid_grant";
  e.oauth_description = "grant request is invalid";
  EXPECT_EQ(e.to_string(), "invalid_grant: refresh token revoked (server: invalid_grant: grant request is invalid)");
}

}  // namespace
}  // namespace nativeauth
