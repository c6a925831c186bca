// SPDX-License-Identifier: Apache-2.0
// The test provider harness (tests/support/cpp/provider_process.cpp): it waits for the provider's ready
// line within a budget, and a provider that never gets ready, or dies first, is reported at once with
// how long it waited, how the provider ended and its stderr. The providers that fail are fakes (`sh`
// commands): the real one cannot be made to hang or die on demand. The twin starts the real one.
#include "provider_process.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace nativeauth::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

long long ms_since(Clock::time_point start) {
  return std::chrono::duration_cast<milliseconds>(Clock::now() - start).count();
}

bool contains(const std::string &text, const std::string &part) { return text.find(part) != std::string::npos; }

TEST(ProviderStart, NeverReadyFailsWithinTheBudgetAndShowsItsStderr) {
  ProviderProcess::Launch fake;  // a provider that loads forever and never prints its ready line
  fake.command = {"sh", "-c", "echo 'fake provider: still loading' >&2; exec sleep 600"};
  fake.budget = seconds(1);
  std::string why;
  const auto start = Clock::now();
  auto p = ProviderProcess::start({}, &why, fake);
  const long long took = ms_since(start);
  EXPECT_EQ(p, nullptr);
  EXPECT_GE(took, 1000) << "gave up before the budget";
  EXPECT_LT(took, 1000 + 10'000) << "waited far past the budget";
  EXPECT_TRUE(contains(why, "no ready line within the 1.0 s budget")) << why;
  EXPECT_TRUE(contains(why, "NATIVEAUTH_TEST_PROVIDER_START_S")) << why;
  EXPECT_TRUE(contains(why, "still running")) << why;
  EXPECT_TRUE(contains(why, "fake provider: still loading")) << why;
}

TEST(ProviderStart, ProviderThatDiesIsReportedAtOnceWithHowItExited) {
  ProviderProcess::Launch fake;  // a provider that fails before it listens
  fake.command = {"sh", "-c", "echo 'fake provider: cannot listen' >&2; exit 3"};
  fake.budget = seconds(60);
  std::string why;
  const auto start = Clock::now();
  auto p = ProviderProcess::start({}, &why, fake);
  EXPECT_EQ(p, nullptr);
  EXPECT_LT(ms_since(start), 10'000) << "waited for the budget although the provider was gone";
  EXPECT_TRUE(contains(why, "exited with status 3")) << why;
  EXPECT_TRUE(contains(why, "fake provider: cannot listen")) << why;
}

TEST(ProviderStart, BudgetComesFromTheEnvironment) {
  ScopedEnv env;
  env.unset("NATIVEAUTH_TEST_PROVIDER_START_S");
  EXPECT_EQ(provider_start_budget().count(), 120'000);
  env.set("NATIVEAUTH_TEST_PROVIDER_START_S", "170");
  EXPECT_EQ(provider_start_budget().count(), 170'000);
  EXPECT_EQ(ProviderProcess::Launch{}.budget.count(), 170'000) << "the default of every start";
  env.set("NATIVEAUTH_TEST_PROVIDER_START_S", "soon");
  EXPECT_EQ(provider_start_budget().count(), 120'000) << "nonsense is ignored, with a note";
}

// The twin: the real provider prints its ready line and is used.
TEST(ProviderStart, RealProviderSignalsReadiness) {
  std::string why;
  auto p = ProviderProcess::start({}, &why);
  ASSERT_NE(p, nullptr) << why;
  EXPECT_EQ(p->issuer(), p->origin());
  EXPECT_GT(p->port(), 0);
}

}  // namespace
}  // namespace nativeauth::testing
