// SPDX-License-Identifier: Apache-2.0
// `nativeauth kubectl-credential` end to end: a real kubectl (the machine's, else Debian's kubernetes-client)
// with the CLI as its exec credential plugin, configured with the exact kubeconfig stanza docs/cli.md shows,
// calls a small Kubernetes API server (tests/support/kube-api) that accepts only the dev provider's valid
// tokens, checked for real (the ID token's signature against the provider's JWKS, iss, aud, exp; the access
// token at the provider's UserInfo endpoint). The sign-in runs through the headless browser as $BROWSER; a
// pseudo-terminal (forkpty) gives kubectl the terminal its interactiveMode IfAvailable/Always asks for.
// No fakes.
#include "provider_process.hpp"

#include <nativeauth/nativeauth.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <openssl/sha.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

namespace nativeauth::testing {
namespace {

const char *const kClient = "nativeauth-cli";
/// A JWT (an ID token): three base64url segments, the first a JSON object ("eyJ").
const std::regex kJwt(R"(eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)");

using Outcome = ProcessRun;

int exit_code_of(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status); }

/// Runs `args` (found on PATH) with stdin empty, so not a terminal: capturing stdout and stderr.
Outcome run(const std::vector<std::string> &args) { return run_process(args); }

/// Runs `args` on a new pseudo-terminal (stdin, stdout and stderr), as from an interactive shell: `out` gets
/// everything it printed. Reads until the terminal closes (EIO once no process holds it), at most `limit`.
Outcome run_in_terminal(const std::vector<std::string> &args, std::chrono::seconds limit) {
  std::vector<std::string> all = args;
  std::vector<char *> argv;
  for (auto &a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  int master = -1;
  const pid_t pid = forkpty(&master, nullptr, nullptr, nullptr);
  if (pid == 0) {
    execvp(argv[0], argv.data());
    _exit(127);
  }
  Outcome r;
  if (pid < 0) {
    r.err = "forkpty failed";
    return r;
  }
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
                                                                            std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      r.err = "still running after " + std::to_string(limit.count()) + " s: killed";
      kill(pid, SIGKILL);
      break;
    }
    pollfd p{master, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char buf[4096];
    const ssize_t n = read(master, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // EIO: every process holding the terminal has gone
    r.out.append(buf, static_cast<std::size_t>(n));
  }
  close(master);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  r.exit_code = exit_code_of(status);
  return r;
}

std::string sha256_hex(std::string_view text) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char *>(text.data()), text.size(), digest);
  std::string hex;
  char two[3];
  for (unsigned char b : digest) {
    std::snprintf(two, sizeof two, "%02x", b);
    hex += two;
  }
  return hex;
}

/// kubectl, as the machine has it; empty when it has none.
std::string find_kubectl() {
  const char *path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/bin");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    const std::string candidate = dir + "/kubectl";
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return {};
}

/// The kubeconfig's exec stanza, as docs/cli.md shows it.
struct Exec {
  std::string api_version = "client.authentication.k8s.io/v1";
  std::string interactive_mode = "Never";
  std::vector<std::string> extra_args;  ///< after `--issuer URL --client-id ID`
  std::string profile;                  ///< non-empty: NATIVEAUTH_PROFILE in the stanza's env
};

/// One provider, and one Kubernetes API server that trusts it.
struct Cluster {
  std::unique_ptr<ProviderProcess> provider, api;
  std::string record_path;
  std::string ca_path;  ///< the API server's self-signed certificate: kubectl sends credentials only over TLS

  static std::unique_ptr<Cluster> start(const std::vector<std::string> &provider_args, const std::string &dir,
                                        std::string *why) {
    auto c = std::make_unique<Cluster>();
    c->provider = ProviderProcess::start({"RS256", "", provider_args}, why);
    if (!c->provider) return nullptr;
    c->record_path = dir + "/kube-api-record.jsonl";
    ProviderProcess::Launch launch;
    launch.command = {"node",        support_dir() + "/kube-api/server.js",
                      "--issuer",    c->provider->issuer(),
                      "--client-id", kClient,
                      "--record",    c->record_path,
                      "--tls-dir",   dir};
    c->ca_path = dir + "/ca.pem";
    c->api = ProviderProcess::start({}, why, launch);
    if (!c->api) {
      *why = "kube-api: " + *why;
      return nullptr;
    }
    return c;
  }
  std::string server() const { return "https://127.0.0.1:" + std::to_string(api->port()); }
  /// The API server's decisions so far, oldest first.
  std::vector<nlohmann::json> records() const {
    std::vector<nlohmann::json> out;
    std::istringstream lines(read_file(record_path));
    for (std::string line; std::getline(lines, line);) out.push_back(nlohmann::json::parse(line, nullptr, false));
    return out;
  }
  /// The latest decision; an empty object when there was none.
  nlohmann::json last_record() const {
    const auto all = records();
    return all.empty() ? nlohmann::json::object() : all.back();
  }
};

