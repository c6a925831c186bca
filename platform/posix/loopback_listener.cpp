// SPDX-License-Identifier: Apache-2.0
// Loopback redirect listener over POSIX sockets: bind 127.0.0.1/[::1], then a poll() loop (RFC 8252 §7.3).

#include "posix/loopback_listener.hpp"

#include "loopback/http.hpp"
#include "posix/fd.hpp"
#include "util/secrets.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstring>
#include <exception>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace nativeauth::posix {
namespace {

using platform::HandlerOutcome;
using platform::HttpReply;
using platform::LoopbackListenerOptions;
using platform::RequestHandler;
using SteadyClock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// An ephemeral port free on 127.0.0.1 may be taken on [::1]; after this many tries we give up.
constexpr int kEphemeralAttempts = 8;
// Connections the kernel queues while max_connections are being served.
constexpr int kBacklog = 64;
// After a reply, how long unread request bytes are drained before closing (see Connection).
constexpr milliseconds kLingerMax{2'000};
// accept() failing for lack of descriptors or memory leaves the listening socket readable; this
// pause keeps the loop from spinning on it.
constexpr milliseconds kAcceptPause{100};
// read_timeout is clamped so that `now + read_timeout` cannot overflow.
constexpr milliseconds kReadTimeoutMax{24 * 60 * 60 * 1000};

std::string address_text(int family, std::uint16_t port) {
  return (family == AF_INET ? "127.0.0.1:" : "[::1]:") + std::to_string(port);
}

Error socket_error(const char *what, int family, std::uint16_t port, int err) {
  return make_error(ErrorCode::listener_failed, std::string("loopback listener: cannot ") + what + " " +
                                                    address_text(family, port) + ": " + errno_text(err));
}

// Binds a loopback socket of `family` to `port`; returns 0 or the errno of the failing call.
int bind_loopback(int family, std::uint16_t port, bool fixed_port, UniqueFd &out) {
  UniqueFd fd(::socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd.valid()) return errno;
  const int one = 1;
  // A fixed port must be reusable while connections of the previous sign-in sit in TIME_WAIT.
  // Linux still refuses a second bind while a socket listens there, which is what we want; with
  // port 0 the option is not needed and would only widen what the kernel may hand out.
  if (fixed_port && ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0) return errno;
  int rc = 0;
  if (family == AF_INET) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);  // RFC 8252 §8.3: never 0.0.0.0
    rc = ::bind(fd.get(), reinterpret_cast<const sockaddr *>(&addr), sizeof addr);
  } else {
    // The IPv4 socket serves 127.0.0.1; this one must not also claim v4-mapped addresses.
    if (::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) != 0) return errno;
    sockaddr_in6 addr{};
    addr.sin6_family = AF_INET6;
    addr.sin6_port = htons(port);
    addr.sin6_addr = in6addr_loopback;
    rc = ::bind(fd.get(), reinterpret_cast<const sockaddr *>(&addr), sizeof addr);
  }
  if (rc != 0) return errno;
  out = std::move(fd);
  return 0;
}

std::uint16_t bound_port(const UniqueFd &fd) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr *>(&addr), &len) != 0) return 0;
  if (addr.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in *>(&addr)->sin_port);
  return ntohs(reinterpret_cast<const sockaddr_in6 *>(&addr)->sin6_port);
}

int poll_timeout_ms(SteadyClock::time_point now, SteadyClock::time_point until) {
  if (until <= now) return 0;
  // Rounded up: waking a little early would only spin until the deadline.
  const auto ms = std::chrono::ceil<milliseconds>(until - now).count();
  return ms > INT_MAX ? INT_MAX : static_cast<int>(ms);
}

bool would_block(int err) { return err == EAGAIN || err == EWOULDBLOCK || err == EINTR; }

// One accepted connection: read a request head, write one reply, then linger briefly.
// Lingering (shut down our side, read and discard until the peer closes) exists because closing
// a socket with unread input makes the kernel send RST, and an RST can destroy the reply before
// the client read it -- e.g. the 431 to a client still sending its oversized head.
class Connection {
 public:
  enum class State { reading, writing, lingering };
  enum class Next { keep, close, done };

  Connection(UniqueFd fd, SteadyClock::time_point deadline) : fd_(std::move(fd)), deadline_(deadline) {}
  Connection(const Connection &) = delete;
  Connection &operator=(const Connection &) = delete;
  ~Connection() { util::wipe(in_); }

  int fd() const noexcept { return fd_.get(); }
  State state() const noexcept { return state_; }
  SteadyClock::time_point deadline() const noexcept { return deadline_; }
  const std::string &reply() const noexcept { return out_; }
  std::size_t sent() const noexcept { return sent_; }
  void add_sent(std::size_t n) noexcept { sent_ += n; }

