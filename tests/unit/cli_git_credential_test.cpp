// SPDX-License-Identifier: Apache-2.0
// git's credential protocol as `nativeauth git-credential` reads it (samples/cli/git_credential_protocol.hpp):
// descriptions read strictly, and which of them may get a bearer token. Answers that need a session are
// tested end to end with git itself (tests/e2e/cli_git_test.cpp); the cases here never reach a provider.
#include "git_credential.hpp"
#include "git_credential_protocol.hpp"

#include <gtest/gtest.h>

#include <sstream>

namespace {

std::optional<cli::CredentialRequest> read(const std::string &text, std::string *error = nullptr) {
  std::istringstream in(text);
  std::string ignored;
  return cli::read_credential_request(in, error ? error : &ignored);
}

cli::CredentialRequest request(const std::string &protocol, const std::string &host) {
  cli::CredentialRequest r;
  r.protocol = protocol;
  r.host = host;
  return r;
}

TEST(GitCredentialProtocol, ReadsTheKeysAHelperNeedsUntilABlankLine) {
  const auto r = read("protocol=https\nhost=git.example.com:8443\npath=team/repo.git\nusername=oauth2\npassword=a=b=c\n"
                      "wwwauth[]=Basic realm=\"x\"\nunknown-key=whatever\n\nprotocol=ftp\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->protocol, "https") << "what follows the blank line is not part of the description";
  EXPECT_EQ(r->host, "git.example.com:8443");
  EXPECT_EQ(r->username, "oauth2");
  EXPECT_EQ(r->password.reveal(), "a=b=c") << "only the first '=' separates";
}

TEST(GitCredentialProtocol, EndOfFileEndsTheDescriptionAndALastLineNeedsNoNewline) {
  const auto r = read("protocol=http\nhost=127.0.0.1");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->host, "127.0.0.1");
  const auto empty = read("");
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->protocol.empty());
}

