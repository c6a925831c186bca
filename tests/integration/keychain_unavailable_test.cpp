// SPDX-License-Identifier: Apache-2.0
// The keychain store where no Secret Service can be reached: every call fails fast with
// storage_unavailable and a message that says what is missing and what to do, and nothing is written
// anywhere instead (no fallback). ctest points DBUS_SESSION_BUS_ADDRESS at a socket that does not exist;
// the test insists on that, so it cannot pass by accident inside a real session.
#include "provider_process.hpp"  // TempDir, ScopedEnv

#include <nativeauth/storage.hpp>

#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;  // POSIX leaves this declaration to the program.

namespace nativeauth {
namespace {

using platform::CredentialStore;
using platform::SlotKey;
using Clock = std::chrono::steady_clock;

constexpr char kBogusBus[] = "unix:path=/nonexistent/bus";
constexpr auto kTimeout = std::chrono::seconds(3);
constexpr char kRecord[] = "{\"v\":1,\"refresh_token\":\"must-not-appear-in-messages\"}";

struct Outcome {
  std::string op;
  ErrorCode code = ErrorCode::ok;
  std::string message;
  std::chrono::milliseconds elapsed{0};
};

template <typename R>
Outcome outcome(const std::string &op, Clock::time_point start, const R &result) {
  Outcome o;
  o.op = op;
  o.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  if (!result) {
    o.code = result.error().code;
    o.message = result.error().message;
  }
  return o;
}

// load, save, erase and list once each, timed.
std::vector<Outcome> exercise(CredentialStore &store) {
  const SlotKey key{"https://keychain-unavailable.invalid", "app", "default"};
  std::vector<Outcome> out;
  auto start = Clock::now();
  auto loaded = store.load(key);
  out.push_back(outcome("load", start, loaded));
  start = Clock::now();
  auto saved = store.save(key, SecretString(kRecord));
  out.push_back(outcome("save", start, saved));
  start = Clock::now();
  auto erased = store.erase(key);
  out.push_back(outcome("erase", start, erased));
  start = Clock::now();
  auto listed = store.list(key.issuer);
  out.push_back(outcome("list", start, listed));
  return out;
}

std::shared_ptr<CredentialStore> make_store() {
  KeychainOptions options;
  options.app_name = "Unavailable Test";
  options.timeout = kTimeout;
  auto store = make_keychain_store(options);  // creating it contacts nothing, so it succeeds
  EXPECT_TRUE(store) << store.error().to_string();
  return store ? *store : nullptr;
}

void expect_unavailable(const std::vector<Outcome> &outcomes, const std::string &cause) {
  ASSERT_EQ(outcomes.size(), 4u);
  for (const auto &o : outcomes) {
    EXPECT_EQ(o.code, ErrorCode::storage_unavailable) << o.op << ": " << o.message;
    EXPECT_NE(o.message.find("Secret Service"), std::string::npos) << o.op << ": " << o.message;
    // The ways forward, all of them: a Secret Service, the encrypted store with `unlock`, the plain file store.
    for (const char *option : {"--storage encrypted-file", "`nativeauth unlock`", "--storage file"}) {
      EXPECT_NE(o.message.find(option), std::string::npos) << o.op << ": " << option << " missing: " << o.message;
    }
    EXPECT_NE(o.message.find(cause), std::string::npos) << o.op << ": " << o.message;
    EXPECT_EQ(o.message.find("must-not-appear"), std::string::npos) << o.op << ": " << o.message;
    EXPECT_LT(o.elapsed, kTimeout + std::chrono::seconds(2)) << o.op;
  }
}

// Every file and directory below `dir`, for "nothing was written".
std::vector<std::string> tree(const std::string &dir) {
  std::vector<std::string> found;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    found.push_back(it->path().string());
  }
  return found;
}

// ---------------------------------------------------------------------------------------------
// A bus where nobody owns org.freedesktop.secrets. GLib's session bus connection is a process-wide
// singleton that sends SIGTERM to its process when the bus goes away, so that case runs in a child:
// this same executable, started with NATIVEAUTH_KEYCHAIN_PROBE_CHILD=1, which answers before GoogleTest
// starts and prints one line per operation: op, code, elapsed ms, message (tab separated).

int probe_child() {
  auto store = make_store();
  if (!store) return 3;
  for (const auto &o : exercise(*store)) {
    std::printf("%s\t%d\t%lld\t%s\n", o.op.c_str(), static_cast<int>(o.code), static_cast<long long>(o.elapsed.count()),
                o.message.c_str());
  }
  std::fflush(stdout);
  return 0;
}

[[maybe_unused]] const bool kProbeChild = [] {
  if (std::getenv("NATIVEAUTH_KEYCHAIN_PROBE_CHILD")) std::_Exit(probe_child());
  return false;
}();

struct Process {
  pid_t pid = -1;
  int out = -1;  // its stdout
  ~Process() {
    if (out >= 0) close(out);
    if (pid > 0) {
      kill(pid, SIGTERM);
      int status = 0;
      while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
    }
  }
};

// Starts argv with the current environment changed by `env` (nullopt: removed), stdout piped.
bool start(Process &p, const std::vector<std::string> &argv,
           const std::map<std::string, std::optional<std::string>> &env) {
  std::vector<std::string> vars;
  for (char **e = environ; *e; ++e) {
    const std::string var(*e);
    if (env.count(var.substr(0, var.find('='))) == 0) vars.push_back(var);
  }
  for (const auto &[name, value] : env) {
    if (value) vars.push_back(name + "=" + *value);
  }
  std::vector<char *> envp, args;
  for (auto &v : vars) envp.push_back(v.data());
  envp.push_back(nullptr);
  for (const auto &a : argv) args.push_back(const_cast<char *>(a.c_str()));
  args.push_back(nullptr);
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) return false;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 1);
  const int rc = posix_spawnp(&p.pid, args[0], &actions, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  close(pipe_fds[1]);
  p.out = pipe_fds[0];
  if (rc != 0) p.pid = -1;
  return rc == 0;
}

