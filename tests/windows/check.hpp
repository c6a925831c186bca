// SPDX-License-Identifier: Apache-2.0
// The self-contained test harness of the Windows tests (Debian has no GoogleTest for mingw), the same
// one credential_store_test.cpp carries inline: each test is a function, CHECK records a failure and
// goes on, and the last line printed is "N passed, M failed" (tests, not checks); the exit code is
// non-zero when anything failed.
#pragma once

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#ifndef NOMINMAX
#define NOMINMAX
#endif
#include <windows.h>

#include <atomic>
#include <cstdio>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace wintest {

inline std::atomic<int> g_failures_in_test{0};
inline std::string g_skip_reason;  // set by a test that cannot run here

#define CHECK(cond)                                                              \
  do {                                                                           \
    if (!(cond)) {                                                               \
      ++wintest::g_failures_in_test;                                             \
      std::printf("    check failed at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
      std::fflush(stdout);                                                       \
    }                                                                            \
  } while (0)

using Tests = std::vector<std::pair<const char *, std::function<void()>>>;

inline int run_all(const Tests &tests) {
  int passed = 0, failed = 0;
  std::vector<std::string> skipped;
  for (const auto &[name, run] : tests) {
    g_failures_in_test = 0;
    g_skip_reason.clear();
    const ULONGLONG start = GetTickCount64();
    run();
    const ULONGLONG ms = GetTickCount64() - start;
    if (g_failures_in_test != 0) {
      ++failed;
      std::printf("FAIL %s (%d checks failed)\n", name, g_failures_in_test.load());
    } else if (!g_skip_reason.empty()) {
      skipped.push_back(name);
      std::printf("skip %s: %s\n", name, g_skip_reason.c_str());
    } else {
      ++passed;
      std::printf("ok   %s (%llu ms)\n", name, ms);
    }
    std::fflush(stdout);
  }
  if (!skipped.empty()) std::printf("%zu skipped (not counted below)\n", skipped.size());
  std::printf("%d passed, %d failed\n", passed, failed);
  std::fflush(stdout);
  return failed == 0 ? 0 : 1;
}

}  // namespace wintest