TEST(GitCredentialProtocol, ALaterValueReplacesAndListsAppendOrClear) {
  const auto r = read("host=a\nhost=b\ncapability[]=authtype\ncapability[]=state\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->host, "b");
  EXPECT_EQ(r->capabilities, (std::vector<std::string>{"authtype", "state"}));
  const auto cleared = read("capability[]=authtype\ncapability[]=\ncapability[]=state\n");
  ASSERT_TRUE(cleared);
  EXPECT_EQ(cleared->capabilities, (std::vector<std::string>{"state"}));
}

TEST(GitCredentialProtocol, MalformedInputIsRefusedWithoutQuotingIt) {
  std::string why;
  EXPECT_FALSE(read("protocol=https\nhunter2\n", &why));
  EXPECT_EQ(why, "a line without '='");
  EXPECT_EQ(why.find("hunter2"), std::string::npos);
  EXPECT_FALSE(read("=value\n", &why));
  EXPECT_EQ(why, "a line with an empty key");
  EXPECT_FALSE(read(std::string("password=sec\0ret\n", 16), &why));
  EXPECT_EQ(why, "the credential description holds a NUL byte");
  EXPECT_FALSE(read("path=" + std::string(cli::kMaxCredentialInput, 'x') + "\n", &why));
  EXPECT_NE(why.find("longer than 65536 bytes"), std::string::npos) << why;
  // The twin: just under the limit is read.
  EXPECT_TRUE(read("path=" + std::string(cli::kMaxCredentialInput - 6, 'x') + "\n"));
}

TEST(GitCredentialProtocol, BytesAreTakenAsTheyAre) {
  const auto r = read("protocol=https\r\nhost=example.com\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->protocol, "https\r") << "no quoting or trimming (git-credential(1))";
  std::string why;
  EXPECT_FALSE(cli::may_answer(*r, {}, &why)) << "\"https\\r\" is not https";
}

TEST(GitCredentialProtocol, LoopbackHostsAreTheLiteralOnesAndLocalhost) {
  for (const char *host :
       {"127.0.0.1", "127.0.0.1:8080", "127.1.2.3", "[::1]", "[::1]:443", "localhost", "LocalHost:80"}) {
    EXPECT_TRUE(cli::loopback_host(host)) << host;
  }
  for (const char *host : {"127.1", "127.0.0.256", "127.0.0.1.evil.example", "localhost.evil.example", "evil-localhost",
                           "[::2]", "10.0.0.1", "", "127.0.0.", "0127.0.0.1"}) {
    EXPECT_FALSE(cli::loopback_host(host)) << host;
  }
  EXPECT_EQ(cli::host_name("[::1]:8080"), "[::1]");
  EXPECT_EQ(cli::host_name("Git.Example.COM:443"), "git.example.com");
}

TEST(GitCredentialProtocol, ABearerTokenGoesOnlyOverHttpsOrToLoopback) {
  std::string why;
  EXPECT_TRUE(cli::may_answer(request("https", "git.example.com"), {}, &why));
  EXPECT_TRUE(cli::may_answer(request("http", "127.0.0.1:8080"), {}, &why));
  EXPECT_TRUE(cli::may_answer(request("http", "[::1]:8080"), {}, &why));
  EXPECT_FALSE(cli::may_answer(request("http", "git.example.com"), {}, &why));
  EXPECT_NE(why.find("plain http"), std::string::npos) << why;
  EXPECT_FALSE(cli::may_answer(request("ssh", "git.example.com"), {}, &why));
  EXPECT_FALSE(cli::may_answer(request("https", ""), {}, &why));
  EXPECT_FALSE(cli::may_answer(request("", ""), {}, &why));
}

TEST(GitCredentialProtocol, HostFlagsNarrowWhoGetsTheToken) {
  const std::vector<std::string> hosts = {"git.example.com", "127.0.0.1:8080"};
  std::string why;
  EXPECT_TRUE(cli::may_answer(request("https", "Git.Example.com"), hosts, &why)) << "host names ignore case";
  EXPECT_TRUE(cli::may_answer(request("http", "127.0.0.1:8080"), hosts, &why));
  EXPECT_FALSE(cli::may_answer(request("http", "127.0.0.1:9090"), hosts, &why)) << "another port";
  EXPECT_FALSE(cli::may_answer(request("https", "github.example"), hosts, &why));
  EXPECT_EQ(why, "the host is not one of --host");
}

/// The command's answers that need no session: nothing is printed, and the session is never looked for
/// (the slot, in a memory store, is empty: looking would end with exit code 3, "sign in first").
class GitCredentialCommand : public ::testing::Test {
 protected:
  int run(const std::string &action, const std::string &input) {
    args_.action = action;
    std::istringstream in(input);
    out_.str("");
    return cli::run_git_credential(args_, in, out_);
  }
  cli::GitCredentialArgs args_ = [] {
    cli::GitCredentialArgs a;
    a.target.issuer = "http://127.0.0.1:9";
    a.target.client_id = "nativeauth-cli";
    a.target.storage = nativeauth::StorageKind::memory;
    return a;
  }();
  std::ostringstream out_;
};

TEST_F(GitCredentialCommand, NotOursIsExitZeroWithoutAnAnswer) {
  EXPECT_EQ(run("get", "protocol=http\nhost=git.example.com\n\n"), 0);
  EXPECT_EQ(out_.str(), "");
  EXPECT_EQ(run("get", "protocol=https\nhost=git.example.com\nusername=alice\n\n"), 0) << "another username";
  EXPECT_EQ(out_.str(), "");
  EXPECT_EQ(run("erase", "protocol=http\nhost=git.example.com\npassword=x\n\n"), 0);
  EXPECT_EQ(run("store", "protocol=https\nhost=git.example.com\nusername=oauth2\npassword=x\n\n"), 0);
  EXPECT_EQ(run("frobnicate", "protocol=https\nhost=git.example.com\n\n"), 0) << "a future action is ignored";
  EXPECT_EQ(out_.str(), "");
  // The twin: a description that is ours goes on to the session, which is not there.
  EXPECT_EQ(run("get", "protocol=https\nhost=git.example.com\n\n"), 3);
  EXPECT_EQ(out_.str(), "");
}

TEST_F(GitCredentialCommand, MalformedInputOrUsernameIsAUsageError) {
  EXPECT_EQ(run("get", "protocol=https\nnonsense\n\n"), 2);
  EXPECT_EQ(out_.str(), "");
  args_.username = "two\nlines";
  EXPECT_EQ(run("get", "protocol=https\nhost=git.example.com\n\n"), 2);
  args_.username = "";
  EXPECT_EQ(run("get", "protocol=https\nhost=git.example.com\n\n"), 2);
}

}  // namespace
