// SPDX-License-Identifier: Apache-2.0
// Loopback redirect listener over Winsock2: bind 127.0.0.1/[::1], then a WSAPoll() loop (RFC 8252 §7.3).
// The same loop as posix/loopback_listener.cpp, socket for socket: this file only moves bytes; the request
// head, the replies and the pages are loopback/http.cpp's. What differs from POSIX:
// - SO_EXCLUSIVEADDRUSE instead of SO_REUSEADDR. On Windows SO_REUSEADDR lets any later socket take over a
//   bound port (the redirect, with its code, would go to it); the exclusive option forbids that. Its cost:
//   a fixed port whose previous sign-in left connections in TIME_WAIT may be refused until they expire.
// - cancel() cannot write to a pipe WSAPoll() watches (it polls sockets only), so the wake-up is a pair of
//   UDP sockets on loopback connected to each other: the receiving one accepts datagrams from its peer only.
// - No SIGPIPE to avoid; sockets are made non-inheritable instead of close-on-exec.
#include "windows/loopback_listener.hpp"

#include "loopback/http.hpp"
#include "util/secrets.hpp"
#include "windows/win32.hpp"

// clang-format off: need <windows.h> (win32.hpp) first
#include <winsock2.h>
#include <ws2tcpip.h>
// clang-format on

#include <algorithm>
#include <atomic>
#include <chrono>
#include <climits>
#include <exception>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace nativeauth::windows {
namespace {

using platform::HandlerOutcome;
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
// accept() failing for lack of buffers leaves the listening socket readable; this pause keeps the loop
// from spinning on it.
constexpr milliseconds kAcceptPause{100};
// read_timeout is clamped so that `now + read_timeout` cannot overflow.
constexpr milliseconds kReadTimeoutMax{24 * 60 * 60 * 1000};

// Closes a SOCKET.
class UniqueSocket {
 public:
  UniqueSocket() = default;
  explicit UniqueSocket(SOCKET s) noexcept : s_(s) {}
  UniqueSocket(UniqueSocket &&o) noexcept : s_(o.s_) { o.s_ = INVALID_SOCKET; }
  UniqueSocket &operator=(UniqueSocket &&o) noexcept {
    if (this != &o) {
      reset();
      s_ = o.s_;
      o.s_ = INVALID_SOCKET;
    }
    return *this;
  }
  UniqueSocket(const UniqueSocket &) = delete;
  UniqueSocket &operator=(const UniqueSocket &) = delete;
  ~UniqueSocket() { reset(); }
  void reset() noexcept {
    if (s_ != INVALID_SOCKET) closesocket(s_);
    s_ = INVALID_SOCKET;
  }
  SOCKET get() const noexcept { return s_; }
  bool valid() const noexcept { return s_ != INVALID_SOCKET; }

