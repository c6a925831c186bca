// SPDX-License-Identifier: Apache-2.0
// Tests of $BROWSER parsing, spawn_detached (real processes, no shell) and the Linux browser launcher.

#include "linux/browser_launcher.hpp"
#include "posix/spawn.hpp"

#include <nativeauth/platform/platform.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

using namespace std::chrono_literals;
using nativeauth::ErrorCode;
using nativeauth::linux_platform::browser_commands;
using nativeauth::posix::spawn_detached;
using Argvs = std::vector<std::vector<std::string>>;
namespace fs = std::filesystem;

// Characters a shell would act on; without a shell they are just bytes of one argument. Were a
// shell involved, `pwned` would be created (${IFS}: a URL has no raw spaces).
std::string nasty_url(const fs::path &pwned) {
  return "https://idp.example/authorize?client_id=app&state=s;touch%20x&next=$(touch${IFS}" + pwned.string() +
         ")&q=`id`'\"|&&<>*";
}

std::string read_file(const fs::path &path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// A scratch directory, and a wait for a file in it that uses inotify instead of sleeping: the
// watch exists before the program is started, so the event cannot be missed.
class SpawnTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "nativeauth-spawn-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr) << std::strerror(errno);
    dir_ = tmpl;
    inotify_ = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    ASSERT_GE(inotify_, 0);
    ASSERT_GE(::inotify_add_watch(inotify_, dir_.c_str(), IN_MOVED_TO | IN_CLOSE_WRITE | IN_CREATE), 0);
  }
  void TearDown() override {
    if (inotify_ >= 0) ::close(inotify_);
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // True once `path` exists, false if it did not appear within the bound.
  bool wait_for_file(const fs::path &path, std::chrono::milliseconds bound = 10s) {
    const auto until = std::chrono::steady_clock::now() + bound;
    for (;;) {
      if (fs::exists(path)) return true;
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
      if (left <= 0ms) return false;
      pollfd pfd{inotify_, POLLIN, 0};
      ::poll(&pfd, 1, static_cast<int>(left.count()));
      char events[4096];
      while (::read(inotify_, events, sizeof events) > 0) {
      }
    }
  }

  // A shell snippet, run BY the test as the spawned program: writes its output atomically to
  // $0 (a path in dir_) so that the file appears complete.
  static std::string atomic_output(const std::string &commands) {
    return "{ " + commands + "; } > \"$0.tmp\" && mv \"$0.tmp\" \"$0\"";
  }

  // An executable script that records its arguments, one per line, in `out`.
  fs::path recording_script(const fs::path &out) {
    const fs::path script = dir_ / "browser.sh";
    std::ofstream(script) << "#!/bin/sh\nprintf '%s\\n' \"$@\" > '" << out.string() << ".tmp' && mv '" << out.string()
                          << ".tmp' '" << out.string() << "'\n";
    fs::permissions(script, fs::perms::owner_all);
    return script;
  }

  fs::path dir_;
  int inotify_ = -1;
};

// Sets an environment variable for one test and puts the old value back.
class ScopedEnv {
 public:
  ScopedEnv(const char *name, const char *value) : name_(name) {
    if (const char *old = std::getenv(name)) old_ = old;
    if (value != nullptr) {
      ::setenv(name, value, 1);
    } else {
      ::unsetenv(name);
    }
  }
  ScopedEnv(const ScopedEnv &) = delete;
  ScopedEnv &operator=(const ScopedEnv &) = delete;
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_.c_str(), old_->c_str(), 1);
    } else {
      ::unsetenv(name_.c_str());
    }
  }

 private:
  std::string name_;
  std::optional<std::string> old_;
};

// ---------------------------------------------------------------------------------------------
// browser_commands(): pure parsing of $BROWSER

TEST(BrowserCommands, UnsetOrEmptyBrowserFallsBackToXdgOpenThenGio) {
  const std::string url = "https://idp.example/a";
  const Argvs expected{{"xdg-open", url}, {"gio", "open", url}};
  EXPECT_EQ(browser_commands(url, nullptr), expected);
  EXPECT_EQ(browser_commands(url, ""), expected);
  EXPECT_EQ(browser_commands(url, " \t "), expected);
  EXPECT_EQ(browser_commands(url, ":::"), expected);
}

TEST(BrowserCommands, SingleCommandGetsTheUrlAsLastArgument) {
  const std::string url = "https://idp.example/a";
  EXPECT_EQ(browser_commands(url, "firefox"), (Argvs{{"firefox", url}, {"xdg-open", url}, {"gio", "open", url}}));
  EXPECT_EQ(browser_commands(url, "  firefox\t--new-window   -P  work "),
            (Argvs{{"firefox", "--new-window", "-P", "work", url}, {"xdg-open", url}, {"gio", "open", url}}));
}

