// SPDX-License-Identifier: Apache-2.0
// For the Windows tests written with GoogleTest: a listener that ends the output with the line
// "N passed, M failed" that scripts/test-windows sums over every test exe (check.hpp's format). Skipped tests
// are counted in neither, as check.hpp does.
#pragma once

#include <gtest/gtest.h>

#include <cstdio>

namespace wintest {

class SummaryLine : public ::testing::EmptyTestEventListener {
 public:
  void OnTestProgramEnd(const ::testing::UnitTest &unit) override {
    std::printf("%d passed, %d failed\n", unit.successful_test_count(), unit.failed_test_count());
    std::fflush(stdout);
  }
};

/// Call after InitGoogleTest(); GoogleTest owns and deletes the listener.
inline void add_summary_line() { ::testing::UnitTest::GetInstance()->listeners().Append(new SummaryLine); }

}  // namespace wintest
