// SPDX-License-Identifier: Apache-2.0
// A process loads libcrypto, libcurl and libsecret (with GLib) only when it uses them (docs/adr/0005,
// 0008, 0009).
// - In this process: answering a fresh access token loads neither libcrypto nor libcurl (the loaded
//   objects listed with dl_iterate_phdr), and the twin shows that the first crypto call does load
//   libcrypto, so the check can fail. This binary must not link either library itself
//   (tests/unit/CMakeLists.txt); it says so loudly rather than pass vacuously.
// - In child processes run with LD_DEBUG=libs (the dynamic loader's own "calling init:" lines): an app
//   that makes a Client with the keychain store (lazy_libraries_probe), `nativeauth --version`,
//   `nativeauth status` and `nativeauth token` on the file store initialise none of libsecret, GIO,
//   GObject, GLib, libgcrypt, libdbus, libcrypto or libcurl; the twins, the same probe reading the
//   keychain and `nativeauth status` on the keychain, do initialise libsecret and GLib. They call the
//   store whether or not a Secret Service answers (tests/support/keyring-env gives them one).
#include <nativeauth/nativeauth.hpp>

#include "core/record.hpp"
#include "core/token_cache.hpp"
#include "crypto/crypto.hpp"
#include "linux/kernel_keyring.hpp"
#include "linux/token_cache.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <regex>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <link.h>
#include <linux/keyctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

using namespace std::chrono_literals;

std::vector<std::string> loaded_objects() {
  std::vector<std::string> names;
  dl_iterate_phdr(
      [](dl_phdr_info *info, size_t, void *out) {
        if (info->dlpi_name && *info->dlpi_name)
          static_cast<std::vector<std::string> *>(out)->push_back(info->dlpi_name);
        return 0;
      },
      &names);
  return names;
}

/// The loaded object whose file name contains `soname` ("libcrypto.so."), or "".
std::string loaded(const std::string &soname) {
  for (const std::string &name : loaded_objects()) {
    if (name.find(soname) != std::string::npos) return name;
  }
  return "";
}

/// A session whose access token has an hour left: answered from the store, no refresh, no network.
nativeauth::Session fresh_session(const nativeauth::ClientOptions &options, const std::string &access_token) {
  nativeauth::Session session;
  session.issuer = options.issuer;
  session.client_id = options.client_id;
  session.profile = options.profile;
  session.access_token = nativeauth::SecretString(access_token);
  session.refresh_token = nativeauth::SecretString("refresh-token-never-used");
  session.token_type = "Bearer";
  session.issued_at = std::chrono::system_clock::now();
  session.access_token_expiry = session.issued_at + 1h;
  session.scopes = {"openid", "offline_access"};
  return session;
}

TEST(LazyLibraries, AFreshTokenLoadsNoCryptoAndNoCurlUntilCryptoIsNeeded) {
  ASSERT_EQ(loaded("libcrypto.so."), "") << "this test binary links libcrypto itself: the check would be vacuous";
  ASSERT_EQ(loaded("libcurl.so."), "") << "this test binary links libcurl itself: the check would be vacuous";
  ASSERT_NE(loaded("libstdc++.so."), "") << "dl_iterate_phdr lists no shared objects: the check would be vacuous";

  // The token path as `nativeauth token` runs it: Client::create, then access_token() answered from the
  // store with a token that still has an hour left (no refresh, no network, no ID token to validate).
  nativeauth::ClientOptions options;
  options.issuer = "http://127.0.0.1:9";  // never contacted
  options.client_id = "lazy-libraries-test";
  const nativeauth::Session session = fresh_session(options, "access-token-from-the-store");
  auto store = std::make_shared<nativeauth::MemoryCredentialStore>();
  const nativeauth::platform::SlotKey key{options.issuer, options.client_id, options.profile};
  ASSERT_TRUE(store->save(key, nativeauth::core::serialize_session(session, options.issuer + "/token")));
  options.platform.store = store;
  auto client = nativeauth::Client::create(std::move(options));
  ASSERT_TRUE(client) << client.error().to_string();
  auto token = client->access_token();
  ASSERT_TRUE(token) << token.error().to_string();
  EXPECT_EQ(token->value.reveal(), "access-token-from-the-store");

  EXPECT_EQ(loaded("libcrypto.so."), "") << "the token path loaded libcrypto";
  EXPECT_EQ(loaded("libcurl.so."), "") << "the token path loaded libcurl";

  // The twin: the first call that needs OpenSSL (sign-in's PKCE verifier) loads it, and it works.
  auto random = nativeauth::crypto::random_bytes(32);
  ASSERT_TRUE(random) << random.error().to_string();
  EXPECT_NE(loaded("libcrypto.so.3"), "") << "random_bytes() worked without loading libcrypto.so.3?";
}

