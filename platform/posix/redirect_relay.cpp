// SPDX-License-Identifier: Apache-2.0
// The POSIX redirect relay: a second instance of an app, started by the OS with a custom-scheme redirect
// (RFC 8252 §7.1), hands the URL over a Unix socket to the instance whose sign-in waits for it.
//
// Wire format, one exchange per connection: the sender writes the URL and a newline, then shuts down its
// side; the listener answers "ok\n" or "error <code> <message>\n" and closes. Peers must run as the same
// user (SO_PEERCRED), on top of the 0700 directory and the 0600 socket.
#include "posix/redirect_relay.hpp"

#include "common/relay_wire.hpp"
#include "posix/fd.hpp"
#include "posix/private_fs.hpp"
#include "util/slot_hash.hpp"

#include <nativeauth/secret.hpp>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

namespace nativeauth::posix {
namespace {

constexpr std::size_t kMaxUrl = 16 * 1024;
constexpr auto kPeerTimeout = std::chrono::milliseconds(3000);

Error relay_error(ErrorCode code, std::string message) { return make_error(code, std::move(message)); }

std::optional<std::string> relay_directory() {
  if (const char *run = std::getenv("XDG_RUNTIME_DIR"); run && run[0] == '/') return std::string(run) + "/nativeauth";
  auto state = state_directory();
  if (!state) return std::nullopt;
  return *state + "/run";
}

/// Creates (0700) and checks the directory: ours, a directory, not reachable by group or others.
Result<std::string> private_directory() {
  auto dir = relay_directory();
  if (!dir)
    return relay_error(ErrorCode::listener_failed, "no runtime or home directory to place the redirect socket in");
  if (auto failed = make_private_directories(*dir)) {
    return relay_error(ErrorCode::listener_failed,
                       "cannot create " + shell_word(failed->first) + ": " + errno_text(failed->second));
  }
  struct stat st {};
  if (::lstat(dir->c_str(), &st) != 0) {
    return relay_error(ErrorCode::listener_failed, "cannot inspect " + shell_word(*dir) + ": " + errno_text(errno));
  }
  if (!S_ISDIR(st.st_mode) || st.st_uid != ::geteuid() || (st.st_mode & 077) != 0) {
    return relay_error(ErrorCode::listener_failed,
                       shell_word(*dir) + " is " + kind_text(st.st_mode) + " with mode " + mode_text(st.st_mode) +
                           (st.st_uid != ::geteuid() ? " owned by another user" : "") +
                           "; redirect sockets need a directory only this user can enter (fix: chmod 700 " +
                           shell_word(*dir) + ")");
  }
  return *dir;
}

std::string slot_name(const platform::SlotKey &slot) {
  return util::slot_hash_hex(slot.issuer, slot.client_id, slot.profile) + ".sock";
}

std::optional<sockaddr_un> address_of(const std::string &path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) return std::nullopt;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  return addr;
}

std::string describe(const platform::SlotKey &slot) {
  return "client '" + slot.client_id + "', profile '" + slot.profile + "'";
}

/// Reads until `stop` is seen, EOF, `max` bytes or the deadline. False on timeout or error.
bool read_until(int fd, std::string &out, char stop, std::size_t max, std::chrono::steady_clock::time_point deadline) {
  char buf[4096];
  while (out.size() <= max) {
    if (!out.empty() && out.back() == stop) return true;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
                                                                            std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return false;
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) return n == 0;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return false;
}

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

class SocketEndpoint final : public platform::RedirectEndpoint {
 public:
  SocketEndpoint(UniqueFd listener, UniqueFd wake_read, UniqueFd wake_write, std::string path, ino_t inode,
                 platform::RedirectHandler handler)
      : listener_(std::move(listener)),
        wake_read_(std::move(wake_read)),
        wake_write_(std::move(wake_write)),
        path_(std::move(path)),
        inode_(inode),
        handler_(std::move(handler)) {
    thread_ = std::thread([this] { run(); });
  }
  ~SocketEndpoint() override {
    const char byte = 1;
    while (::write(wake_write_.get(), &byte, 1) < 0 && errno == EINTR) {
    }
    thread_.join();
    // Remove the socket only if it is still ours (a later listener may have replaced a stale one).
    struct stat st {};
    if (::lstat(path_.c_str(), &st) == 0 && st.st_ino == inode_) ::unlink(path_.c_str());
  }

 private:
  void run() {
    for (;;) {
      pollfd fds[2] = {{listener_.get(), POLLIN, 0}, {wake_read_.get(), POLLIN, 0}};
      const int ready = ::poll(fds, 2, -1);
      if (ready < 0 && errno == EINTR) continue;
      if (ready < 0 || (fds[1].revents & POLLIN)) return;
      if (!(fds[0].revents & POLLIN)) continue;
      UniqueFd peer(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
      if (!peer.valid()) continue;
      serve(peer.get());
    }
  }

  void serve(int fd) {
    ucred cred{};
    socklen_t len = sizeof cred;
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || cred.uid != ::geteuid()) return;
    std::string url;
    if (!read_until(fd, url, '\n', kMaxUrl, std::chrono::steady_clock::now() + kPeerTimeout) || url.empty()) {
      write_all(fd, relay_wire::error_line(ErrorCode::invalid_redirect,
                                           "the forwarded redirect was too long, empty or incomplete"));
      return;
    }
    if (url.back() == '\n') url.pop_back();
    const std::string answer = relay_wire::answer(handler_, url);
    secure_wipe(url.data(), url.size());
    write_all(fd, answer);
  }

