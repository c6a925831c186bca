// SPDX-License-Identifier: Apache-2.0
// The real dev OpenID provider (tests/support/provider, npm oidc-provider) as a child process of a test,
// and the headless "system browser" configured through $BROWSER exactly as a user's browser would be.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

namespace nativeauth::testing {

/// How long a test waits for the provider's ready line: $NATIVEAUTH_TEST_PROVIDER_START_S seconds, else
/// 120 s. A start takes about 1 s on an idle machine and 2-9 s on a 2-core machine building at the same
/// time; the 60 s this used to be ran out twice in the sanitizer stage, where every test binary is slower
/// and ctest runs several at once (scripts/test sets more there). It stays below the 180 s ctest gives an
/// integration test, so a start that runs out is reported by this harness, with the provider's stderr.
std::chrono::milliseconds provider_start_budget();

/// A running provider on 127.0.0.1. Started synchronously: start() returns once the provider has
/// printed its ready line (no sleeps, no polling). Stopped (stdin closed, SIGTERM, reaped) on destruction.
class ProviderProcess {
 public:
  struct Options {
    std::string alg = "RS256";  ///< RS256, PS256 or ES256 (ES256: only an EC key exists)
    std::string path;           ///< e.g. "/tenant" for an issuer with a path
    std::vector<std::string> extra_args;
  };
  /// What start() runs and how long it waits for the ready line. Only the harness's own tests change them.
  struct Launch {
    std::vector<std::string> command;  ///< empty: node tests/support/provider/server.js, then Options
    std::chrono::milliseconds budget = provider_start_budget();
  };

  /// Starts `node tests/support/provider/server.js`; nullptr with `*why` set when it fails: what it waited
  /// for, how long, whether the provider is still running or how it exited, and its stderr.
  static std::unique_ptr<ProviderProcess> start(const Options &options, std::string *why);
  static std::unique_ptr<ProviderProcess> start(const Options &options, std::string *why, const Launch &launch);
  ~ProviderProcess();

  const std::string &issuer() const { return issuer_; }
  int port() const { return port_; }
  /// Origin without the issuer path, e.g. "http://127.0.0.1:41234".
  std::string origin() const { return "http://127.0.0.1:" + std::to_string(port_); }
  /// The provider's /__test/events counters (tests/support/README.md), asked on its own port over plain
  /// HTTP; an empty object when they cannot be read.
  nlohmann::json events() const;
  /// How many refresh_token grants succeeded so far; -1 when the counters cannot be read.
  int refresh_grants() const { return events()["grant.success"].value("refresh_token", -1); }
  /// Where the provider's stderr goes (shown when a test fails).
  const std::string &log_path() const { return log_path_; }

 private:
  ProviderProcess() = default;
  /// Why start() gave up: `line` is what arrived on stdout, `took` how long it waited.
  std::string not_ready(const std::string &line, std::chrono::steady_clock::duration took,
                        std::chrono::milliseconds budget);
  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  std::string issuer_;
  int port_ = 0;
  std::string log_path_;
};

/// The directory with the test support files (provider, browser, node_modules).
std::string support_dir();

/// A fresh private temporary directory, removed (recursively) on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir &) = delete;
  TempDir &operator=(const TempDir &) = delete;
  const std::string &path() const { return path_; }
  std::string file(const std::string &name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

/// Sets environment variables for the scope and restores them after (tests run one at a time).
class ScopedEnv {
 public:
  ScopedEnv() = default;
  ~ScopedEnv();
  ScopedEnv(const ScopedEnv &) = delete;
  ScopedEnv &operator=(const ScopedEnv &) = delete;
  void set(const std::string &name, const std::string &value);
  void unset(const std::string &name);

 private:
  std::map<std::string, std::optional<std::string>> saved_;
};

/// Sets (or, with nullptr, unsets) one environment variable for the scope: ScopedEnv for a single name.
class EnvGuard {
 public:
  EnvGuard(const char *name, const char *value) {
    if (value) {
      env_.set(name, value);
    } else {
      env_.unset(name);
    }
  }

 private:
  ScopedEnv env_;
};

/// Points $BROWSER at the headless test browser with the given action ("login", "decline", ...),
/// a profile directory, and a result file the browser writes when it is done.
void use_test_browser(ScopedEnv &env, const std::string &action, const std::string &profile_dir,
                      const std::string &result_file, const std::string &log_file);

/// A loopback port nothing listens on right now (bound to port 0, read, released): for a test that
/// registers a fixed redirect port at the provider. Another process could take it before the test does.
std::uint16_t unused_loopback_port();

/// Whether anything accepts connections on 127.0.0.1:`port`.
bool something_listens(int port);

/// The value of query parameter `name` in `url` as it stands there (not decoded); empty when absent.
std::string param(const std::string &url, const std::string &name);
/// `url` with the value of query parameter `name` (which must be there) replaced by `value`.
std::string replace_param(std::string url, const std::string &name, const std::string &value);

/// Waits until `path` exists (the browser writes it atomically when it finishes); false on timeout.
bool wait_for_file(const std::string &path, std::chrono::milliseconds timeout);

std::string read_file(const std::string &path);

/// What a child process did: its exit code (128 + the signal when one ended it) and what it wrote.
struct ProcessRun {
  int exit_code = -1;
  std::string out;
  std::string err;
};

/// Runs `argv` (argv[0] looked up on PATH when it has no slash) with `input` on its stdin (so not a
/// terminal), stdout and stderr captured in files (no pipe that could fill and block it), and waits.
ProcessRun run_process(std::vector<std::string> argv, const std::string &input = "");

}  // namespace nativeauth::testing
