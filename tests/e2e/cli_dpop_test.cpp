// SPDX-License-Identifier: Apache-2.0
// The CLI's DPoP (RFC 9449) end to end: the real `nativeauth` binary against the real provider demanding DPoP
// for its client `nativeauth-dpop` and server nonces at its token and userinfo endpoints (--dpop-nonce),
// headless Chromium as $BROWSER, the real keyring (keyring-env), Debian's curl sending the lines
// `token --header` prints (`curl -H @-`) to the provider's userinfo endpoint (a DPoP resource server), and a
// real TPM 2.0 (swtpm) for the key that cannot leave it. Three sign-ins in all. No fakes.
#include "provider_process.hpp"
#include "swtpm_process.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace nativeauth::testing {
namespace {

ProcessRun run_cli(const std::vector<std::string> &args) {
  std::vector<std::string> all = {NATIVEAUTH_CLI};
  all.insert(all.end(), args.begin(), args.end());
  return run_process(std::move(all));
}

std::vector<std::string> lines_of(const std::string &text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

/// What curl got back: the status, the body, and the DPoP-Nonce header (empty when none).
struct CurlAnswer {
  int status = 0;
  std::string body;
  std::string nonce;
  std::string err;
};

/// Debian's curl sending `header_lines` (one header per line, read with `-H @-`) with a GET to `url`.
CurlAnswer curl_get(const std::string &header_lines, const std::string &url, const TempDir &tmp) {
  const ProcessRun r = run_process({"curl", "-sS", "-o", tmp.file("body"), "-D", tmp.file("head"), "-w", "%{http_code}",
                                    "-H", "@-", url},
                                   header_lines);
  CurlAnswer a;
  a.err = r.err;
  if (r.exit_code != 0) return a;
  a.status = std::stoi(r.out);
  a.body = read_file(tmp.file("body"));
  for (std::string line : lines_of(read_file(tmp.file("head")))) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (lower(line).rfind("dpop-nonce:", 0) == 0) a.nonce = line.substr(line.find(':') + 2);
  }
  return a;
}

/// The slot's raw record, as the keyring holds it (docs/storage.md: `secret-tool lookup` by the attributes).
nlohmann::json keyring_record(const std::string &issuer, const std::string &client_id, const std::string &profile) {
  const ProcessRun r = run_process({"secret-tool", "lookup", "issuer", issuer, "client_id", client_id, "profile",
                                    profile});
  return nlohmann::json::parse(r.out, nullptr, false);
}

/// Whether the record's DPoP key reference is a JWK with the private scalar "d" (RFC 7518 §6.2.2.1).
bool holds_private_scalar(const nlohmann::json &record) {
  if (!record.is_object() || !record.contains("dpop") || !record["dpop"].contains("key")) return false;
  const auto key = nlohmann::json::parse(record["dpop"]["key"].get<std::string>(), nullptr, false);
  return key.is_object() && key.contains("d");
}

class CliDpop : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string why;
    provider_ = ProviderProcess::start({"ES256", "", {"--dpop-nonce"}}, &why).release();
    ASSERT_NE(provider_, nullptr) << why;
  }
  static void TearDownTestSuite() {
    delete provider_;
    provider_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(provider_, nullptr);
    env_.set("XDG_CONFIG_HOME", config_.path());
    for (const char *name : {"NATIVEAUTH_ISSUER", "NATIVEAUTH_CLIENT_ID", "NATIVEAUTH_PROFILE", "NATIVEAUTH_TPM_TCTI"})
      env_.unset(name);
    env_.set("NATIVEAUTH_TPM", "off");  // the software key, whatever TPM this machine has
    use_test_browser(env_, "login", profile_.path(), tmp_.file("result.json"), tmp_.file("browser.log"));
  }
  /// `command` with the flags naming the slot.
  static std::vector<std::string> at(const std::string &command, const std::string &client_id,
                                     const std::string &profile, std::vector<std::string> more = {}) {
    std::vector<std::string> args = {command,     "--issuer", provider_->issuer(), "--client-id", client_id,
                                     "--profile", profile};
    args.insert(args.end(), more.begin(), more.end());
    return args;
  }
  /// `status --json`'s session of `profile`.
  static nlohmann::json session_status(const std::string &client_id, const std::string &profile) {
    const ProcessRun r = run_cli(at("status", client_id, profile, {"--json"}));
    const auto doc = nlohmann::json::parse(r.out, nullptr, false);
    if (!doc.is_object()) return nullptr;
    for (const auto &s : doc["sessions"])
      if (s.value("client_id", "") == client_id && s.value("profile", "") == profile) return s;
    return nullptr;
  }
  std::string me() const { return provider_->issuer() + "/me"; }

  static ProviderProcess *provider_;
  TempDir tmp_, profile_, config_;
  ScopedEnv env_;
};
ProviderProcess *CliDpop::provider_ = nullptr;