  UniqueFd listener_;
  UniqueFd wake_read_;
  UniqueFd wake_write_;
  std::string path_;
  ino_t inode_;
  platform::RedirectHandler handler_;
  std::thread thread_;
};

class UnixSocketRelay final : public platform::RedirectRelay {
 public:
  Result<std::unique_ptr<platform::RedirectEndpoint>> listen(const platform::SlotKey &slot,
                                                             platform::RedirectHandler handler) override {
    auto dir = private_directory();
    if (!dir) return std::move(dir).error();
    const std::string path = *dir + "/" + slot_name(slot);
    const auto addr = address_of(path);
    if (!addr)
      return relay_error(ErrorCode::listener_failed, "the redirect socket path is too long: " + shell_word(path));

    // A socket left by a process that died is stale; one that answers belongs to a live sign-in.
    {
      UniqueFd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
      if (probe.valid() && ::connect(probe.get(), reinterpret_cast<const sockaddr *>(&*addr), sizeof *addr) == 0) {
        return relay_error(ErrorCode::listener_failed, "another process is already waiting for a redirect for " +
                                                           describe(slot) + "; finish or cancel that sign-in first");
      }
      ::unlink(path.c_str());
    }
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!fd.valid())
      return relay_error(ErrorCode::listener_failed, "cannot create a Unix socket: " + errno_text(errno));
    const mode_t old = ::umask(077);  // the socket file is created 0600 (the directory is 0700 anyway)
    const int bound = ::bind(fd.get(), reinterpret_cast<const sockaddr *>(&*addr), sizeof *addr);
    const int bind_errno = errno;
    ::umask(old);
    if (bound != 0) {
      return relay_error(ErrorCode::listener_failed, "cannot bind " + shell_word(path) + ": " + errno_text(bind_errno));
    }
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0 || ::listen(fd.get(), 8) != 0) {
      const int err = errno;
      ::unlink(path.c_str());
      return relay_error(ErrorCode::listener_failed, "cannot listen on " + shell_word(path) + ": " + errno_text(err));
    }
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
      ::unlink(path.c_str());
      return relay_error(ErrorCode::listener_failed, "cannot create a pipe: " + errno_text(errno));
    }
    return std::unique_ptr<platform::RedirectEndpoint>(std::make_unique<SocketEndpoint>(
        std::move(fd), UniqueFd(pipe_fds[0]), UniqueFd(pipe_fds[1]), path, st.st_ino, std::move(handler)));
  }

  Result<void> forward(const platform::SlotKey &slot, std::string_view url,
                       std::chrono::milliseconds timeout) override {
    if (url.find('\n') != std::string_view::npos || url.size() > kMaxUrl) {
      return relay_error(ErrorCode::invalid_redirect, "the redirect URL is too long or has a line break");
    }
    const auto nobody = [&] {
      return relay_error(ErrorCode::no_pending_sign_in,
                         "no sign-in is waiting for a redirect for " + describe(slot) +
                             " (it finished, timed out or was cancelled, or none was started)");
    };
    auto dir = relay_directory();
    if (!dir) return nobody();
    const std::string path = *dir + "/" + slot_name(slot);
    const auto addr = address_of(path);
    if (!addr) return nobody();
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd.valid()) return relay_error(ErrorCode::internal, "cannot create a Unix socket: " + errno_text(errno));
    if (::connect(fd.get(), reinterpret_cast<const sockaddr *>(&*addr), sizeof *addr) != 0) {
      if (errno == ENOENT || errno == ECONNREFUSED) return nobody();
      return relay_error(ErrorCode::no_pending_sign_in,
                         "cannot reach the waiting sign-in at " + shell_word(path) + ": " + errno_text(errno));
    }
    ucred cred{};
    socklen_t len = sizeof cred;
    if (::getsockopt(fd.get(), SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || cred.uid != ::geteuid()) {
      return relay_error(ErrorCode::invalid_configuration,
                         "the redirect socket " + shell_word(path) + " belongs to another user; nothing was sent");
    }
    std::string line(url);
    line += '\n';
    const bool sent = write_all(fd.get(), line);
    secure_wipe(line.data(), line.size());
    ::shutdown(fd.get(), SHUT_WR);
    std::string reply;
    if (!sent || !read_until(fd.get(), reply, '\n', 4096, std::chrono::steady_clock::now() + timeout)) {
      return relay_error(ErrorCode::timeout, "the waiting sign-in did not answer the forwarded redirect");
    }
    return relay_wire::read_answer(reply);
  }
};

}  // namespace

std::shared_ptr<platform::RedirectRelay> make_redirect_relay() { return std::make_shared<UnixSocketRelay>(); }

std::string redirect_socket_path(const platform::SlotKey &slot) {
  auto dir = relay_directory();
  return dir ? *dir + "/" + slot_name(slot) : std::string();
}

}  // namespace nativeauth::posix