std::string kubeconfig_yaml(const Cluster &cluster, const Exec &exec) {
  std::string args = "      - kubectl-credential\n      - --issuer\n      - " + cluster.provider->issuer() +
                     "\n      - --client-id\n      - " + kClient + "\n";
  for (const auto &a : exec.extra_args) args += "      - " + a + "\n";
  std::string env;
  if (!exec.profile.empty())
    env = "      env:\n      - name: NATIVEAUTH_PROFILE\n        value: " + exec.profile + "\n";
  return "apiVersion: v1\nkind: Config\nclusters:\n- name: test\n  cluster:\n    server: " + cluster.server() +
         "\n    certificate-authority: " + cluster.ca_path +
         "\nusers:\n- name: oidc\n  user:\n    exec:\n      apiVersion: " + exec.api_version +
         "\n      command: " NATIVEAUTH_CLI "\n      args:\n" + args + env +
         "      interactiveMode: " + exec.interactive_mode + "\n      provideClusterInfo: false\n" +
         "contexts:\n- name: test\n  context:\n    cluster: test\n    user: oidc\ncurrent-context: test\n";
}

class CliKubectl : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    kubectl_ = new std::string(find_kubectl());
    dir_ = new TempDir();
    std::string why;
    cluster_ = Cluster::start({}, dir_->path(), &why).release();
    ASSERT_NE(cluster_, nullptr) << why;
  }
  static void TearDownTestSuite() {
    delete cluster_;
    delete dir_;
    delete kubectl_;
    cluster_ = nullptr;
  }
  void SetUp() override {
    // Not a skip: these tests are the only proof the plugin works with kubectl.
    ASSERT_FALSE(kubectl_->empty()) << "kubectl is missing: install it (scripts/bootstrap installs Debian's "
                                       "kubernetes-client when the machine has no kubectl)";
    ASSERT_NE(cluster_, nullptr);
    env_.set("XDG_CONFIG_HOME", config_.path());
    env_.set("KUBECONFIG", tmp_.file("kubeconfig"));
    for (const char *name : {"NATIVEAUTH_ISSUER", "NATIVEAUTH_CLIENT_ID", "NATIVEAUTH_PROFILE", "KUBERNETES_EXEC_INFO"})
      env_.unset(name);
    use_test_browser(env_, "login", profile_.path(), tmp_.file("result.json"), tmp_.file("browser.log"));
  }

  void configure(const Cluster &cluster, const Exec &exec) {
    std::ofstream(tmp_.file("kubeconfig")) << kubeconfig_yaml(cluster, exec);
  }
  /// `kubectl get --raw /api/v1/namespaces`: no discovery, one request.
  std::vector<std::string> kubectl_args(const std::vector<std::string> &extra = {}) {
    std::vector<std::string> a = {*kubectl_, "get", "--raw", "/api/v1/namespaces", "--cache-dir", tmp_.file("cache")};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
  Outcome login(const Cluster &cluster, const std::string &profile) {
    std::vector<std::string> a = {NATIVEAUTH_CLI, "login", "--issuer",  cluster.provider->issuer(),
                                  "--client-id",  kClient, "--timeout", "60"};
    if (!profile.empty()) a.insert(a.end(), {"--profile", profile});
    return run(a);
  }
  static Session stored(const Cluster &cluster, const std::string &profile) {
    ClientOptions o;
    o.issuer = cluster.provider->issuer();
    o.client_id = kClient;
    o.profile = profile.empty() ? "default" : profile;
    auto client = Client::create(std::move(o));
    EXPECT_TRUE(client);
    auto s = client->load_session();
    if (!s || !s->has_value()) {
      ADD_FAILURE() << "no stored session for profile " << profile;
      return {};
    }
    return std::move(**s);
  }
  std::string browser_log() { return read_file(tmp_.file("browser.log")); }

  static std::string *kubectl_;
  static TempDir *dir_;
  static Cluster *cluster_;
  TempDir tmp_, profile_, config_;
  ScopedEnv env_;
};
std::string *CliKubectl::kubectl_ = nullptr;
TempDir *CliKubectl::dir_ = nullptr;
Cluster *CliKubectl::cluster_ = nullptr;