 private:
  SOCKET s_ = INVALID_SOCKET;
};

// WSAStartup once per process; 0 or the error it returned. Never WSACleanup: a later listen() would
// otherwise race a cleanup, and the process's exit releases Winsock anyway.
int winsock_started() {
  static const int error = [] {
    WSADATA data{};
    return WSAStartup(MAKEWORD(2, 2), &data);
  }();
  return error;
}

// FormatMessageW's text for a Winsock error. Where the system has none (wine 8 has none for most WSAE*
// codes), the code's name and a short meaning for those a listener meets, so the message stays actionable.
std::string winsock_message(int err) {
  const std::string text = system_message(static_cast<DWORD>(err));
  if (text.rfind("unknown error", 0) != 0) return text;
  const char *meaning = nullptr;
  switch (err) {
    case WSAEADDRINUSE: meaning = "WSAEADDRINUSE, the address and port are already in use"; break;
    case WSAEADDRNOTAVAIL: meaning = "WSAEADDRNOTAVAIL, the address is not available on this machine"; break;
    case WSAEAFNOSUPPORT: meaning = "WSAEAFNOSUPPORT, this address family is not supported"; break;
    case WSAENOBUFS: meaning = "WSAENOBUFS, no buffer space is available"; break;
    case WSAEMFILE: meaning = "WSAEMFILE, too many open sockets"; break;
    case WSASYSNOTREADY: meaning = "WSASYSNOTREADY, the network subsystem is not ready"; break;
    case WSAVERNOTSUPPORTED: meaning = "WSAVERNOTSUPPORTED, Winsock 2.2 is not available"; break;
    default: return text;
  }
  return std::string(meaning) + " (error " + std::to_string(err) + ")";
}

std::string address_text(int family, std::uint16_t port) {
  return (family == AF_INET ? "127.0.0.1:" : "[::1]:") + std::to_string(port);
}

Error socket_error(const char *what, int family, std::uint16_t port, int err) {
  return make_error(ErrorCode::listener_failed, std::string("loopback listener: cannot ") + what + " " +
                                                    address_text(family, port) + ": " + winsock_message(err));
}

// A non-blocking, non-inheritable socket; INVALID_SOCKET with WSAGetLastError() set on failure.
UniqueSocket new_socket(int family, int type, int protocol) {
  UniqueSocket s(WSASocketW(family, type, protocol, nullptr, 0, WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT));
  if (!s.valid()) return s;
  u_long nonblocking = 1;
  if (ioctlsocket(s.get(), FIONBIO, &nonblocking) != 0) return UniqueSocket();
  return s;
}

int set_int_option(SOCKET s, int level, int name, int value) {
  return setsockopt(s, level, name, reinterpret_cast<const char *>(&value), sizeof value) == 0 ? 0 : WSAGetLastError();
}

// `family`'s loopback address and `port`; returns the address length.
int loopback_address(int family, std::uint16_t port, sockaddr_storage &out) {
  out = sockaddr_storage{};
  if (family == AF_INET) {
    auto &a = reinterpret_cast<sockaddr_in &>(out);
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);  // RFC 8252 §8.3: never 0.0.0.0
    return sizeof a;
  }
  auto &a = reinterpret_cast<sockaddr_in6 &>(out);
  a.sin6_family = AF_INET6;
  a.sin6_port = htons(port);
  a.sin6_addr = in6addr_loopback;
  return sizeof a;
}

// Binds a loopback TCP socket of `family` to `port`; returns 0 or the Winsock error of the failing call.
int bind_loopback(int family, std::uint16_t port, UniqueSocket &out) {
  UniqueSocket s = new_socket(family, SOCK_STREAM, IPPROTO_TCP);
  if (!s.valid()) return WSAGetLastError();
  // Set before bind() to count. Unlike POSIX, even a fixed port gets no SO_REUSEADDR (see the top).
  if (const int err = set_int_option(s.get(), SOL_SOCKET, SO_EXCLUSIVEADDRUSE, 1)) return err;
  // The IPv4 socket serves 127.0.0.1; this one must not also claim v4-mapped addresses (Windows' default,
  // said explicitly).
  if (family == AF_INET6) {
    if (const int err = set_int_option(s.get(), IPPROTO_IPV6, IPV6_V6ONLY, 1)) return err;
  }
  sockaddr_storage addr;
  const int len = loopback_address(family, port, addr);
  if (bind(s.get(), reinterpret_cast<const sockaddr *>(&addr), len) != 0) return WSAGetLastError();
  out = std::move(s);
  return 0;
}

std::uint16_t bound_port(SOCKET s) {
  sockaddr_storage addr{};
  int len = sizeof addr;
  if (getsockname(s, reinterpret_cast<sockaddr *>(&addr), &len) != 0) return 0;
  if (addr.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in *>(&addr)->sin_port);
  return ntohs(reinterpret_cast<const sockaddr_in6 *>(&addr)->sin6_port);
}

