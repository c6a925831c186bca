// SPDX-License-Identifier: Apache-2.0
// Opens the authorization URL in the user's browser via $BROWSER, xdg-open or gio (RFC 8252 §4, §8.12).

#include "linux/browser_launcher.hpp"

#include "posix/spawn.hpp"
#include "util/strings.hpp"

#include <algorithm>
#include <cstdlib>
#include <exception>
#include <string_view>

namespace nativeauth::linux_platform {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

std::vector<std::string> split_words(std::string_view command) {
  std::vector<std::string> words;
  std::size_t i = 0;
  while (i < command.size()) {
    while (i < command.size() && is_space(command[i])) ++i;
    const std::size_t start = i;
    while (i < command.size() && !is_space(command[i])) ++i;
    if (i > start) words.emplace_back(command.substr(start, i - start));
  }
  return words;
}

class LinuxBrowserLauncher final : public platform::BrowserLauncher {
 public:
  Result<void> open(const std::string &url) override {
    try {
      return open_impl(url);
    } catch (const std::exception &) {
      return make_error(ErrorCode::internal, "browser launcher: out of memory");
    }
  }

 private:
  static Result<void> open_impl(const std::string &url) {
    // RFC 8252 §4, §8.12: the authorization request goes to the system browser. Handing xdg-open a
    // file:, data: or custom-scheme URL would instead run whatever handler is registered for it.
    // The scheme is case-insensitive (RFC 3986 §3.1).
    if (!nativeauth::util::starts_with_ascii_ci(url, "https://") &&
        !nativeauth::util::starts_with_ascii_ci(url, "http://")) {
      return make_error(ErrorCode::invalid_argument, "browser launcher: only http and https URLs are opened");
    }
    // RFC 3986 §2 has no place for spaces or control bytes; rejecting them also keeps NUL out of argv.
    const bool bad_byte = std::any_of(url.begin(), url.end(), [](char c) {
      const auto u = static_cast<unsigned char>(c);
      return u <= 0x20 || u == 0x7f;
    });
    if (bad_byte) {
      return make_error(ErrorCode::invalid_argument,
                        "browser launcher: the URL contains spaces or control characters (percent-encode them)");
    }

    // Copied at once: the value getenv returns may be replaced by a later setenv.
    const char *env = std::getenv("BROWSER");
    const std::string browser = env != nullptr ? env : "";
    std::string failures;
    for (const auto &argv : browser_commands(url, env != nullptr ? browser.c_str() : nullptr)) {
      Result<void> started = posix::spawn_detached(argv);
      if (started) return {};
      // spawn_detached names only argv[0], which browser_commands never builds from the URL.
      if (!failures.empty()) failures += "; ";
      failures += started.error().message;
    }
    return make_error(ErrorCode::browser_unavailable, "no browser could be started: " + failures);
  }
};

}  // namespace

std::vector<std::vector<std::string>> browser_commands(const std::string &url, const char *browser_env) {
  std::vector<std::vector<std::string>> commands;
  auto add = [&commands](std::vector<std::string> argv) {
    if (std::find(commands.begin(), commands.end(), argv) == commands.end()) commands.push_back(std::move(argv));
  };

  const std::string_view env = browser_env != nullptr ? browser_env : "";
  std::size_t begin = 0;
  while (begin <= env.size() && !env.empty()) {
    const std::size_t end = std::min(env.find(':', begin), env.size());
    std::vector<std::string> words = split_words(env.substr(begin, end - begin));
    begin = end + 1;
    if (words.empty() || words.front().find("%s") != std::string::npos) continue;
    std::vector<std::string> argv{words.front()};
    bool used_url = false;
    for (std::size_t i = 1; i < words.size(); ++i)
      argv.push_back(nativeauth::util::expand_browser_word(words[i], url, used_url));
    if (!used_url) argv.push_back(url);
    add(std::move(argv));
  }

  add({"xdg-open", url});
  add({"gio", "open", url});
  return commands;
}

std::shared_ptr<platform::BrowserLauncher> make_browser_launcher() { return std::make_shared<LinuxBrowserLauncher>(); }

}  // namespace nativeauth::linux_platform
