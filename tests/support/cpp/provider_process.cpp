// SPDX-License-Identifier: Apache-2.0
// Starts the real dev provider for a test and reads its ready line; the test browser's environment.
#include "provider_process.hpp"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace nativeauth::testing {

std::string support_dir() { return NATIVEAUTH_TEST_SUPPORT_DIR; }

std::unique_ptr<ProviderProcess> ProviderProcess::start(const Options &options, std::string *why) {
  const std::string dir = support_dir();
  if (!std::filesystem::exists(dir + "/node_modules/oidc-provider")) {
    *why = "tests/support/node_modules is missing: run `npm ci --prefix tests/support` (scripts/test does)";
    return nullptr;
  }
  int out[2];
  int in[2];
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(in, O_CLOEXEC) != 0) {
    *why = std::string("pipe: ") + std::strerror(errno);
    return nullptr;
  }
  char log_template[] = "/tmp/nativeauth-provider-XXXXXX.log";
  const int log_fd = mkstemps(log_template, 4);
  std::vector<std::string> args = {"node", dir + "/provider/server.js", "--port", "0", "--alg", options.alg};
  if (!options.path.empty()) {
    args.push_back("--path");
    args.push_back(options.path);
  }
  args.insert(args.end(), options.extra_args.begin(), options.extra_args.end());
  std::vector<char *> argv;
  for (auto &a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  const pid_t pid = fork();
  if (pid < 0) {
    *why = std::string("fork: ") + std::strerror(errno);
    return nullptr;
  }
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    if (log_fd >= 0) dup2(log_fd, 2);
    execvp("node", argv.data());
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  if (log_fd >= 0) close(log_fd);

  auto p = std::unique_ptr<ProviderProcess>(new ProviderProcess());
  p->pid_ = pid;
  p->stdin_fd_ = in[1];
  p->log_path_ = log_template;

  // The provider prints exactly one JSON line when it listens; wait for it (bounded), no sleeps.
  std::string line;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (line.find('\n') == std::string::npos) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
                                                                            std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd pfd{out[0], POLLIN, 0};
    if (poll(&pfd, 1, static_cast<int>(left.count())) <= 0) continue;
    char buf[512];
    const ssize_t n = read(out[0], buf, sizeof buf);
    if (n <= 0) break;
    line.append(buf, static_cast<size_t>(n));
  }
  close(out[0]);
  const auto ready = nlohmann::json::parse(line.substr(0, line.find('\n')), nullptr, false);
  if (ready.is_discarded() || !ready.contains("issuer") || !ready.contains("port")) {
    *why = "the provider did not start (ready line: '" + line + "'); its log: " + read_file(p->log_path_);
    return nullptr;
  }
  p->issuer_ = ready["issuer"].get<std::string>();
  p->port_ = ready["port"].get<int>();
  return p;
}

ProviderProcess::~ProviderProcess() {
  if (stdin_fd_ >= 0) close(stdin_fd_);  // the provider exits on stdin EOF
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
  if (!log_path_.empty() && std::getenv("NATIVEAUTH_KEEP_LOGS") == nullptr) std::remove(log_path_.c_str());
}

TempDir::TempDir() {
  char tmpl[] = "/tmp/nativeauth-test-XXXXXX";
  const char *made = mkdtemp(tmpl);
  path_ = made ? made : "";
}

TempDir::~TempDir() {
  std::error_code ec;
  if (!path_.empty()) std::filesystem::remove_all(path_, ec);
}

ScopedEnv::~ScopedEnv() {
  for (const auto &[name, value] : saved_) {
    if (value) {
      setenv(name.c_str(), value->c_str(), 1);
    } else {
      unsetenv(name.c_str());
    }
  }
}

void ScopedEnv::set(const std::string &name, const std::string &value) {
  if (!saved_.count(name)) {
    const char *old = std::getenv(name.c_str());
    saved_[name] = old ? std::optional<std::string>(old) : std::nullopt;
  }
  setenv(name.c_str(), value.c_str(), 1);
}

void ScopedEnv::unset(const std::string &name) {
  if (!saved_.count(name)) {
    const char *old = std::getenv(name.c_str());
    saved_[name] = old ? std::optional<std::string>(old) : std::nullopt;
  }
  unsetenv(name.c_str());
}

void use_test_browser(ScopedEnv &env, const std::string &action, const std::string &profile_dir,
                      const std::string &result_file, const std::string &log_file) {
  env.set("BROWSER", "node " + support_dir() + "/browser/browser.js");
  env.set("NATIVEAUTH_TEST_BROWSER_ACTION", action);
  env.set("NATIVEAUTH_TEST_BROWSER_PROFILE", profile_dir);
  env.set("NATIVEAUTH_TEST_BROWSER_RESULT", result_file);
  env.set("NATIVEAUTH_TEST_BROWSER_LOG", log_file);
}

std::uint16_t unused_loopback_port() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  std::uint16_t port = 0;
  if (bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr *>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

bool wait_for_file(const std::string &path, std::chrono::milliseconds timeout) {
  // inotify on the directory: woken when the browser renames its result into place.
  const std::string dir = std::filesystem::path(path).parent_path().string();
  const int fd = inotify_init1(IN_CLOEXEC);
  if (fd < 0) return false;
  inotify_add_watch(fd, dir.c_str(), IN_MOVED_TO | IN_CLOSE_WRITE | IN_CREATE);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool found = std::filesystem::exists(path);
  while (!found) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
                                                                            std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd pfd{fd, POLLIN, 0};
    if (poll(&pfd, 1, static_cast<int>(left.count())) > 0) {
      char buf[4096];
      (void)read(fd, buf, sizeof buf);
    }
    found = std::filesystem::exists(path);
  }
  close(fd);
  return found;
}

std::string read_file(const std::string &path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace nativeauth::testing