// The wake-up pair: two UDP sockets on the loopback of `family`, each connected to the other, so the
// receiver takes datagrams from the sender only. Returns 0 or the Winsock error.
int wake_pair(int family, UniqueSocket &receiver, UniqueSocket &sender) {
  UniqueSocket r = new_socket(family, SOCK_DGRAM, IPPROTO_UDP);
  UniqueSocket s = new_socket(family, SOCK_DGRAM, IPPROTO_UDP);
  if (!r.valid() || !s.valid()) return WSAGetLastError();
  sockaddr_storage addr;
  const int len = loopback_address(family, 0, addr);
  if (bind(r.get(), reinterpret_cast<const sockaddr *>(&addr), len) != 0) return WSAGetLastError();
  if (bind(s.get(), reinterpret_cast<const sockaddr *>(&addr), len) != 0) return WSAGetLastError();
  sockaddr_storage receiver_addr{};
  sockaddr_storage sender_addr{};
  int receiver_len = sizeof receiver_addr;
  int sender_len = sizeof sender_addr;
  if (getsockname(r.get(), reinterpret_cast<sockaddr *>(&receiver_addr), &receiver_len) != 0) return WSAGetLastError();
  if (getsockname(s.get(), reinterpret_cast<sockaddr *>(&sender_addr), &sender_len) != 0) return WSAGetLastError();
  if (connect(r.get(), reinterpret_cast<const sockaddr *>(&sender_addr), sender_len) != 0) return WSAGetLastError();
  if (connect(s.get(), reinterpret_cast<const sockaddr *>(&receiver_addr), receiver_len) != 0) return WSAGetLastError();
  receiver = std::move(r);
  sender = std::move(s);
  return 0;
}

int poll_timeout_ms(SteadyClock::time_point now, SteadyClock::time_point until) {
  if (until <= now) return 0;
  // Rounded up: waking a little early would only spin until the deadline.
  const auto ms = std::chrono::ceil<milliseconds>(until - now).count();
  return ms > INT_MAX ? INT_MAX : static_cast<int>(ms);
}

// recv()/send() lengths are int in Winsock.
int io_size(std::size_t n) { return n > static_cast<std::size_t>(INT_MAX) ? INT_MAX : static_cast<int>(n); }

// One accepted connection: read a request head, write one reply, then linger briefly.
// Lingering (shut down our side, read and discard until the peer closes) exists because closing a socket
// with unread input makes the stack send RST, and an RST can destroy the reply before the client read it
// -- e.g. the 431 to a client still sending its oversized head.
class Connection {
 public:
  enum class State { reading, writing, lingering };
  enum class Next { keep, close, done };

  Connection(UniqueSocket s, SteadyClock::time_point deadline) : s_(std::move(s)), deadline_(deadline) {}
  Connection(const Connection &) = delete;
  Connection &operator=(const Connection &) = delete;
  ~Connection() { util::wipe(in_); }

  SOCKET socket() const noexcept { return s_.get(); }
  State state() const noexcept { return state_; }
  SteadyClock::time_point deadline() const noexcept { return deadline_; }
  const std::string &reply() const noexcept { return out_; }
  std::size_t sent() const noexcept { return sent_; }
  void add_sent(std::size_t n) noexcept { sent_ += n; }

  // Called when WSAPoll() reported activity; `done` means the handler ended the wait and the reply still
  // has to be written by the caller.
  Next on_ready(const RequestHandler &handler, const LoopbackListenerOptions &opts, SteadyClock::time_point now) {
    switch (state_) {
      case State::reading: return read_head(handler, opts, now);
      case State::writing: return write_reply(opts, now);
      case State::lingering: return drain();
    }
    return Next::close;
  }

  // Bytes already received and not read are discarded so that closing sends FIN, not RST. The socket is
  // non-blocking, so this never waits.
  void drain_available() noexcept {
    char scratch[4096];
    for (int i = 0; i < 64; ++i) {
      if (recv(s_.get(), scratch, sizeof scratch, 0) <= 0) break;
    }
  }

