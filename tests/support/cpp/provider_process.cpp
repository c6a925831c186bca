// SPDX-License-Identifier: Apache-2.0
// Starts the real dev provider for a test and reads its ready line; the test browser's environment.
#include "provider_process.hpp"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace nativeauth::testing {

std::string support_dir() { return NATIVEAUTH_TEST_SUPPORT_DIR; }

std::chrono::milliseconds provider_start_budget() {
  const char *text = std::getenv("NATIVEAUTH_TEST_PROVIDER_START_S");
  if (text && *text) {
    char *end = nullptr;
    const long seconds = std::strtol(text, &end, 10);
    if (*end == '\0' && seconds > 0 && seconds <= 3600) return std::chrono::seconds(seconds);
    std::fprintf(stderr, "provider_process: ignoring NATIVEAUTH_TEST_PROVIDER_START_S='%s' (1 to 3600 s)\n", text);
  }
  return std::chrono::seconds(120);
}

namespace {

using Clock = std::chrono::steady_clock;

std::string seconds_text(Clock::duration d) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f s", std::chrono::duration<double>(d).count());
  return text;
}

// Reads `fd` until a full line arrived, it closed, or `deadline`: woken by the data itself, no polling.
std::string read_line(int fd, Clock::time_point deadline) {
  std::string line;
  while (line.find('\n') == std::string::npos) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) break;
    pollfd pfd{fd, POLLIN, 0};
    const int ready = poll(&pfd, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno != EINTR) break;
    if (ready <= 0) continue;
    char buf[512];
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // EOF: the provider closed stdout or exited
    line.append(buf, static_cast<size_t>(n));
  }
  return line;
}

// The last `limit` bytes of a file: a provider's stderr can be long, its end says why it stopped.
std::string tail_of(const std::string &path, std::size_t limit = 8192) {
  const std::string text = read_file(path);
  return text.size() <= limit ? text : "[...]" + text.substr(text.size() - limit);
}

// Reaps `pid` if it exits within `limit`, woken by its exit (a pidfd), not by polling. A process that
// closed its stdout is usually exiting, but may not be reapable yet at that instant.
bool reap_within(pid_t pid, std::chrono::milliseconds limit, int *status) {
  const int fd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (fd >= 0) {
    pollfd pfd{fd, POLLIN, 0};
    while (poll(&pfd, 1, static_cast<int>(limit.count())) < 0 && errno == EINTR) {
    }
    close(fd);
  }
  return waitpid(pid, status, WNOHANG) == pid;
}

}  // namespace

std::unique_ptr<ProviderProcess> ProviderProcess::start(const Options &options, std::string *why) {
  return start(options, why, Launch{});
}

std::unique_ptr<ProviderProcess> ProviderProcess::start(const Options &options, std::string *why,
                                                        const Launch &launch) {
  const std::string dir = support_dir();
  std::vector<std::string> args = launch.command;
  if (args.empty()) {
    if (!std::filesystem::exists(dir + "/node_modules/oidc-provider")) {
      *why = "tests/support/node_modules is missing: run `npm ci --prefix tests/support` (scripts/test does)";
      return nullptr;
    }
    args = {"node", dir + "/provider/server.js", "--port", "0", "--alg", options.alg};
    if (!options.path.empty()) {
      args.push_back("--path");
      args.push_back(options.path);
    }
    args.insert(args.end(), options.extra_args.begin(), options.extra_args.end());
  }
  int out[2];
  int in[2];
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(in, O_CLOEXEC) != 0) {
    *why = std::string("pipe: ") + std::strerror(errno);
    return nullptr;
  }
  char log_template[] = "/tmp/nativeauth-provider-XXXXXX.log";
  const int log_fd = mkstemps(log_template, 4);
  std::vector<char *> argv;
  for (auto &a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  const auto started = Clock::now();
  const pid_t pid = fork();
  if (pid < 0) {
    *why = std::string("fork: ") + std::strerror(errno);
    return nullptr;
  }
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    if (log_fd >= 0) dup2(log_fd, 2);
    execvp(argv[0], argv.data());
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  if (log_fd >= 0) close(log_fd);

  auto p = std::unique_ptr<ProviderProcess>(new ProviderProcess());
  p->pid_ = pid;
  p->stdin_fd_ = in[1];
  p->log_path_ = log_template;

  // The provider prints exactly one JSON line when it listens: wait for that line (bounded).
  const std::string line = read_line(out[0], started + launch.budget);
  close(out[0]);
  const auto took = Clock::now() - started;
  const auto ready = nlohmann::json::parse(line.substr(0, line.find('\n')), nullptr, false);
  if (ready.is_discarded() || !ready.is_object() || !ready.contains("issuer") || !ready.contains("port")) {
    *why = p->not_ready(line, took, launch.budget);
    return nullptr;
  }
  // A slow start is worth seeing before it becomes a failure.
  if (took > launch.budget / 4) {
    std::fprintf(stderr, "provider_process: the provider took %s to start (budget %s)\n", seconds_text(took).c_str(),
                 seconds_text(launch.budget).c_str());
  }
  p->issuer_ = ready["issuer"].get<std::string>();
  p->port_ = ready["port"].get<int>();
  return p;
}