  // Called when poll() reported activity; `done` means the handler ended the wait and the reply
  // still has to be written by the caller.
  Next on_ready(const RequestHandler &handler, const LoopbackListenerOptions &opts, SteadyClock::time_point now) {
    switch (state_) {
      case State::reading: return read_head(handler, opts, now);
      case State::writing: return write_reply(opts, now);
      case State::lingering: return drain();
    }
    return Next::close;
  }

  // Bytes already received and not read are discarded so that close() sends FIN, not RST.
  void drain_available() noexcept {
    char scratch[4096];
    for (int i = 0; i < 64; ++i) {
      const ssize_t n = ::recv(fd_.get(), scratch, sizeof scratch, MSG_DONTWAIT);
      if (n <= 0) break;
    }
  }

 private:
  Next read_head(const RequestHandler &handler, const LoopbackListenerOptions &opts, SteadyClock::time_point now) {
    const std::size_t old_size = in_.size();
    const std::size_t room = opts.max_request_bytes - old_size;  // > 0: a full buffer was answered with 431
    const std::size_t want = std::min<std::size_t>(room, 4096);
    util::reserve_wiping(in_, old_size + want);
    in_.resize(old_size + want);
    const ssize_t n = ::recv(fd_.get(), in_.data() + old_size, want, 0);
    const int err = errno;
    in_.resize(old_size + (n > 0 ? static_cast<std::size_t>(n) : 0));
    if (n < 0) return would_block(err) ? Next::keep : Next::close;
    if (n == 0) return Next::close;  // the peer gave up before finishing its head

    // The request buffer holds the authorization code (it is in the request line): it is wiped, never
    // left behind in a freed buffer.
    if (const std::size_t end = loopback::head_end(in_, old_size)) {
      // Bytes after the head (a body, a pipelined request) are never looked at.
      const HandlerOutcome outcome = handler(std::string_view(in_.data(), end));
      start_reply(loopback::format_reply(outcome.reply), opts, now);
      if (outcome.done) return Next::done;
      return write_reply(opts, now);
    }
    if (in_.size() >= opts.max_request_bytes) {  // RFC 6585 §5; the handler never sees it
      start_reply(loopback::too_large_reply(), opts, now);
      return write_reply(opts, now);
    }
    return Next::keep;
  }

  void start_reply(std::string reply, const LoopbackListenerOptions &opts, SteadyClock::time_point now) {
    util::wipe(in_);
    out_ = std::move(reply);
    sent_ = 0;
    state_ = State::writing;
    // A peer that does not read its reply within read_timeout is given up on.
    deadline_ = now + opts.read_timeout;
  }

  Next write_reply(const LoopbackListenerOptions &opts, SteadyClock::time_point now) {
    while (sent_ < out_.size()) {
      const ssize_t n = ::send(fd_.get(), out_.data() + sent_, out_.size() - sent_, MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        return would_block(errno) ? Next::keep : Next::close;
      }
      sent_ += static_cast<std::size_t>(n);
    }
    ::shutdown(fd_.get(), SHUT_WR);
    state_ = State::lingering;
    deadline_ = now + std::min(opts.read_timeout, kLingerMax);
    return drain();
  }

  Next drain() {
    char scratch[4096];
    // Bounded per call so that a peer streaming garbage cannot hold the loop.
    for (int i = 0; i < 64; ++i) {
      const ssize_t n = ::recv(fd_.get(), scratch, sizeof scratch, 0);
      if (n > 0) continue;
      if (n == 0) return Next::close;  // the peer has read what it will get and closed
      if (errno == EINTR) continue;
      return would_block(errno) ? Next::keep : Next::close;
    }
    return Next::keep;
  }

  UniqueFd fd_;
  SteadyClock::time_point deadline_;
  State state_ = State::reading;
  std::string in_;
  std::string out_;
  std::size_t sent_ = 0;
};

class PosixLoopbackListener final : public platform::LoopbackListener {
 public:
  PosixLoopbackListener(const LoopbackListenerOptions &opts, UniqueFd v4, UniqueFd v6, UniqueFd wake_read,
                        UniqueFd wake_write, std::uint16_t port)
      : opts_(opts),
        v4_(std::move(v4)),
        v6_(std::move(v6)),
        wake_read_(std::move(wake_read)),
        wake_write_(std::move(wake_write)),
        port_(port) {}

  std::uint16_t port() const override { return port_; }

  Result<void> serve(const RequestHandler &handler, SteadyClock::time_point deadline) override {
    try {
      return serve_loop(handler, deadline);
    } catch (const std::exception &) {
      // Deliberately not e.what(): the handler's exception could describe the request it saw.
      return make_error(ErrorCode::internal, "loopback listener: an exception ended serve()");
    } catch (...) {
      return make_error(ErrorCode::internal, "loopback listener: an exception ended serve()");
    }
  }