// One sign-in, then every use of it a script makes: status, the header lines through curl (refused
// without a nonce, then with --nonce answered), the usage errors, and the sign-out
TEST_F(CliDpop, LoginDpopThenCurlSendsTheHeaderLinesAndTheServerNonceFlowWorks) {
  const ProcessRun login = run_cli(at("login", "nativeauth-dpop", "soft", {"--dpop", "--timeout", "60"}));
  ASSERT_EQ(login.exit_code, 0) << login.out << login.err << read_file(tmp_.file("browser.log"));
  EXPECT_GE(provider_->events().value("token.dpop", 0), 1);

  const nlohmann::json status = session_status("nativeauth-dpop", "soft");
  ASSERT_TRUE(status.is_object());
  EXPECT_EQ(status.value("dpop", nlohmann::json()), (nlohmann::json{{"bound", true}, {"key_store", "software"}}))
      << status.dump();
  const ProcessRun text = run_cli(at("status", "nativeauth-dpop", "soft"));
  EXPECT_NE(text.out.find("DPoP-bound (key: software)"), std::string::npos) << text.out;
  // The software key lives in the record: the negative twin of the TPM test's check below.
  EXPECT_TRUE(holds_private_scalar(keyring_record(provider_->issuer(), "nativeauth-dpop", "soft")));

  // A new process knows no nonce: its proof is refused by a server that demands one, which says which.
  const ProcessRun first = run_cli(at("token", "nativeauth-dpop", "soft", {"--header", "--url", me()}));
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const auto lines = lines_of(first.out);
  ASSERT_EQ(lines.size(), 2u) << "two header lines and nothing else: " << first.out.size() << " bytes";
  EXPECT_EQ(lines[0].rfind("Authorization: DPoP ", 0), 0u) << "not a DPoP Authorization line";
  EXPECT_GT(lines[0].size(), std::string("Authorization: DPoP ").size() + 20);
  EXPECT_EQ(lines[1].rfind("DPoP: ey", 0), 0u);
  const CurlAnswer refused = curl_get(first.out, me(), tmp_);
  ASSERT_EQ(refused.status, 401) << refused.err << refused.body;
  ASSERT_FALSE(refused.nonce.empty()) << "the provider gave no DPoP-Nonce";

  // RFC 9449 §9: the script hands the nonce back; the new proof carries it and the API answers.
  const ProcessRun second = run_cli(at("token", "nativeauth-dpop", "soft",
                                       {"--header", "--url", me(), "--nonce", refused.nonce}));
  ASSERT_EQ(second.exit_code, 0) << second.err;
  const CurlAnswer answered = curl_get(second.out, me(), tmp_);
  EXPECT_EQ(answered.status, 200) << answered.err << answered.body;
  EXPECT_EQ(nlohmann::json::parse(answered.body, nullptr, false).value("sub", ""), "alice") << answered.body;
  // The proof is what makes it work: the same token without it is refused (400 invalid_request, RFC 9449 §7.1).
  const CurlAnswer without_proof = curl_get(lines_of(second.out)[0] + "\n", me(), tmp_);
  EXPECT_EQ(without_proof.status, 400) << without_proof.body;

  // Usage errors (2): a DPoP-bound session's --header needs the URL; --url/--nonce only with --header; a bad
  // --nonce or method.
  EXPECT_EQ(run_cli(at("token", "nativeauth-dpop", "soft", {"--header"})).exit_code, 2);
  EXPECT_EQ(run_cli(at("token", "nativeauth-dpop", "soft", {"--url", me()})).exit_code, 2);
  EXPECT_EQ(run_cli(at("token", "nativeauth-dpop", "soft", {"--header", "--url", me(), "--nonce", "a\"b"})).exit_code,
            2);
  EXPECT_EQ(run_cli(at("token", "nativeauth-dpop", "soft", {"--header", "--url", "me", "--method", "GET"})).exit_code,
            2);

  const ProcessRun logout = run_cli(at("logout", "nativeauth-dpop", "soft", {"--local"}));
  EXPECT_EQ(logout.exit_code, 0) << logout.err;
  EXPECT_NE(logout.out.find("Signed out: 1 session(s) erased on this machine"), std::string::npos) << logout.out;
  EXPECT_TRUE(session_status("nativeauth-dpop", "soft").is_null());
}