TEST(BrowserCommands, ColonSeparatedListIsKeptInOrder) {
  const std::string url = "https://idp.example/a";
  EXPECT_EQ(browser_commands(url, "/opt/a/bin/a -x::b: c --y :"),
            (Argvs{
                {"/opt/a/bin/a", "-x", url}, {"b", url}, {"c", "--y", url}, {"xdg-open", url}, {"gio", "open", url}}));
}

TEST(BrowserCommands, PercentSIsReplacedInsteadOfAppending) {
  const std::string url = "https://idp.example/a";
  EXPECT_EQ(browser_commands(url, "mybrowser --url=%s --flag").front(),
            (std::vector<std::string>{"mybrowser", "--url=" + url, "--flag"}));
  EXPECT_EQ(browser_commands(url, "b %s %s").front(), (std::vector<std::string>{"b", url, url}));
  // %% is a literal '%', so %%s is not a placeholder and the URL is appended.
  EXPECT_EQ(browser_commands(url, "b 100%% %%s %d").front(), (std::vector<std::string>{"b", "100%", "%s", "%d", url}));
}

TEST(BrowserCommands, ProgramNameIsNeverTheUrl) {
  const std::string url = "https://idp.example/a";
  EXPECT_EQ(browser_commands(url, "%s:firefox"), (Argvs{{"firefox", url}, {"xdg-open", url}, {"gio", "open", url}}));
}

TEST(BrowserCommands, DuplicatesAreTriedOnce) {
  const std::string url = "https://idp.example/a";
  EXPECT_EQ(browser_commands(url, "xdg-open:firefox:firefox"),
            (Argvs{{"xdg-open", url}, {"firefox", url}, {"gio", "open", url}}));
}