  void cancel() noexcept override {
    cancelled_.store(true, std::memory_order_release);
    // write() is async-signal-safe; if the pipe is full it is readable already, so errors are moot.
    const char byte = 1;
    [[maybe_unused]] const ssize_t n = ::write(wake_write_.get(), &byte, 1);
  }

 private:
  static_assert(std::atomic<bool>::is_always_lock_free, "cancel() must be async-signal-safe");

  bool cancelled() const noexcept { return cancelled_.load(std::memory_order_acquire); }

  static Error cancelled_error() {
    return make_error(ErrorCode::cancelled, "loopback listener: the wait for the redirect was cancelled");
  }

  Result<void> serve_loop(const RequestHandler &handler, SteadyClock::time_point deadline) {
    std::vector<std::unique_ptr<Connection>> conns;
    std::vector<pollfd> fds;
    SteadyClock::time_point accept_paused_until{};
    const int listeners[2] = {v4_.get(), v6_.get()};

    for (;;) {
      if (cancelled()) return cancelled_error();
      SteadyClock::time_point now = SteadyClock::now();
      // Idle, incomplete or slow connections are dropped; they never end the wait.
      conns.erase(std::remove_if(conns.begin(), conns.end(), [&](const auto &c) { return c->deadline() <= now; }),
                  conns.end());
      if (now >= deadline) {
        return make_error(ErrorCode::timeout, "loopback listener: no redirect arrived before the deadline");
      }

      fds.clear();
      fds.push_back(pollfd{wake_read_.get(), POLLIN, 0});
      SteadyClock::time_point wake_at = deadline;
      // At max_connections the listening sockets are left alone: the kernel backlog holds the rest.
      const bool room = conns.size() < opts_.max_connections;
      const bool accepting = room && now >= accept_paused_until;
      if (room && !accepting) wake_at = std::min(wake_at, accept_paused_until);
      const std::size_t listen_begin = fds.size();
      if (accepting) {
        for (int lfd : listeners) {
          if (lfd >= 0) fds.push_back(pollfd{lfd, POLLIN, 0});
        }
      }
      const std::size_t conn_begin = fds.size();
      for (const auto &c : conns) {
        const short events = c->state() == Connection::State::writing ? POLLOUT : POLLIN;
        fds.push_back(pollfd{c->fd(), events, 0});
        wake_at = std::min(wake_at, c->deadline());
      }

      const int ready = ::poll(fds.data(), static_cast<nfds_t>(fds.size()), poll_timeout_ms(now, wake_at));
      if (ready < 0) {
        if (errno == EINTR) continue;
        return make_error(ErrorCode::listener_failed, "loopback listener: poll failed: " + errno_text(errno));
      }
      if (ready == 0) continue;
      if (fds[0].revents != 0) {
        drain_wake_pipe();
        continue;  // the loop head reports the cancellation
      }
      now = SteadyClock::now();

      // Connections: indices in `fds` match `conns` as it was when poll() was called.
      const std::size_t polled = conns.size();
      for (std::size_t i = 0; i < polled; ++i) {
        if (fds[conn_begin + i].revents == 0) continue;
        Connection &c = *conns[i];
        switch (c.on_ready(handler, opts_, now)) {
          case Connection::Next::keep: break;
          case Connection::Next::close: conns[i].reset(); break;
          case Connection::Next::done: finish_final_reply(c, now); return {};
        }
      }
      conns.erase(std::remove(conns.begin(), conns.end(), nullptr), conns.end());

      for (std::size_t i = listen_begin; i < conn_begin; ++i) {
        if (fds[i].revents != 0) accept_from(fds[i].fd, conns, accept_paused_until, now);
      }
    }
  }