TEST_F(CliDpop, HeaderOfABearerSessionIsOneAuthorizationLine) {
  ASSERT_EQ(run_cli(at("login", "nativeauth-cli", "bearer", {"--timeout", "60"})).exit_code, 0)
      << read_file(tmp_.file("browser.log"));
  EXPECT_EQ(session_status("nativeauth-cli", "bearer").value("dpop", nlohmann::json()),
            (nlohmann::json{{"bound", false}, {"key_store", nullptr}}));
  const ProcessRun token = run_cli(at("token", "nativeauth-cli", "bearer"));
  ASSERT_EQ(token.exit_code, 0) << token.err;
  const ProcessRun header = run_cli(at("token", "nativeauth-cli", "bearer", {"--header", "--url", me()}));
  ASSERT_EQ(header.exit_code, 0) << header.err;
  EXPECT_EQ(header.out, "Authorization: Bearer " + token.out);
  const CurlAnswer answered = curl_get(header.out, me(), tmp_);
  EXPECT_EQ(answered.status, 200) << answered.err << answered.body;
  // Without --url it is the line `token --header` always printed.
  EXPECT_EQ(run_cli(at("token", "nativeauth-cli", "bearer", {"--header"})).out, header.out);
}

TEST_F(CliDpop, ADpopValueThatIsNoneOfTheThreeIsAUsageErrorBeforeAnyBrowser) {
  const int authorizations = provider_->events().value("authorization.success", -1);
  EXPECT_EQ(run_cli(at("login", "nativeauth-dpop", "bad", {"--dpop=sometimes"})).exit_code, 2);
  ASSERT_EQ(run_process({"mkdir", "-p", config_.path() + "/nativeauth"}).exit_code, 0);
  std::ofstream(config_.path() + "/nativeauth/config.json")
      << nlohmann::json{{"profiles", {{"bad", {{"issuer", provider_->issuer()}, {"dpop", "sometimes"}}}}}}.dump();
  const ProcessRun r = run_cli({"login", "--profile", "bad", "--client-id", "nativeauth-dpop"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("dpop must be required, offered or off"), std::string::npos) << r.err;
  EXPECT_EQ(provider_->events().value("authorization.success", -1), authorizations) << "a browser reached the provider";
}

// The key in a TPM (swtpm here): the record holds only its wrapped blob, and a new process signs with it after
// the TPM restarted (the profile's "dpop" key asks for the binding).
TEST_F(CliDpop, TpmKeySignsAfterTheTpmRestartedAndTheRecordHoldsNoPrivateKey) {
  if (!swtpm_installed()) GTEST_SKIP() << "swtpm is not installed (Debian: swtpm; scripts/bootstrap installs it)";
  Swtpm tpm;
  env_.unset("NATIVEAUTH_TPM");
  env_.set("NATIVEAUTH_TPM_TCTI", tpm.tcti());
  ASSERT_EQ(run_process({"mkdir", "-p", config_.path() + "/nativeauth"}).exit_code, 0);
  std::ofstream(config_.path() + "/nativeauth/config.json")
      << nlohmann::json{{"profiles", {{"tpm", {{"issuer", provider_->issuer()}, {"dpop", "required"}}}}}}.dump();
  const ProcessRun login = run_cli({"login", "--profile", "tpm", "--client-id", "nativeauth-dpop", "--timeout", "60"});
  ASSERT_EQ(login.exit_code, 0) << login.out << login.err << read_file(tmp_.file("browser.log"));
  EXPECT_EQ(session_status("nativeauth-dpop", "tpm").value("dpop", nlohmann::json()),
            (nlohmann::json{{"bound", true}, {"key_store", "tpm"}}));
  const nlohmann::json record = keyring_record(provider_->issuer(), "nativeauth-dpop", "tpm");
  ASSERT_TRUE(record.is_object());
  EXPECT_EQ(record["dpop"].value("store", ""), "tpm");
  EXPECT_FALSE(holds_private_scalar(record));

  tpm.stop();
  tpm.start();
  const int grants = provider_->refresh_grants();
  // 86400 s is more than the token's lifetime: a refresh, whose proof the TPM signs.
  const ProcessRun token = run_cli(at("token", "nativeauth-dpop", "tpm", {"--min-ttl", "86400"}));
  EXPECT_EQ(token.exit_code, 0) << token.err;
  EXPECT_EQ(provider_->refresh_grants(), grants + 1);

  const ProcessRun logout = run_cli(at("logout", "nativeauth-dpop", "tpm", {"--local"}));
  EXPECT_EQ(logout.exit_code, 0) << logout.err;
  EXPECT_TRUE(session_status("nativeauth-dpop", "tpm").is_null());
  EXPECT_FALSE(keyring_record(provider_->issuer(), "nativeauth-dpop", "tpm").is_object());
}

}  // namespace
}  // namespace nativeauth::testing