// --- Child processes under LD_DEBUG=libs

/// A private temporary directory, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string pattern = std::filesystem::temp_directory_path().string() + "/lazy-libraries.XXXXXX";
    if (mkdtemp(pattern.data())) path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir &) = delete;
  TempDir &operator=(const TempDir &) = delete;
  const std::string &path() const { return path_; }

 private:
  std::string path_;
};

std::string read_file(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

struct ChildRun {
  int exit_code = -1;
  std::string out;
  std::vector<std::string> initialised;  ///< the objects whose initialisers ran, as the loader names them
  std::string err;                       ///< stderr without the loader's lines
};

/// This process's environment with `changes` applied: "NAME=value" sets, "NAME=" removes.
std::vector<std::string> environment_with(std::vector<std::string> changes) {
  std::vector<std::string> out;
  auto name_of = [](const std::string &entry) { return entry.substr(0, entry.find('=')); };
  for (char **e = environ; *e != nullptr; ++e) {
    const std::string entry = *e;
    bool changed = false;
    for (const auto &c : changes) changed = changed || name_of(c) == name_of(entry);
    if (!changed) out.push_back(entry);
  }
  for (auto &c : changes) {
    if (c.back() != '=') out.push_back(std::move(c));
  }
  return out;
}

/// Runs `argv` with LD_DEBUG=libs and the environment changes `env` (environment_with()); stdout and
/// stderr go to files (no pipe to fill), stdin is /dev/null.
ChildRun run_traced(std::vector<std::string> argv, std::vector<std::string> env = {}) {
  TempDir tmp;
  const std::string out_path = tmp.path() + "/out", err_path = tmp.path() + "/err";
  env.push_back("LD_DEBUG=libs");
  env.push_back("LD_DEBUG_OUTPUT=");  // the loader's lines on stderr, where they are read
  std::vector<std::string> envp_strings = environment_with(std::move(env));
  std::vector<char *> args, envp;
  for (auto &a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  for (auto &e : envp_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {  // only async-signal-safe calls from here
    const int in = open("/dev/null", O_RDONLY);
    const int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (in < 0 || out < 0 || err < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0) _exit(126);
    execve(args[0], args.data(), envp.data());
    _exit(127);
  }
  int status = 0;
  while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  ChildRun run;
  run.exit_code = pid < 0 ? -1 : WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  run.out = read_file(out_path);
  std::istringstream err(read_file(err_path));
  static const std::regex init_line(R"(^\s*[0-9]+:\s+calling init: (.*)$)");
  static const std::regex loader_line(R"(^\s*[0-9]+:\s)");
  std::smatch m;
  for (std::string line; std::getline(err, line);) {
    if (std::regex_match(line, m, init_line)) {
      run.initialised.push_back(m[1].str());
    } else if (!std::regex_search(line, loader_line)) {
      run.err += line + '\n';
    }
  }
  return run;
}

/// The sonames a process that does not use the keychain (or the network, or crypto) must not initialise.
const std::vector<std::string> kLazy = {"libsecret-1.so.", "libgio-2.0.so.", "libgobject-2.0.so.", "libglib-2.0.so.",
                                        "libgcrypt.so.",   "libdbus-1.so.",  "libcrypto.so.",      "libcurl.so."};
/// What reading the keychain must initialise.
const std::vector<std::string> kKeychain = {"libsecret-1.so.", "libgio-2.0.so.", "libgobject-2.0.so.",
                                            "libglib-2.0.so."};

std::string among(const std::vector<std::string> &objects, const std::string &soname) {
  for (const std::string &name : objects) {
    if (name.find(soname) != std::string::npos) return name;
  }
  return "";
}

std::string describe(const ChildRun &run) {
  std::string text = "exit " + std::to_string(run.exit_code) + "; initialised:";
  for (const auto &name : run.initialised) text += " " + name;
  return text + "\nstderr: " + run.err;
}

/// Fails unless `run` reported initialisers at all (libstdc++'s: LD_DEBUG worked) and none of kLazy's.
void expect_nothing_lazy_initialised(const ChildRun &run) {
  ASSERT_NE(among(run.initialised, "libstdc++.so."), "")
      << "LD_DEBUG=libs reported no libstdc++: the check would be vacuous; " << describe(run);
  for (const std::string &soname : kLazy) {
    EXPECT_EQ(among(run.initialised, soname), "") << soname << " was initialised; " << describe(run);
  }
}

void expect_keychain_initialised(const ChildRun &run) {
  for (const std::string &soname : kKeychain) {
    EXPECT_NE(among(run.initialised, soname), "") << soname << " was not initialised; " << describe(run);
  }
}

#if defined(NATIVEAUTH_LAZY_PROBE)
TEST(LazyLibraries, AnAppWithTheKeychainStoreLoadsLibsecretOnlyWhenItReadsTheKeychain) {
  const ChildRun made = run_traced({NATIVEAUTH_LAZY_PROBE, "client"});
  ASSERT_EQ(made.exit_code, 0) << describe(made);
  expect_nothing_lazy_initialised(made);

  // The twin: the first store call loads libsecret and GLib (and the check sees it).
  const ChildRun read = run_traced({NATIVEAUTH_LAZY_PROBE, "read"});
  ASSERT_EQ(read.exit_code, 0) << describe(read);
  ASSERT_NE(read.out.find("read"), std::string::npos) << describe(read);
  expect_keychain_initialised(read);
}

// A libsecret that cannot be used is a clear storage_unavailable at the first store call, naming the
// package, never a crash or a failure to start. The fakes (a text file, a library lacking libsecret's
// functions, found first through LD_LIBRARY_PATH) stand in for broken installations no real part gives.
TEST(LazyLibraries, AnUnusableLibsecretIsStorageUnavailableNamingThePackage) {
  const ChildRun old = run_traced({NATIVEAUTH_LAZY_PROBE, "read"}, {"LD_LIBRARY_PATH=" NATIVEAUTH_OLD_LIBSECRET_DIR});
  ASSERT_EQ(old.exit_code, 0) << describe(old);
  EXPECT_NE(old.out.find("read failed: storage_unavailable: keychain: cannot read the session: libsecret-1.so.0 has "
                         "no secret_error_get_quark; it is too old; install libsecret 0.18 or later (Debian: "
                         "libsecret-1-0)"),
            std::string::npos)
      << old.out;

  TempDir broken;
  ASSERT_FALSE(broken.path().empty());
  std::ofstream(broken.path() + "/libsecret-1.so.0") << "not a shared object\n";
  const ChildRun unloadable = run_traced({NATIVEAUTH_LAZY_PROBE, "read"}, {"LD_LIBRARY_PATH=" + broken.path()});
  ASSERT_EQ(unloadable.exit_code, 0) << describe(unloadable);
  EXPECT_NE(unloadable.out.find("read failed: storage_unavailable: keychain: cannot read the session: "
                                "libsecret-1.so.0 could not be loaded ("),
            std::string::npos)
      << unloadable.out;
  EXPECT_NE(unloadable.out.find("); install libsecret 0.18 or later (Debian: libsecret-1-0)"), std::string::npos)
      << unloadable.out;
}

#if defined(NATIVEAUTH_CLI)
/// The CLI's environment: throw-away HOME and XDG directories, no profile or default from the caller.
std::vector<std::string> cli_env(const TempDir &home) {
  return {"HOME=" + home.path(),
          "XDG_CONFIG_HOME=" + home.path() + "/config",
          "XDG_STATE_HOME=" + home.path() + "/state",
          "XDG_DATA_HOME=" + home.path() + "/data",
          "XDG_RUNTIME_DIR=" + home.path(),
          "NATIVEAUTH_ISSUER=",
          "NATIVEAUTH_CLIENT_ID=",
          "NATIVEAUTH_PROFILE=",
          "NATIVEAUTH_STORAGE=",
          "NATIVEAUTH_REDIRECT_URI="};
}

TEST(LazyLibraries, TheCliLoadsLibsecretOnlyForCommandsThatReadTheKeychain) {
  TempDir home;
  ASSERT_FALSE(home.path().empty());
  const std::string issuer = "http://127.0.0.1:9";  // never contacted
  const std::string client_id = "lazy-libraries-cli";

  // `nativeauth token` answered from the file store: the start of a fast path that never needs the keychain.
  nativeauth::ClientOptions options;
  options.issuer = issuer;
  options.client_id = client_id;
  auto store = nativeauth::make_file_store({home.path() + "/state/nativeauth"});
  ASSERT_TRUE(store) << store.error().to_string();
  const nativeauth::platform::SlotKey key{issuer, client_id, options.profile};
  ASSERT_TRUE((*store)->save(key, nativeauth::core::serialize_session(fresh_session(options, "token-from-a-file"),
                                                                      issuer + "/token")));
  const ChildRun token = run_traced(
      {NATIVEAUTH_CLI, "token", "--storage", "file", "--issuer", issuer, "--client-id", client_id}, cli_env(home));
  ASSERT_EQ(token.exit_code, 0) << describe(token);
  EXPECT_EQ(token.out, "token-from-a-file\n");
  expect_nothing_lazy_initialised(token);

  // `nativeauth token` on the keychain, answered from the kernel-keyring access-token cache (filled here as
  // the SDK fills it, in a session keyring of this test's own): no keychain library at all, and no bus.
  ASSERT_GE(::syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, 0UL, 0UL, 0UL, 0UL), 0);
  auto cache = nativeauth::linux_platform::make_kernel_keyring_token_cache(nativeauth::kernel_keyring::Ring::session,
                                                                           "keychain");
  ASSERT_TRUE(cache->put(key, nativeauth::core::cache_entry(key, fresh_session(options, "token-from-the-kernel")),
                         std::chrono::seconds(3600)));
  std::vector<std::string> cached_env = cli_env(home);
  cached_env.insert(cached_env.end(),
                    {"NATIVEAUTH_KEYRING=session", "DBUS_SESSION_BUS_ADDRESS=unix:path=" + home.path() + "/no-bus"});
  const ChildRun cached = run_traced(
      {NATIVEAUTH_CLI, "token", "--storage", "keychain", "--issuer", issuer, "--client-id", client_id}, cached_env);
  ASSERT_EQ(cached.exit_code, 0) << describe(cached);
  EXPECT_EQ(cached.out, "token-from-the-kernel\n");
  expect_nothing_lazy_initialised(cached);
  ASSERT_TRUE(cache->remove(key));

  const ChildRun version = run_traced({NATIVEAUTH_CLI, "--version"}, cli_env(home));
  ASSERT_EQ(version.exit_code, 0) << describe(version);
  expect_nothing_lazy_initialised(version);

  const ChildRun file_status = run_traced({NATIVEAUTH_CLI, "status", "--storage", "file", "--issuer", issuer},
                                          cli_env(home));
  ASSERT_EQ(file_status.exit_code, 0) << describe(file_status);
  EXPECT_NE(file_status.out.find(client_id), std::string::npos) << describe(file_status);
  expect_nothing_lazy_initialised(file_status);

  // The twin: `status` on the keychain lists its slots through libsecret (exit 0 in keyring-env, 1 when
  // there is no Secret Service; the library is loaded either way).
  const ChildRun keychain_status = run_traced({NATIVEAUTH_CLI, "status", "--storage", "keychain", "--issuer", issuer},
                                              cli_env(home));
  EXPECT_TRUE(keychain_status.exit_code == 0 || keychain_status.exit_code == 1) << describe(keychain_status);
  expect_keychain_initialised(keychain_status);
}
#endif  // NATIVEAUTH_CLI
#endif  // NATIVEAUTH_LAZY_PROBE

}  // namespace