std::string ProviderProcess::not_ready(const std::string &line, std::chrono::steady_clock::duration took,
                                       std::chrono::milliseconds budget) {
  const bool no_line = line.find('\n') == std::string::npos;
  const bool timed_out = no_line && took >= budget;
  std::string state = "it is still running (stopped now)";
  int status = 0;
  // Its stdout closed before a line: it is exiting; give it a moment to say how.
  const auto grace = no_line && !timed_out ? std::chrono::milliseconds(5000) : std::chrono::milliseconds(0);
  if (reap_within(pid_, grace, &status)) {
    pid_ = -1;  // reaped here: the destructor must not wait for it (or for whoever gets the pid next)
    if (WIFEXITED(status)) state = "it exited with status " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status)) state = "it was killed by signal " + std::to_string(WTERMSIG(status));
  }
  return std::string("the provider did not start: ") +
         (timed_out ? "no ready line within the " + seconds_text(budget) +
                          " budget (NATIVEAUTH_TEST_PROVIDER_START_S sets it)"
                    : "no valid ready line after " + seconds_text(took)) +
         "; " + state + "; its stdout: '" + line + "'; its stderr (" + log_path_ + "):\n" + tail_of(log_path_);
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

nlohmann::json ProviderProcess::events() const {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return nlohmann::json::object();
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port_));
  std::string response;
  if (connect(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) == 0) {
    const std::string request = "GET /__test/events HTTP/1.0\r\nHost: 127.0.0.1:" + std::to_string(port_) + "\r\n\r\n";
    if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size())) {
      char chunk[4096];
      ssize_t n = 0;
      while ((n = recv(fd, chunk, sizeof chunk, 0)) > 0 || (n < 0 && errno == EINTR)) {
        if (n > 0) response.append(chunk, static_cast<std::size_t>(n));
      }
    }
  }
  close(fd);
  const auto body = response.find("\r\n\r\n");
  if (response.rfind("HTTP/1.1 200", 0) != 0 || body == std::string::npos) return nlohmann::json::object();
  auto doc = nlohmann::json::parse(response.substr(body + 4), nullptr, false);
  return doc.is_object() ? doc : nlohmann::json::object();
}

ProcessRun run_process(std::vector<std::string> argv, const std::string &input) {
  TempDir tmp;
  const std::string in_path = tmp.file("in"), out_path = tmp.file("out"), err_path = tmp.file("err");
  std::ofstream(in_path, std::ios::binary) << input;
  std::vector<char *> args;
  for (auto &a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    const int in = open(in_path.c_str(), O_RDONLY);
    const int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    execvp(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  ProcessRun r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = read_file(out_path);
  r.err = read_file(err_path);
  return r;
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

bool something_listens(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool connected = connect(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) == 0;
  close(fd);
  return connected;
}

std::string param(const std::string &url, const std::string &name) {
  std::smatch m;
  return std::regex_search(url, m, std::regex("[?&]" + name + "=([^&#]*)")) ? m[1].str() : std::string();
}

std::string replace_param(std::string url, const std::string &name, const std::string &value) {
  const auto at = url.find(name + "=");
  const auto start = at + name.size() + 1;
  const auto end = url.find('&', start);
  return url.replace(start, end == std::string::npos ? std::string::npos : end - start, value);
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