 private:
  Next read_head(const RequestHandler &handler, const LoopbackListenerOptions &opts, SteadyClock::time_point now) {
    const std::size_t old_size = in_.size();
    const std::size_t room = opts.max_request_bytes - old_size;  // > 0: a full buffer was answered with 431
    const std::size_t want = std::min<std::size_t>(room, 4096);
    util::reserve_wiping(in_, old_size + want);
    in_.resize(old_size + want);
    const int n = recv(s_.get(), in_.data() + old_size, io_size(want), 0);
    const int err = WSAGetLastError();
    in_.resize(old_size + (n > 0 ? static_cast<std::size_t>(n) : 0));
    if (n == SOCKET_ERROR) return err == WSAEWOULDBLOCK ? Next::keep : Next::close;
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
      const int n = send(s_.get(), out_.data() + sent_, io_size(out_.size() - sent_), 0);
      if (n == SOCKET_ERROR) return WSAGetLastError() == WSAEWOULDBLOCK ? Next::keep : Next::close;
      sent_ += static_cast<std::size_t>(n);
    }
    shutdown(s_.get(), SD_SEND);
    state_ = State::lingering;
    deadline_ = now + std::min(opts.read_timeout, kLingerMax);
    return drain();
  }

  Next drain() {
    char scratch[4096];
    // Bounded per call so that a peer streaming garbage cannot hold the loop.
    for (int i = 0; i < 64; ++i) {
      const int n = recv(s_.get(), scratch, sizeof scratch, 0);
      if (n > 0) continue;
      if (n == 0) return Next::close;  // the peer has read what it will get and closed
      return WSAGetLastError() == WSAEWOULDBLOCK ? Next::keep : Next::close;
    }
    return Next::keep;
  }

  UniqueSocket s_;
  SteadyClock::time_point deadline_;
  State state_ = State::reading;
  std::string in_;
  std::string out_;
  std::size_t sent_ = 0;
};

