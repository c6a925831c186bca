// SPDX-License-Identifier: Apache-2.0
// register_url_scheme() on Linux: a hidden .desktop entry for x-scheme-handler/<scheme>, made the user's
// default with xdg-mime (Desktop Entry Specification 1.5; Association between MIME types and applications 1.0.1).
#include <nativeauth/url_scheme.hpp>

#include "posix/fd.hpp"
#include "posix/private_fs.hpp"
#include "util/uri_scheme.hpp"

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;  // POSIX leaves this declaration to the program.

namespace nativeauth {
namespace {

Error failed(std::string message) { return make_error(ErrorCode::storage_unavailable, std::move(message)); }

// RFC 3986 §3.1 scheme syntax, plus RFC 8252 §7.1: a reverse domain name, so it has a dot.
Result<std::string> checked_scheme(const std::string &scheme) {
  if (auto lower = util::reverse_domain_scheme(scheme)) return std::move(*lower);
  return make_error(ErrorCode::invalid_argument,
                    "'" + scheme + "' is not a reverse-domain URI scheme such as com.example.app (RFC 8252 §7.1)");
}

std::string data_home() {
  if (const char *d = std::getenv("XDG_DATA_HOME"); d && d[0] == '/') return d;
  return posix::home_directory() + "/.local/share";
}
std::string config_home() {
  if (const char *d = std::getenv("XDG_CONFIG_HOME"); d && d[0] == '/') return d;
  return posix::home_directory() + "/.config";
}
std::string desktop_id(const std::string &scheme) { return "nativeauth-" + scheme + ".desktop"; }

// One Exec argument: quoted when it has reserved characters (the spec's list), with `"`, `` ` ``, `$` and `\` escaped
// inside quotes; '%' doubled (field codes). The Exec value is then a string value, whose own escapes
// double every backslash.
std::string exec_argument(const std::string &arg) {
  std::string out;
  const bool quote = arg.empty() || arg.find_first_of(" \t\n\"'\\><~|&;$*?#()`") != std::string::npos;
  if (quote) out += '"';
  for (const char c : arg) {
    if (c == '%') {
      out += "%%";
    } else if (quote && (c == '"' || c == '`' || c == '$' || c == '\\')) {
      out += '\\';
      out += c;
    } else {
      out += c;
    }
  }
  if (quote) out += '"';
  std::string escaped;
  for (const char c : out) escaped += c == '\\' ? std::string("\\\\") : std::string(1, c);
  return escaped;
}

/// Writes `path` atomically (temp file, fsync, rename), mode 0644 like every desktop file.
Result<void> write_file(const std::string &path, const std::string &content) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  posix::UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644));
  if (!fd.valid()) return failed("cannot write " + tmp + ": " + posix::errno_text(errno));
  std::string_view rest = content;
  while (!rest.empty()) {
    const ssize_t n = ::write(fd.get(), rest.data(), rest.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = errno;
      ::unlink(tmp.c_str());
      return failed("cannot write " + tmp + ": " + posix::errno_text(err));
    }
    rest.remove_prefix(static_cast<std::size_t>(n));
  }
  if (::fsync(fd.get()) != 0 || ::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return failed("cannot replace " + path + ": " + posix::errno_text(err));
  }
  return {};
}

/// Runs a program without a shell, stdio on /dev/null, and waits for it.
Result<void> run(const std::vector<std::string> &argv) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  for (int fd = 0; fd <= 2; ++fd)
    posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0);
  std::vector<char *> args;
  for (const auto &a : argv) args.push_back(const_cast<char *>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int rc = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return failed("cannot run " + argv[0] + ": " + posix::errno_text(rc));
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return failed("cannot wait for " + argv[0] + ": " + posix::errno_text(errno));
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return failed(argv[0] + " " + argv[1] + " failed (exit status " +
                  std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status)) + ")");
  }
  return {};
}

/// Removes `x-scheme-handler/<scheme>=<id>` (and `<id>` from lists) in mimeapps.list; other
/// applications' associations stay.
Result<void> remove_association(const std::string &scheme) {
  const std::string path = config_home() + "/mimeapps.list";
  std::ifstream in(path);
  if (!in) return {};
  const std::string key = "x-scheme-handler/" + scheme + "=";
  const std::string id = desktop_id(scheme);
  std::ostringstream out;
  bool changed = false;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(key, 0) == 0) {
      std::string kept;
      std::istringstream values(line.substr(key.size()));
      for (std::string v; std::getline(values, v, ';');) {
        if (v.empty()) continue;
        if (v == id) {
          changed = true;
          continue;
        }
        kept += v + ";";
      }
      if (kept.empty()) continue;
      line = key + kept;
    }
    out << line << '\n';
  }
  if (!changed) return {};
  return write_file(path, out.str());
}

}  // namespace

Result<void> register_url_scheme(const UrlSchemeHandler &handler) {
  try {
    auto scheme = checked_scheme(handler.scheme);
    if (!scheme) return std::move(scheme).error();
    if (handler.command.empty() || handler.command[0].empty() || handler.command[0][0] != '/') {
      return make_error(ErrorCode::invalid_argument, "the handler command must start with an absolute program path");
    }
    for (const auto &arg : handler.command) {
      if (arg.find_first_of("\n\r") != std::string::npos || arg.find('\0') != std::string::npos) {
        return make_error(ErrorCode::invalid_argument, "a handler argument contains a line break");
      }
    }
    if (posix::home_directory().empty() && !std::getenv("XDG_DATA_HOME")) {
      return failed("no home directory to register the scheme in");
    }
    const std::string dir = data_home() + "/applications";
    if (auto err = posix::make_private_directories(dir)) {
      return failed("cannot create " + err->first + ": " + posix::errno_text(err->second));
    }
    std::string exec;
    for (const auto &arg : handler.command) exec += exec_argument(arg) + " ";
    exec += "%u";
    std::string name = handler.display_name.empty() ? *scheme : handler.display_name;
    for (auto &c : name)
      if (c == '\n' || c == '\r') c = ' ';
    const std::string entry = "[Desktop Entry]\nType=Application\nVersion=1.5\nName=" + name + "\nExec=" + exec +
                              "\nTerminal=false\nNoDisplay=true\nMimeType=x-scheme-handler/" + *scheme +
                              ";\nX-Nativeauth-Scheme=" + *scheme + "\n";
    if (auto written = write_file(dir + "/" + desktop_id(*scheme), entry); !written) return written;
    if (auto mkcfg = posix::make_private_directories(config_home())) {
      return failed("cannot create " + mkcfg->first + ": " + posix::errno_text(mkcfg->second));
    }
    return run({"xdg-mime", "default", desktop_id(*scheme), "x-scheme-handler/" + *scheme});
  } catch (const std::exception &e) {
    return make_error(ErrorCode::internal, std::string("could not register the scheme: ") + e.what());
  }
}

Result<void> unregister_url_scheme(const std::string &scheme_in) {
  try {
    auto scheme = checked_scheme(scheme_in);
    if (!scheme) return std::move(scheme).error();
    const std::string path = data_home() + "/applications/" + desktop_id(*scheme);
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      return failed("cannot remove " + path + ": " + posix::errno_text(errno));
    }
    return remove_association(*scheme);
  } catch (const std::exception &e) {
    return make_error(ErrorCode::internal, std::string("could not unregister the scheme: ") + e.what());
  }
}

}  // namespace nativeauth
