// SPDX-License-Identifier: Apache-2.0
// The Linux default clock (CLOCK_REALTIME_COARSE): never ahead of the true time, and behind it by no
// more than a tick and that tick's lateness (a few milliseconds on this KVM guest). Real clocks only.
// The lower bound is loose enough for a loaded CI machine and still catches a wrong clock (monotonic
// time, a unit slip).
#include "linux/clock.hpp"

#include <nativeauth/platform/platform.hpp>

#include <gtest/gtest.h>

#include <chrono>

namespace nativeauth {
namespace {

using std::chrono::system_clock;

void expect_within_bounds(const platform::Clock &clock, int reads) {
  for (int i = 0; i < reads; ++i) {
    const auto before = system_clock::now();
    const auto coarse = clock.now();
    const auto after = system_clock::now();
    ASSERT_LE(coarse, after) << "read " << i << ": ahead of the true time by "
                             << std::chrono::duration_cast<std::chrono::microseconds>(coarse - after).count() << " us";
    ASSERT_GE(coarse - before, -std::chrono::milliseconds(250)) << "read " << i << ": far behind the true time";
  }
}

TEST(CoarseClock, NeverAheadOfTheTrueTimeAndBehindByMilliseconds) {
  auto clock = linux_platform::make_coarse_clock();
  expect_within_bounds(*clock, 200000);
}

TEST(CoarseClock, IsTheDefaultPlatformsClock) {
  auto platform = platform::default_platform();
  ASSERT_NE(platform.clock, nullptr);
  expect_within_bounds(*platform.clock, 1000);
}

}  // namespace
}  // namespace nativeauth