// Reads stdout until `stop` is seen or EOF or the deadline.
std::string read_until(int fd, const std::string &stop, std::chrono::seconds limit) {
  std::string text;
  const auto deadline = Clock::now() + limit;
  while (Clock::now() < deadline && (stop.empty() || text.find(stop) == std::string::npos)) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 200) <= 0) continue;
    char buf[4096];
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0) {
      text.append(buf, static_cast<std::size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  return text;
}

// ---------------------------------------------------------------------------------------------

class KeychainUnavailable : public ::testing::Test {
 protected:
  void SetUp() override {
    const char *bus = std::getenv("DBUS_SESSION_BUS_ADDRESS");
    ASSERT_TRUE(bus && std::string(bus) == kBogusBus)
        << "DBUS_SESSION_BUS_ADDRESS must be " << kBogusBus << " (ctest sets it; by hand: "
        << "DBUS_SESSION_BUS_ADDRESS=" << kBogusBus << " DISPLAY= "
        << "keychain_unavailable_test), so that "
        << "this test cannot pass by reaching a real Secret Service";
    ASSERT_FALSE(home_.path().empty());
    ASSERT_EQ(mkdir(runtime_dir().c_str(), 0700), 0);
    // Everything a fallback could write to lives under this HOME, which must stay empty.
    env_.set("HOME", home_.path() + "/home");
    ASSERT_EQ(mkdir((home_.path() + "/home").c_str(), 0700), 0);
    for (const char *var : {"XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"}) env_.unset(var);
    env_.set("XDG_RUNTIME_DIR", runtime_dir());
    env_.unset("DISPLAY");  // GLib would autolaunch a bus (and a keyring with it) through X11
    env_.unset("WAYLAND_DISPLAY");
  }

  void TearDown() override { EXPECT_TRUE(tree(home_.path() + "/home").empty()) << "something was written to HOME"; }

  std::string runtime_dir() const { return home_.path() + "/runtime"; }

  testing::TempDir home_;
  testing::ScopedEnv env_;
};

TEST_F(KeychainUnavailable, BogusBusFailsEveryCallQuickly) {
  auto store = make_store();
  ASSERT_TRUE(store);
  auto outcomes = exercise(*store);
  expect_unavailable(outcomes, "no D-Bus session bus");
  EXPECT_NE(outcomes[0].message.find("/nonexistent/bus"), std::string::npos) << outcomes[0].message;
  // Twice: a failed connection is not cached, and the second round is as clear as the first.
  expect_unavailable(exercise(*store), "no D-Bus session bus");
  EXPECT_TRUE(tree(runtime_dir()).empty()) << "nothing under XDG_RUNTIME_DIR either";
}

TEST_F(KeychainUnavailable, NoBusAddressAtAll) {
  env_.unset("DBUS_SESSION_BUS_ADDRESS");  // restored by env_ after the test
  auto store = make_store();
  ASSERT_TRUE(store);
  auto outcomes = exercise(*store);
  expect_unavailable(outcomes, "no D-Bus session bus");
  EXPECT_NE(outcomes[0].message.find("DBUS_SESSION_BUS_ADDRESS is not set"), std::string::npos) << outcomes[0].message;
  EXPECT_TRUE(tree(runtime_dir()).empty());
}

TEST_F(KeychainUnavailable, BusWithoutSecretService) {
  testing::TempDir bus_dir;
  const std::string conf = bus_dir.file("bus.conf");
  {
    std::ofstream f(conf);
    f << "<busconfig><type>session</type><listen>unix:dir=" << bus_dir.path()
      << "</listen><auth>EXTERNAL</auth><policy context=\"default\"><allow send_destination=\"*\" eavesdrop=\"true\"/>"
         "<allow eavesdrop=\"true\"/><allow own=\"*\"/></policy></busconfig>\n";
  }
  // No <servicedir>: nothing can be activated, so org.freedesktop.secrets stays without an owner.
  Process bus;
  ASSERT_TRUE(start(bus, {"dbus-daemon", "--config-file=" + conf, "--nofork", "--print-address=1"}, {}))
      << "dbus-daemon (Debian: dbus-daemon) is needed";
  std::string address = read_until(bus.out, "\n", std::chrono::seconds(10));
  ASSERT_NE(address.find('\n'), std::string::npos) << "dbus-daemon printed no address";
  address.erase(address.find('\n'));

  Process child;
  ASSERT_TRUE(start(child, {"/proc/self/exe"},
                    {{"NATIVEAUTH_KEYCHAIN_PROBE_CHILD", "1"}, {"DBUS_SESSION_BUS_ADDRESS", address}}));
  const std::string lines = read_until(child.out, "", std::chrono::seconds(60));
  int status = 0;
  ASSERT_EQ(waitpid(child.pid, &status, 0), child.pid);
  child.pid = -1;
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "probe child failed:\n" << lines;

  std::vector<Outcome> outcomes;
  std::istringstream in(lines);
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    Outcome o;
    std::string code, ms;
    std::getline(fields, o.op, '\t');
    std::getline(fields, code, '\t');
    std::getline(fields, ms, '\t');
    std::getline(fields, o.message);
    o.code = static_cast<ErrorCode>(std::atoi(code.c_str()));
    o.elapsed = std::chrono::milliseconds(std::atoll(ms.c_str()));
    outcomes.push_back(o);
  }
  expect_unavailable(outcomes, "nothing owns org.freedesktop.secrets");
}

TEST_F(KeychainUnavailable, CreatingTheStoreNeedsNoKeyringButAValidTimeout) {
  KeychainOptions options;
  options.timeout = std::chrono::milliseconds(0);
  auto bad = make_keychain_store(options);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::invalid_argument);
  options.timeout = std::chrono::milliseconds(1);
  EXPECT_TRUE(make_keychain_store(options)) << "creating the store contacts nothing";
}

}  // namespace
}  // namespace nativeauth
