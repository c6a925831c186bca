// SPDX-License-Identifier: Apache-2.0
// kubectl's exec credential protocol (samples/cli/kubectl_exec.hpp): KUBERNETES_EXEC_INFO read, the
// ExecCredential written, an ID token's renewal margin, and what a refresh without a new ID token means.
// The last is here because the dev provider always returns a new ID token on refresh: no real part can
// produce a refresh without one on demand (tests/e2e/cli_kubectl_test.cpp covers the renewal that happens).
#include "kubectl_exec.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace {

using cli::kube::IdTokenRenewal;

TEST(CliKubectlExec, WithoutExecInfoAnswersV1AndInteractsOnlyOnATerminal) {
  std::string error;
  auto info = cli::kube::parse_exec_info(nullptr, true, &error);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->api_version, "client.authentication.k8s.io/v1");
  EXPECT_TRUE(info->interactive);
  info = cli::kube::parse_exec_info("", false, &error);
  ASSERT_TRUE(info);
  EXPECT_FALSE(info->interactive);
}

TEST(CliKubectlExec, ExecInfoGivesTheVersionAndInteractiveWhateverTheTerminal) {
  std::string error;
  auto info = cli::kube::parse_exec_info(
      R"({"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1","spec":{"interactive":true}})",
      false, &error);
  ASSERT_TRUE(info) << error;
  EXPECT_EQ(info->api_version, "client.authentication.k8s.io/v1beta1");
  EXPECT_TRUE(info->interactive);
  info = cli::kube::parse_exec_info(
      R"({"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":false}})", true,
      &error);
  ASSERT_TRUE(info) << error;
  EXPECT_FALSE(info->interactive) << "kubectl decided: interactiveMode Never on a terminal";
}

TEST(CliKubectlExec, RefusesAnUnknownVersionAndWhatIsNotAnExecCredential) {
  for (const char *text : {R"({"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1alpha1"})",
                           R"({"kind":"ExecCredential"})", R"({"kind":"Pod","apiVersion":"v1"})", "not json", "[]"}) {
    std::string error;
    EXPECT_FALSE(cli::kube::parse_exec_info(text, true, &error)) << text;
    EXPECT_NE(error.find("KUBERNETES_EXEC_INFO"), std::string::npos) << error;
  }
  std::string error;
  (void)cli::kube::parse_exec_info(R"({"apiVersion":"client.authentication.k8s.io/v1alpha1"})", true, &error);
  EXPECT_NE(error.find("\"client.authentication.k8s.io/v1alpha1\"; only client.authentication.k8s.io/v1 and "
                       "client.authentication.k8s.io/v1beta1 are supported"),
            std::string::npos)
      << error;
}

TEST(CliKubectlExec, ExecCredentialCarriesTheVersionTokenAndExpiryInUtc) {
  cli::kube::ExecInfo info;
  info.api_version = cli::kube::kV1beta1;
  const auto expiry = std::chrono::system_clock::from_time_t(1796637600);  // 2026-12-07T10:00:00Z
  const auto doc = nlohmann::json::parse(cli::kube::exec_credential(info, "tok.en", expiry));
  EXPECT_EQ(doc["kind"], "ExecCredential");
  EXPECT_EQ(doc["apiVersion"], "client.authentication.k8s.io/v1beta1");
  EXPECT_EQ(doc["spec"]["interactive"], false);
  EXPECT_EQ(doc["status"]["token"], "tok.en");
  EXPECT_EQ(doc["status"]["expirationTimestamp"], "2026-12-07T10:00:00Z");

  const auto open_ended = nlohmann::json::parse(cli::kube::exec_credential(info, "t", std::nullopt));
  EXPECT_FALSE(open_ended["status"].contains("expirationTimestamp")) << "kubectl then keeps it until a 401";
}

TEST(CliKubectlExec, MarginIsSixtySecondsAtMostHalfTheLifetimeUnlessGiven) {
  EXPECT_EQ(cli::kube::id_token_margin(std::nullopt, 1000, 4600).count(), 60);
  EXPECT_EQ(cli::kube::id_token_margin(std::nullopt, 1000, 1010).count(), 5);
  EXPECT_EQ(cli::kube::id_token_margin(std::nullopt, std::nullopt, 1010).count(), 60);
  EXPECT_EQ(cli::kube::id_token_margin(std::chrono::seconds(600), 1000, 1010).count(), 600);
}

TEST(CliKubectlExec, RenewalWithoutANewIdTokenUsesTheOldOneOnlyWhileItIsValid) {
  EXPECT_EQ(cli::kube::classify_renewal(true, true, 100, 200), IdTokenRenewal::renewed);
  EXPECT_EQ(cli::kube::classify_renewal(false, true, 300, 200), IdTokenRenewal::stale_but_valid);
  EXPECT_EQ(cli::kube::classify_renewal(false, true, 200, 200), IdTokenRenewal::none_from_refresh);
  EXPECT_EQ(cli::kube::classify_renewal(false, false, 100, 200), IdTokenRenewal::not_refreshed);
  EXPECT_EQ(cli::kube::classify_renewal(false, false, 300, 200), IdTokenRenewal::stale_but_valid);
}

}  // namespace