// The exact words of the issue, `nativeauth kubectl-credential --issuer URL --client-id ID`, in the
// kubeconfig: kubectl gets the session's ID token, and the API server verified it.
TEST_F(CliKubectl, SignedInSessionGivesKubectlTheValidIdToken) {
  const Outcome signed_in = login(*cluster_, "");
  ASSERT_EQ(signed_in.exit_code, 0) << signed_in.err << browser_log();
  configure(*cluster_, {});
  const Outcome k = run(kubectl_args());
  ASSERT_EQ(k.exit_code, 0) << k.out << k.err;
  EXPECT_NE(k.out.find("\"NamespaceList\""), std::string::npos) << k.out;
  EXPECT_NE(k.out.find("kube-system"), std::string::npos) << k.out;
  EXPECT_FALSE(std::regex_search(k.err, kJwt)) << "no token on kubectl's stderr: " << k.err;

  const auto last = cluster_->last_record();
  EXPECT_EQ(last.value("accepted", false), true) << last.dump();
  EXPECT_EQ(last.value("kind", ""), "id_token");
  EXPECT_EQ(last.value("sub", ""), "alice");
  const Session s = stored(*cluster_, "");
  EXPECT_EQ(last.value("token_sha256", ""), sha256_hex(s.id_token.reveal())) << "the session's ID token itself";

  // The negative twin: the same server refuses a token it cannot verify, so kubectl fails.
  const Outcome forged = run(kubectl_args({"--token", "not-a-token-of-the-provider"}));
  EXPECT_NE(forged.exit_code, 0) << forged.out;
  EXPECT_NE(forged.err.find("Unauthorized"), std::string::npos) << forged.err;
  EXPECT_EQ(cluster_->last_record().value("accepted", true), false);
}

TEST_F(CliKubectl, TokenAccessSendsTheAccessTokenCheckedAtUserinfo) {
  ASSERT_EQ(login(*cluster_, "access").exit_code, 0) << browser_log();
  configure(*cluster_, {"client.authentication.k8s.io/v1", "Never", {"--token", "access"}, "access"});
  const Outcome k = run(kubectl_args());
  ASSERT_EQ(k.exit_code, 0) << k.out << k.err;
  EXPECT_NE(k.out.find("kube-system"), std::string::npos) << k.out;
  const auto last = cluster_->last_record();
  EXPECT_EQ(last.value("accepted", false), true) << last.dump();
  EXPECT_EQ(last.value("kind", ""), "access_token");
  EXPECT_EQ(last.value("sub", ""), "alice");
  EXPECT_EQ(last.value("token_sha256", ""), sha256_hex(stored(*cluster_, "access").access_token.reveal()));
}

// kubectl asks for v1beta1 or v1 through KUBERNETES_EXEC_INFO; the answer carries the same apiVersion (kubectl
// refuses any other), the ID token and its `exp`. Run by hand first, to see stdout alone.
TEST_F(CliKubectl, AnswersTheApiVersionKubectlAskedFor) {
  ASSERT_EQ(login(*cluster_, "versions").exit_code, 0) << browser_log();
  const Session s = stored(*cluster_, "versions");
  const std::vector<std::string> plugin = {
      NATIVEAUTH_CLI, "kubectl-credential", "--issuer", cluster_->provider->issuer(), "--client-id",
      kClient,        "--profile",          "versions"};
  for (const std::string version : {"v1beta1", "v1"}) {
    SCOPED_TRACE(version);
    const std::string api_version = "client.authentication.k8s.io/" + version;
    env_.set("KUBERNETES_EXEC_INFO",
             R"({"kind":"ExecCredential","apiVersion":")" + api_version + R"(","spec":{"interactive":false}})");
    const Outcome direct = run(plugin);
    ASSERT_EQ(direct.exit_code, 0) << direct.err;
    EXPECT_EQ(std::count(direct.out.begin(), direct.out.end(), '\n'), 1) << "one line, and nothing else";
    const auto cred = nlohmann::json::parse(direct.out, nullptr, false);
    ASSERT_TRUE(cred.is_object()) << direct.out;
    EXPECT_EQ(cred.value("kind", ""), "ExecCredential");
    EXPECT_EQ(cred.value("apiVersion", ""), api_version);
    EXPECT_EQ(cred["status"].value("token", ""), std::string(s.id_token.reveal()));
    const auto exp = s.claims.integer("exp");
    ASSERT_TRUE(exp);
    char when[32];
    const std::time_t t = static_cast<std::time_t>(*exp);
    std::tm tm{};
    gmtime_r(&t, &tm);
    std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    EXPECT_EQ(cred["status"].value("expirationTimestamp", ""), when) << "the ID token's exp";
    env_.unset("KUBERNETES_EXEC_INFO");

    configure(*cluster_, {api_version, version == "v1" ? "Never" : "IfAvailable", {}, "versions"});
    const Outcome k = run(kubectl_args());
    EXPECT_EQ(k.exit_code, 0) << k.out << k.err;
    EXPECT_EQ(cluster_->last_record().value("accepted", false), true);
  }

  env_.set("KUBERNETES_EXEC_INFO", R"({"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1alpha1"})");
  const Outcome old = run(plugin);
  EXPECT_EQ(old.exit_code, 2) << old.err;
  EXPECT_TRUE(old.out.empty()) << old.out;
  EXPECT_NE(old.err.find("only client.authentication.k8s.io/v1 and client.authentication.k8s.io/v1beta1"),
            std::string::npos)
      << old.err;
}

