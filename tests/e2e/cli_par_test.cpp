// SPDX-License-Identifier: Apache-2.0
// `nativeauth login --par` end to end: the real CLI binary against the real provider offering PAR (its
// default) and without it (--no-par), headless Chromium as $BROWSER, the real keyring (keyring-env).
#include "provider_process.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace nativeauth::testing {
namespace {

ProcessRun run_cli(const std::vector<std::string> &args) {
  std::vector<std::string> all = {NATIVEAUTH_CLI};
  all.insert(all.end(), args.begin(), args.end());
  return run_process(std::move(all));
}

int pushed(const ProviderProcess &p) { return p.events().value("pushed_authorization_request.success", -1); }

class CliPar : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string why;
    offered_ = ProviderProcess::start({}, &why).release();
    ASSERT_NE(offered_, nullptr) << why;
    none_ = ProviderProcess::start({"RS256", "", {"--no-par"}}, &why).release();
    ASSERT_NE(none_, nullptr) << why;
  }
  static void TearDownTestSuite() {
    for (ProviderProcess **p : {&offered_, &none_}) {
      delete *p;
      *p = nullptr;
    }
  }
  void SetUp() override {
    ASSERT_TRUE(offered_ && none_);
    env_.set("XDG_CONFIG_HOME", config_.path());
    env_.unset("NATIVEAUTH_ISSUER");
    env_.unset("NATIVEAUTH_CLIENT_ID");
    env_.unset("NATIVEAUTH_PROFILE");
    use_test_browser(env_, "login", profile_.path(), tmp_.file("result.json"), tmp_.file("browser.log"));
  }
  static std::vector<std::string> login(const ProviderProcess &p) {
    return {"login", "--issuer", p.issuer(), "--client-id", "nativeauth-cli", "--timeout", "60"};
  }

  static ProviderProcess *offered_;
  static ProviderProcess *none_;
  TempDir tmp_, profile_, config_;
  ScopedEnv env_;
};
ProviderProcess *CliPar::offered_ = nullptr;
ProviderProcess *CliPar::none_ = nullptr;

TEST_F(CliPar, LoginParPushesTheRequestAndTheBrowserGetsOnlyItsReference) {
  const int before = pushed(*offered_);
  auto args = login(*offered_);
  args.push_back("--par");
  const ProcessRun r = run_cli(args);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err << read_file(tmp_.file("browser.log"));
  EXPECT_NE(r.out.find("Signed in as Alice Example"), std::string::npos) << r.out;
  // The URL shown to open by hand is the one the browser got.
  EXPECT_NE(r.err.find(offered_->issuer() + "/auth?client_id=nativeauth-cli&request_uri=urn%3Aietf%3Aparams%3Aoauth"),
            std::string::npos)
      << r.err;
  for (const char *name : {"scope=", "redirect_uri=", "state=", "code_challenge="})
    EXPECT_EQ(r.err.find(name), std::string::npos) << name << " in " << r.err;
  EXPECT_EQ(pushed(*offered_), before + 1);

  // The negative twin: without --par, the same provider (which offers PAR but does not require it) gets
  // the parameters in the URL and no pushed request.
  const ProcessRun plain = run_cli(login(*offered_));
  ASSERT_EQ(plain.exit_code, 0) << plain.out << plain.err;
  EXPECT_NE(plain.err.find("scope="), std::string::npos) << plain.err;
  EXPECT_EQ(pushed(*offered_), before + 1);
}

TEST_F(CliPar, LoginParWithoutAParEndpointSaysWhyAndOpensNoBrowser) {
  auto args = login(*none_);
  args.push_back("--par");
  const ProcessRun r = run_cli(args);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("pushed_authorization_request_endpoint"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("Waiting for the browser"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("/auth?"), std::string::npos) << "no URL was shown: " << r.err;
  EXPECT_EQ(none_->events().value("authorization.success", -1), 0);
}

TEST_F(CliPar, ParAndDeviceExcludeEachOther) {
  auto args = login(*offered_);
  args.insert(args.end(), {"--par", "--device"});
  const ProcessRun r = run_cli(args);
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  // Refused as a pair (CLI11: "--device excludes --par"), not as an unknown flag.
  EXPECT_NE(r.err.find("excludes --par"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace nativeauth::testing