class WinsockLoopbackListener final : public platform::LoopbackListener {
 public:
  WinsockLoopbackListener(const LoopbackListenerOptions &opts, UniqueSocket v4, UniqueSocket v6,
                          UniqueSocket wake_receiver, UniqueSocket wake_sender, std::uint16_t port)
      : opts_(opts),
        v4_(std::move(v4)),
        v6_(std::move(v6)),
        wake_receiver_(std::move(wake_receiver)),
        wake_sender_(std::move(wake_sender)),
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
    // A datagram makes the receiver readable. If the send fails (buffers full), one sent earlier is still
    // unread, so the receiver is readable already.
    const char byte = 1;
    send(wake_sender_.get(), &byte, 1, 0);
  }

 private:
  bool cancelled() const noexcept { return cancelled_.load(std::memory_order_acquire); }

  static Error cancelled_error() {
    return make_error(ErrorCode::cancelled, "loopback listener: the wait for the redirect was cancelled");
  }

  Result<void> serve_loop(const RequestHandler &handler, SteadyClock::time_point deadline) {
    std::vector<std::unique_ptr<Connection>> conns;
    std::vector<WSAPOLLFD> fds;
    SteadyClock::time_point accept_paused_until{};
    const SOCKET listeners[2] = {v4_.get(), v6_.get()};

    for (;;) {
      if (cancelled()) return cancelled_error();
      SteadyClock::time_point now = SteadyClock::now();
      // Idle, incomplete or slow connections are dropped; they never end the wait.
      conns.erase(std::remove_if(conns.begin(), conns.end(), [&](const auto &c) { return c->deadline() <= now; }),
                  conns.end());
      if (now >= deadline) {
        return make_error(ErrorCode::timeout, "loopback listener: no redirect arrived before the deadline");
      }

      // POLLRDNORM/POLLWRNORM, not POLLIN/POLLOUT: WSAPoll() refuses POLLPRI and POLLRDBAND on some stacks.
      fds.clear();
      fds.push_back(WSAPOLLFD{wake_receiver_.get(), POLLRDNORM, 0});
      SteadyClock::time_point wake_at = deadline;
      // At max_connections the listening sockets are left alone: the kernel backlog holds the rest.
      const bool room = conns.size() < opts_.max_connections;
      const bool accepting = room && now >= accept_paused_until;
      if (room && !accepting) wake_at = std::min(wake_at, accept_paused_until);
      const std::size_t listen_begin = fds.size();
      if (accepting) {
        for (SOCKET l : listeners) {
          if (l != INVALID_SOCKET) fds.push_back(WSAPOLLFD{l, POLLRDNORM, 0});
        }
      }
      const std::size_t conn_begin = fds.size();
      for (const auto &c : conns) {
        const SHORT events = c->state() == Connection::State::writing ? POLLWRNORM : POLLRDNORM;
        fds.push_back(WSAPOLLFD{c->socket(), events, 0});
        wake_at = std::min(wake_at, c->deadline());
      }

      const int ready = WSAPoll(fds.data(), static_cast<ULONG>(fds.size()), poll_timeout_ms(now, wake_at));
      if (ready == SOCKET_ERROR) {
        return make_error(ErrorCode::listener_failed,
                          "loopback listener: WSAPoll failed: " + winsock_message(WSAGetLastError()));
      }
      if (ready == 0) continue;
      if (fds[0].revents != 0) {
        drain_wake_socket();
        continue;  // the loop head reports the cancellation
      }
      now = SteadyClock::now();

      // Connections: indices in `fds` match `conns` as it was when WSAPoll() was called.
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

  void accept_from(SOCKET l, std::vector<std::unique_ptr<Connection>> &conns,
                   SteadyClock::time_point &accept_paused_until, SteadyClock::time_point now) {
    while (conns.size() < opts_.max_connections) {
      UniqueSocket s(accept(l, nullptr, nullptr));
      if (!s.valid()) {
        const int err = WSAGetLastError();
        if (err == WSAECONNRESET || err == WSAEINTR) continue;  // that one is gone; next
        if (err == WSAEWOULDBLOCK) return;
        // WSAEMFILE, WSAENOBUFS or worse: the socket stays readable, so back off.
        accept_paused_until = now + kAcceptPause;
        return;
      }
      // An accepted socket should have the listening socket's properties, but wine 8 does not carry
      // WSA_FLAG_NO_HANDLE_INHERIT over (a child then keeps the connection open: the test shows it), so
      // both are set again. Best effort: a socket of a layered provider may not take handle flags.
      u_long nonblocking = 1;
      if (ioctlsocket(s.get(), FIONBIO, &nonblocking) != 0) continue;
      SetHandleInformation(reinterpret_cast<HANDLE>(s.get()), HANDLE_FLAG_INHERIT, 0);
      // read_timeout counts from accept, so a peer that never writes is dropped on time.
      conns.push_back(std::make_unique<Connection>(std::move(s), now + opts_.read_timeout));
    }
  }

  // The handler ended the wait: write its reply (bounded by read_timeout; a cancel() cuts it short) and
  // return. Ok even then: the redirect was received, which is what the wait was for.
  void finish_final_reply(Connection &c, SteadyClock::time_point now) {
    const SteadyClock::time_point until = now + opts_.read_timeout;
    const std::string &out = c.reply();
    while (c.sent() < out.size()) {
      const int n = send(c.socket(), out.data() + c.sent(), io_size(out.size() - c.sent()), 0);
      if (n > 0) {
        c.add_sent(static_cast<std::size_t>(n));
        continue;
      }
      if (n == SOCKET_ERROR && WSAGetLastError() != WSAEWOULDBLOCK) return;  // the peer went away
      WSAPOLLFD pfds[2] = {{c.socket(), POLLWRNORM, 0}, {wake_receiver_.get(), POLLRDNORM, 0}};
      const SteadyClock::time_point t = SteadyClock::now();
      if (t >= until) return;  // a slow reader is given up on silently
      if (WSAPoll(pfds, 2, poll_timeout_ms(t, until)) == SOCKET_ERROR) return;
      if (pfds[1].revents != 0) return;
    }
    shutdown(c.socket(), SD_SEND);
    c.drain_available();
  }

  void drain_wake_socket() noexcept {
    char buf[64];
    for (int i = 0; i < 64 && recv(wake_receiver_.get(), buf, sizeof buf, 0) > 0; ++i) {
    }
  }

  const LoopbackListenerOptions opts_;
  const UniqueSocket v4_;
  const UniqueSocket v6_;
  const UniqueSocket wake_receiver_;
  const UniqueSocket wake_sender_;
  const std::uint16_t port_;
  std::atomic<bool> cancelled_{false};
};

// Binds the listening sockets per `opts`; the port both serve through `port`.
Result<void> bind_listeners(const LoopbackListenerOptions &opts, UniqueSocket &v4, UniqueSocket &v6,
                            std::uint16_t &port) {
  const bool fixed = opts.port != 0;
  for (int attempt = 1;; ++attempt) {
    v4.reset();
    v6.reset();
    port = opts.port;
    if (opts.ipv4) {
      if (const int err = bind_loopback(AF_INET, port, v4)) return socket_error("bind", AF_INET, port, err);
      port = bound_port(v4.get());
    }
    if (opts.ipv6) {
      const int err = bind_loopback(AF_INET6, port, v6);
      // RFC 8252 §7.3 lets the OS pick the port, but one port must serve both families: when the one chosen
      // for 127.0.0.1 is busy on [::1] (in use, or WSAEACCES: held exclusively or in a reserved range),
      // start over with a new one.
      const bool busy = err == WSAEADDRINUSE || err == WSAEACCES;
      if (busy && !fixed && opts.ipv4 && attempt < kEphemeralAttempts) continue;
      if (err != 0) return socket_error("bind", AF_INET6, port, err);
      if (!opts.ipv4) port = bound_port(v6.get());
    }
    return {};
  }
}

class WinsockLoopbackListenerFactory final : public platform::LoopbackListenerFactory {
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
    if (const int err = winsock_started()) {
      return make_error(ErrorCode::listener_failed,
                        "loopback listener: cannot start Winsock 2.2: " + winsock_message(err));
    }

    UniqueSocket v4;
    UniqueSocket v6;
    std::uint16_t port = 0;
    if (auto bound = bind_listeners(opts, v4, v6, port); !bound) return std::move(bound).error();
    if (port == 0) {
      return make_error(ErrorCode::listener_failed,
                        "loopback listener: cannot read the bound port: " + winsock_message(WSAGetLastError()));
    }
    if (v4.valid() && ::listen(v4.get(), kBacklog) != 0) {
      return socket_error("listen on", AF_INET, port, WSAGetLastError());
    }
    if (v6.valid() && ::listen(v6.get(), kBacklog) != 0) {
      return socket_error("listen on", AF_INET6, port, WSAGetLastError());
    }

    // On the loopback of a family that is there: a machine may have only one of them.
    UniqueSocket wake_receiver;
    UniqueSocket wake_sender;
    int err = wake_pair(opts.ipv4 ? AF_INET : AF_INET6, wake_receiver, wake_sender);
    if (err != 0) err = wake_pair(opts.ipv4 ? AF_INET6 : AF_INET, wake_receiver, wake_sender);
    if (err != 0) {
      return make_error(ErrorCode::listener_failed,
                        "loopback listener: cannot create the wake-up sockets: " + winsock_message(err));
    }
    return std::unique_ptr<platform::LoopbackListener>(std::make_unique<WinsockLoopbackListener>(
        opts, std::move(v4), std::move(v6), std::move(wake_receiver), std::move(wake_sender), port));
  }
};

}  // namespace

std::shared_ptr<platform::LoopbackListenerFactory> make_loopback_listener_factory() {
  return std::make_shared<WinsockLoopbackListenerFactory>();
}

}  // namespace nativeauth::windows