// interactiveMode Never: no sign-in is possible, kubectl fails, and its user reads what to run.
TEST_F(CliKubectl, WithoutSessionAndNoTerminalKubectlFailsNamingTheLoginCommand) {
  configure(*cluster_, {"client.authentication.k8s.io/v1", "Never", {}, "nobody"});
  const std::size_t before = cluster_->records().size();
  const Outcome k = run(kubectl_args());
  EXPECT_NE(k.exit_code, 0) << k.out;
  EXPECT_NE(k.err.find("sign in first with:\n    nativeauth login --issuer " + cluster_->provider->issuer() +
                       " --client-id " + kClient + " --profile nobody"),
            std::string::npos)
      << k.err;
  EXPECT_NE(k.err.find("failed with exit code 3"), std::string::npos)
      << "kubectl shows the plugin's exit code: " << k.err;
  EXPECT_EQ(cluster_->records().size(), before) << "no request without a credential";
  EXPECT_TRUE(read_file(tmp_.file("result.json")).empty()) << "no browser was opened";
}

// In a terminal kubectl lets the plugin interact: it signs in through the browser as `login` does, with
// its progress on the terminal, and kubectl's request then succeeds.
TEST_F(CliKubectl, WithoutSessionInATerminalSignsInThroughTheBrowser) {
  for (const std::string mode : {"IfAvailable", "Always"}) {
    SCOPED_TRACE(mode);
    const std::string profile = "interactive-" + mode;
    configure(*cluster_, {"client.authentication.k8s.io/v1", mode, {}, profile});
    const Outcome k = run_in_terminal(kubectl_args(), std::chrono::seconds(120));
    ASSERT_EQ(k.exit_code, 0) << k.out << k.err << browser_log();
    EXPECT_NE(k.out.find("Opened your browser to sign in"), std::string::npos) << k.out;
    EXPECT_NE(k.out.find("Signed in as Alice Example"), std::string::npos) << k.out;
    EXPECT_NE(k.out.find("kube-system"), std::string::npos) << k.out;
    EXPECT_FALSE(std::regex_search(k.out, kJwt)) << "no token on the terminal: " << k.out;
    const auto last = cluster_->last_record();
    EXPECT_EQ(last.value("accepted", false), true) << last.dump();
    EXPECT_EQ(last.value("token_sha256", ""), sha256_hex(stored(*cluster_, profile).id_token.reveal()));
  }
}

// An expired ID token is renewed by a refresh: the API server refuses the old one and accepts the new one,
// and the session's claims are those of the new token (its `exp` is what the ExecCredential states).
TEST_F(CliKubectl, ExpiredIdTokenIsRenewedByARefresh) {
  TempDir dir;
  std::string why;
  auto short_lived = Cluster::start({"--id-token-ttl", "4"}, dir.path(), &why);
  ASSERT_TRUE(short_lived) << why;
  ASSERT_EQ(login(*short_lived, "").exit_code, 0) << browser_log();
  const Session first = stored(*short_lived, "");
  const auto first_exp = first.claims.integer("exp");
  ASSERT_TRUE(first_exp);
  // The condition is time itself: nothing signals an expiry, so wait until the clock passes it.
  std::this_thread::sleep_until(std::chrono::system_clock::from_time_t(*first_exp + 1));

  configure(*short_lived, {});
  const Outcome old = run(kubectl_args({"--token", std::string(first.id_token.reveal())}));
  EXPECT_NE(old.exit_code, 0) << "the API server refuses an expired ID token";
  EXPECT_EQ(short_lived->last_record().value("reason", ""), "expired");

  const Outcome k = run(kubectl_args());
  ASSERT_EQ(k.exit_code, 0) << k.out << k.err;
  const auto last = short_lived->last_record();
  EXPECT_EQ(last.value("accepted", false), true) << last.dump();
  const Session renewed = stored(*short_lived, "");
  EXPECT_NE(renewed.id_token.reveal(), first.id_token.reveal());
  EXPECT_EQ(last.value("token_sha256", ""), sha256_hex(renewed.id_token.reveal()));
  EXPECT_GT(last.value("exp", std::int64_t{0}), *first_exp);
  EXPECT_EQ(renewed.claims.integer("exp"), last.value("exp", std::int64_t{0})) << "the claims of the new token";
}

}  // namespace
}  // namespace nativeauth::testing