  void accept_from(int lfd, std::vector<std::unique_ptr<Connection>> &conns,
                   SteadyClock::time_point &accept_paused_until, SteadyClock::time_point now) {
    while (conns.size() < opts_.max_connections) {
      UniqueFd fd(::accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
      if (!fd.valid()) {
        const int err = errno;
        if (err == EINTR || err == ECONNABORTED || err == EPROTO) continue;  // that one is gone; next
        if (err == EAGAIN || err == EWOULDBLOCK) return;
        // EMFILE, ENFILE, ENOBUFS, ENOMEM or worse: the socket stays readable, so back off.
        accept_paused_until = now + kAcceptPause;
        return;
      }
      // read_timeout counts from accept, so a peer that never writes is dropped on time.
      conns.push_back(std::make_unique<Connection>(std::move(fd), now + opts_.read_timeout));
    }
  }

  // The handler ended the wait: write its reply (bounded by read_timeout; a cancel() cuts it
  // short) and return. Ok even then: the redirect was received, which is what the wait was for.
  void finish_final_reply(Connection &c, SteadyClock::time_point now) {
    const SteadyClock::time_point until = now + opts_.read_timeout;
    const std::string &out = c.reply();
    while (c.sent() < out.size()) {
      const ssize_t n = ::send(c.fd(), out.data() + c.sent(), out.size() - c.sent(), MSG_NOSIGNAL);
      if (n > 0) {
        c.add_sent(static_cast<std::size_t>(n));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && !would_block(errno)) return;  // the peer went away
      pollfd pfds[2] = {{c.fd(), POLLOUT, 0}, {wake_read_.get(), POLLIN, 0}};
      const SteadyClock::time_point t = SteadyClock::now();
      if (t >= until) return;  // a slow reader is given up on silently
      const int ready = ::poll(pfds, 2, poll_timeout_ms(t, until));
      if (ready < 0 && errno != EINTR) return;
      if (pfds[1].revents != 0) return;
    }
    ::shutdown(c.fd(), SHUT_WR);
    c.drain_available();
  }

  void drain_wake_pipe() noexcept {
    char buf[64];
    while (::read(wake_read_.get(), buf, sizeof buf) > 0) {
    }
  }

  const LoopbackListenerOptions opts_;
  const UniqueFd v4_;
  const UniqueFd v6_;
  const UniqueFd wake_read_;
  const UniqueFd wake_write_;
  const std::uint16_t port_;
  std::atomic<bool> cancelled_{false};
};

class PosixLoopbackListenerFactory final : public platform::LoopbackListenerFactory {
 public:
  Result<std::unique_ptr<platform::LoopbackListener>> listen(const LoopbackListenerOptions &options) override {
    try {
      return listen_impl(options);
    } catch (const std::exception &) {
      return make_error(ErrorCode::internal, "loopback listener: out of memory");
    }
  }

 private:
  static Result<std::unique_ptr<platform::LoopbackListener>> listen_impl(LoopbackListenerOptions opts) {
    if (!opts.ipv4 && !opts.ipv6) {
      return make_error(ErrorCode::invalid_argument, "loopback listener: neither ipv4 nor ipv6 is enabled");
    }
    if (opts.max_connections == 0 || opts.max_request_bytes == 0 || opts.read_timeout <= milliseconds::zero()) {
      return make_error(ErrorCode::invalid_argument,
                        "loopback listener: max_connections, max_request_bytes and read_timeout must be positive");
    }
    opts.read_timeout = std::min(opts.read_timeout, kReadTimeoutMax);

    const bool fixed = opts.port != 0;
    std::uint16_t port = opts.port;
    UniqueFd v4;
    UniqueFd v6;
    for (int attempt = 1;; ++attempt) {
      v4.reset();
      v6.reset();
      port = opts.port;
      if (opts.ipv4) {
        if (const int err = bind_loopback(AF_INET, port, fixed, v4)) return socket_error("bind", AF_INET, port, err);
        port = bound_port(v4);
      }
      if (opts.ipv6) {
        const int err = bind_loopback(AF_INET6, port, fixed, v6);
        // RFC 8252 §7.3 lets the OS pick the port, but one port must serve both families: when
        // the one chosen for 127.0.0.1 is busy on [::1], start over with a new one.
        if (err == EADDRINUSE && !fixed && opts.ipv4 && attempt < kEphemeralAttempts) continue;
        if (err != 0) return socket_error("bind", AF_INET6, port, err);
        if (!opts.ipv4) port = bound_port(v6);
      }
      break;
    }
    if (port == 0) {
      return make_error(ErrorCode::listener_failed,
                        "loopback listener: cannot read the bound port: " + errno_text(errno));
    }
    if (v4.valid() && ::listen(v4.get(), kBacklog) != 0) return socket_error("listen on", AF_INET, port, errno);
    if (v6.valid() && ::listen(v6.get(), kBacklog) != 0) return socket_error("listen on", AF_INET6, port, errno);

    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC | O_NONBLOCK) != 0) {
      return make_error(ErrorCode::listener_failed,
                        "loopback listener: cannot create the wake-up pipe: " + errno_text(errno));
    }
    UniqueFd wake_read(pipe_fds[0]);
    UniqueFd wake_write(pipe_fds[1]);
    return std::unique_ptr<platform::LoopbackListener>(std::make_unique<PosixLoopbackListener>(
        opts, std::move(v4), std::move(v6), std::move(wake_read), std::move(wake_write), port));
  }
};

}  // namespace

std::shared_ptr<platform::LoopbackListenerFactory> make_loopback_listener_factory() {
  return std::make_shared<PosixLoopbackListenerFactory>();
}

}  // namespace nativeauth::posix