TEST(BrowserCommands, ShellMetacharactersStayInOneArgument) {
  const std::string nasty = nasty_url("/nonexistent/pwned");
  for (const std::string &url : {nasty, nasty + " two words"}) {
    for (const auto &argv : browser_commands(url, "firefox --new-tab:w3m %s")) {
      EXPECT_EQ(argv.back(), url);
      EXPECT_EQ(std::count(argv.begin(), argv.end(), url), 1);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// spawn_detached(): real processes

TEST_F(SpawnTest, PassesArgumentsLiterallyWithoutAShell) {
  const fs::path out = dir_ / "args";
  const std::vector<std::string> args{
      "$(touch " + (dir_ / "pwned1").string() + ")",
      ";touch " + (dir_ / "pwned2").string(),
      "`touch " + (dir_ / "pwned3").string() + "`",
      "a b  c",
      "'single' \"double\"",
      "*",
      "",
      nasty_url(dir_ / "pwned4"),
  };
  // "sh" without a path: found through $PATH like execvp would.
  std::vector<std::string> argv{"sh", "-c", atomic_output("printf '%s\\n' \"$@\""), out.string()};
  argv.insert(argv.end(), args.begin(), args.end());

  const auto r = spawn_detached(argv);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  ASSERT_TRUE(wait_for_file(out));
  std::string expected;
  for (const std::string &a : args) expected += a + "\n";
  EXPECT_EQ(read_file(out), expected);
  for (const char *name : {"pwned1", "pwned2", "pwned3", "pwned4"}) EXPECT_FALSE(fs::exists(dir_ / name)) << name;
}

TEST_F(SpawnTest, LeavesNoChildToReap) {
  const fs::path out = dir_ / "done";
  const auto r = spawn_detached({"/bin/sh", "-c", atomic_output("echo $$"), out.string()});
  ASSERT_TRUE(r.has_value()) << r.error().message;
  // The intermediate child was reaped and the program is someone else's child.
  int status = 0;
  errno = 0;
  EXPECT_EQ(::waitpid(-1, &status, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD);
  ASSERT_TRUE(wait_for_file(out));
}

TEST_F(SpawnTest, ReturnsWithoutWaitingForTheProgram) {
  // The program blocks on a FIFO that only this test writes to, after spawn_detached returned.
  const fs::path fifo = dir_ / "gate";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const int gate = ::open(fifo.c_str(), O_RDWR | O_CLOEXEC);  // Linux: a FIFO opened O_RDWR never blocks
  ASSERT_GE(gate, 0);
  const fs::path out = dir_ / "released";
  const auto r = spawn_detached({"/bin/sh", "-c", atomic_output("read line < \"$1\"; echo \"$line\""), out.string(),
                                 fifo.string()});
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_FALSE(fs::exists(out));
  ASSERT_EQ(::write(gate, "go\n", 3), 3);
  EXPECT_TRUE(wait_for_file(out));
  EXPECT_EQ(read_file(out), "go\n");
  ::close(gate);
}

TEST_F(SpawnTest, ChildHasDevNullStdioAndNoInheritedDescriptors) {
  // A descriptor the app opened without O_CLOEXEC, on a number the child would otherwise see.
  const fs::path marker = dir_ / "marker";
  std::ofstream(marker) << "x";
  const int raw = ::open(marker.c_str(), O_RDONLY);
  ASSERT_GE(raw, 0);
  const int leaked = ::fcntl(raw, F_DUPFD, 100);
  ::close(raw);
  ASSERT_GE(leaked, 100);

  const fs::path out = dir_ / "fds";
  // ls runs with the shell's descriptors plus its redirected stdout and its own directory handle.
  const auto r = spawn_detached({"/bin/sh", "-c", "ls -l /proc/self/fd > \"$0.tmp\" && mv \"$0.tmp\" \"$0\"",
                                 out.string()});
  ::close(leaked);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  ASSERT_TRUE(wait_for_file(out));

  std::map<int, std::string> fds;
  std::istringstream listing(read_file(out));
  for (std::string line; std::getline(listing, line);) {
    const std::size_t arrow = line.find(" -> ");
    if (arrow == std::string::npos) continue;
    const std::size_t num = line.rfind(' ', arrow - 1);
    fds[std::stoi(line.substr(num + 1, arrow - num - 1))] = line.substr(arrow + 4);
  }
  ASSERT_FALSE(fds.empty()) << read_file(out);
  EXPECT_EQ(fds[0], "/dev/null");
  EXPECT_EQ(fds[2], "/dev/null");
  EXPECT_EQ(fds.count(leaked), 0U);
  for (const auto &[fd, target] : fds) {
    EXPECT_EQ(target.find("marker"), std::string::npos) << fd;
    if (fd > 2) {
      EXPECT_EQ(target.rfind("/proc/", 0), 0U) << "unexpected inherited fd " << fd << " -> " << target;
    }
  }
}

TEST_F(SpawnTest, ChildRunsInItsOwnSessionWithDefaultSignals) {
  // An app that blocks a signal and ignores SIGPIPE and SIGCHLD must not pass that on.
  sigset_t usr1;
  sigset_t old_mask;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  ASSERT_EQ(::pthread_sigmask(SIG_BLOCK, &usr1, &old_mask), 0);
  const auto old_pipe = std::signal(SIGPIPE, SIG_IGN);
  const auto old_chld = std::signal(SIGCHLD, SIG_IGN);

  const fs::path out = dir_ / "status";
  // The signal state is read by grep from its own /proc entry: it inherits the shell's state at
  // fork, whereas the shell's own entry shows every signal blocked while dash waits for a child.
  const auto r = spawn_detached(
      {"/bin/sh", "-c",
       atomic_output("echo $$; cut -d' ' -f6 /proc/$$/stat; grep -E '^Sig(Blk|Ign):' /proc/self/status"),
       out.string()});

  std::signal(SIGCHLD, old_chld);
  std::signal(SIGPIPE, old_pipe);
  ::pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  ASSERT_TRUE(wait_for_file(out));

  std::istringstream in(read_file(out));
  long pid = 0;
  long sid = 0;
  std::string blk_label;
  std::string blk;
  std::string ign_label;
  std::string ign;
  in >> pid >> sid >> blk_label >> blk >> ign_label >> ign;
  ASSERT_EQ(blk_label, "SigBlk:") << read_file(out);
  ASSERT_EQ(ign_label, "SigIgn:") << read_file(out);
  EXPECT_NE(sid, static_cast<long>(::getsid(0))) << "a session of its own";
  EXPECT_NE(sid, pid) << "not a session leader (double fork)";
  EXPECT_EQ(std::stoull(blk, nullptr, 16), 0U);
  const unsigned long long ignored = std::stoull(ign, nullptr, 16);
  EXPECT_EQ(ignored & (1ULL << (SIGPIPE - 1)), 0U);
  EXPECT_EQ(ignored & (1ULL << (SIGCHLD - 1)), 0U);
}

TEST_F(SpawnTest, MissingProgramIsBrowserUnavailable) {
  for (const std::string &program : {std::string("nativeauth-no-such-program"), (dir_ / "missing").string()}) {
    const auto r = spawn_detached({program, "https://idp.example/?state=secret"});
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, ErrorCode::browser_unavailable);
    EXPECT_EQ(r.error().message, "could not start '" + program + "': " + std::strerror(ENOENT));
  }
}

TEST_F(SpawnTest, NonExecutableFileIsPermissionDenied) {
  const fs::path file = dir_ / "not-executable";
  std::ofstream(file) << "#!/bin/sh\n";
  fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write);
  const auto r = spawn_detached({file.string()});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::browser_unavailable);
  EXPECT_EQ(r.error().message, "could not start '" + file.string() + "': " + std::strerror(EACCES));
}

TEST_F(SpawnTest, RejectsEmptyArgvAndNulBytes) {
  const auto empty = spawn_detached({});
  ASSERT_FALSE(empty.has_value());
  EXPECT_EQ(empty.error().code, ErrorCode::invalid_argument);
  const auto empty_name = spawn_detached({""});
  ASSERT_FALSE(empty_name.has_value());
  EXPECT_EQ(empty_name.error().code, ErrorCode::invalid_argument);
  const auto nul = spawn_detached({"/bin/true", std::string("a\0b", 3)});
  ASSERT_FALSE(nul.has_value());
  EXPECT_EQ(nul.error().code, ErrorCode::invalid_argument);
}

// ---------------------------------------------------------------------------------------------
// The launcher

TEST(BrowserLauncher, RefusesAnythingButHttpAndHttps) {
  auto launcher = nativeauth::linux_platform::make_browser_launcher();
  for (const char *url : {"file:///etc/passwd", "javascript:alert(1)", "", "com.example.app:/callback",
                          "ftp://idp.example/", "data:text/html,hi", " https://idp.example/", "https:/idp.example",
                          "https://idp.example/a b", "https://idp.example/\n", "http://idp.example/\x7f"}) {
    const auto r = launcher->open(url);
    ASSERT_FALSE(r.has_value()) << url;
    EXPECT_EQ(r.error().code, ErrorCode::invalid_argument) << url;
  }
}

TEST_F(SpawnTest, LauncherPassesTheUrlAsLastArgumentOfBrowser) {
  const fs::path out = dir_ / "opened";
  const std::string browser = recording_script(out).string() + " --new-tab";
  ScopedEnv env("BROWSER", browser.c_str());
  const std::string url = nasty_url(dir_ / "pwned");
  const auto r = nativeauth::linux_platform::make_browser_launcher()->open(url);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  ASSERT_TRUE(wait_for_file(out));
  EXPECT_EQ(read_file(out), "--new-tab\n" + url + "\n");
  EXPECT_FALSE(fs::exists(dir_ / "pwned"));
}

TEST_F(SpawnTest, LauncherSubstitutesPercentSAndAcceptsUppercaseScheme) {
  const fs::path out = dir_ / "opened";
  const std::string browser = "nativeauth-no-such-browser:" + recording_script(out).string() + " --url=%s --last";
  ScopedEnv env("BROWSER", browser.c_str());
  const std::string url = "HTTPS://idp.example/authorize?state=abc";
  const auto r = nativeauth::linux_platform::make_browser_launcher()->open(url);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  ASSERT_TRUE(wait_for_file(out));
  EXPECT_EQ(read_file(out), "--url=" + url + "\n--last\n");
}

TEST_F(SpawnTest, LauncherReportsWhatItTriedButNotTheUrl) {
  ScopedEnv browser("BROWSER", "nativeauth-missing-a --flag:nativeauth-missing-b");
  ScopedEnv path("PATH", dir_.c_str());  // no xdg-open or gio in there
  const std::string url = "https://idp.example/authorize?state=secret-state&code_challenge=secret-challenge";
  const auto r = nativeauth::linux_platform::make_browser_launcher()->open(url);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::browser_unavailable);
  const std::string &m = r.error().message;
  for (const char *name : {"'nativeauth-missing-a'", "'nativeauth-missing-b'", "'xdg-open'", "'gio'"}) {
    EXPECT_NE(m.find(name), std::string::npos) << m;
  }
  EXPECT_EQ(m.find("secret"), std::string::npos) << m;
  EXPECT_EQ(m.find("idp.example"), std::string::npos) << m;
}

TEST(DefaultPlatform, ProvidesItsOwnPartsAndLeavesStoreAndHttpToTheClient) {
  const nativeauth::platform::Platform p = nativeauth::platform::default_platform();
  EXPECT_NE(p.browser, nullptr);
  EXPECT_NE(p.loopback, nullptr);
  EXPECT_NE(p.locks, nullptr);
  EXPECT_NE(p.relay, nullptr);
  EXPECT_NE(p.clock, nullptr);  // the coarse clock (clock_test.cpp)
  EXPECT_EQ(p.store, nullptr);
  EXPECT_EQ(p.http, nullptr);
}

}  // namespace
