// SPDX-License-Identifier: Apache-2.0
// Tests of the POSIX loopback redirect listener with real sockets on 127.0.0.1 and [::1].

#include "posix/loopback_listener.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

namespace {

using namespace std::chrono_literals;
using nativeauth::ErrorCode;
using nativeauth::Result;
using nativeauth::platform::HandlerOutcome;
using nativeauth::platform::HttpReply;
using nativeauth::platform::LoopbackListener;
using nativeauth::platform::LoopbackListenerOptions;
using nativeauth::platform::RequestHandler;
using SteadyClock = std::chrono::steady_clock;

// Bound on every blocking client call and every wait for serve(): a hang fails, it does not stall.
constexpr auto kIoTimeout = 10s;

std::unique_ptr<LoopbackListener> listen_or_fail(const LoopbackListenerOptions &opts = {}) {
  auto result = nativeauth::posix::make_loopback_listener_factory()->listen(opts);
  EXPECT_TRUE(result.has_value()) << (result ? "" : result.error().message);
  if (!result) return nullptr;
  return std::move(result).value();
}

bool ipv6_loopback_available() {
  const int fd = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in6 addr{};
  addr.sin6_family = AF_INET6;
  addr.sin6_addr = in6addr_loopback;
  const bool ok = ::bind(fd, reinterpret_cast<const sockaddr *>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

// A blocking client socket whose every call is bounded by kIoTimeout.
class Client {
 public:
  explicit Client(std::uint16_t port, int family = AF_INET) {
    fd_ = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) {
      error_ = errno;
      return;
    }
    timeval tv{};
    tv.tv_sec = std::chrono::duration_cast<std::chrono::seconds>(kIoTimeout).count();
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    const int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    int rc = 0;
    if (family == AF_INET) {
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_port = htons(port);
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      rc = ::connect(fd_, reinterpret_cast<const sockaddr *>(&addr), sizeof addr);
    } else {
      sockaddr_in6 addr{};
      addr.sin6_family = AF_INET6;
      addr.sin6_port = htons(port);
      addr.sin6_addr = in6addr_loopback;
      rc = ::connect(fd_, reinterpret_cast<const sockaddr *>(&addr), sizeof addr);
    }
    if (rc != 0) {
      error_ = errno;
      close();
    }
  }
  Client(const Client &) = delete;
  Client &operator=(const Client &) = delete;
  ~Client() { close(); }

  bool connected() const { return fd_ >= 0; }
  int error() const { return error_; }

  bool send_all(std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  // Everything until the server closes (or an error/timeout, which ends the string early).
  std::string read_all() {
    std::string out;
    char buf[4096];
    for (;;) {
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        last_read_ = n;
        return out;
      }
      out.append(buf, static_cast<std::size_t>(n));
    }
  }
  // 0 after read_all() when the server closed cleanly.
  ssize_t last_read() const { return last_read_; }

  // Makes close() send RST instead of FIN.
  void abort_on_close() {
    const linger lg{1, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  }

  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
  int error_ = 0;
  ssize_t last_read_ = 1;
};

struct Response {
  std::string status_line;
  std::multimap<std::string, std::string> headers;
  std::string body;
  bool complete = false;

  std::string header(const std::string &name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "<absent>" : it->second;
  }
};

Response parse_response(const std::string &raw) {
  Response r;
  const std::size_t head_end = raw.find("\r\n\r\n");
  if (head_end == std::string::npos) return r;
  r.complete = true;
  std::size_t pos = raw.find("\r\n");
  r.status_line = raw.substr(0, pos);
  while (pos < head_end) {
    const std::size_t next = raw.find("\r\n", pos + 2);
    const std::string line = raw.substr(pos + 2, next - pos - 2);
    const std::size_t colon = line.find(": ");
    if (colon != std::string::npos) r.headers.emplace(line.substr(0, colon), line.substr(colon + 2));
    pos = next;
  }
  r.body = raw.substr(head_end + 4);
  return r;
}

std::string request(std::string_view target, std::uint16_t port) {
  return "GET " + std::string(target) + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
         "\r\nUser-Agent: nativeauth-test\r\nAccept: */*\r\n\r\n";
}

// Records what the handler saw; answers 200 + done for GET /callback, 405 for other methods,
// 400 for what does not look like HTTP, 404 otherwise.
class RecordingHandler {
 public:
  RequestHandler handler() {
    return [this](std::string_view head) {
      std::lock_guard<std::mutex> lock(mutex_);
      heads_.emplace_back(head);
      HandlerOutcome outcome;
      if (head.rfind("GET /callback", 0) == 0) {
        outcome.reply.status = 200;
        outcome.reply.content_type = "text/html; charset=utf-8";
        outcome.reply.body = "<p>Signed in.</p>";
        outcome.done = true;
      } else if (head.rfind("POST ", 0) == 0) {
        outcome.reply.status = 405;
        outcome.reply.body = "method";
      } else if (head.rfind("GET ", 0) == 0) {
        outcome.reply.status = 404;
        outcome.reply.body = "not found";
      } else {
        outcome.reply.status = 400;
        outcome.reply.body = "bad request";
      }
      return outcome;
    };
  }
  std::vector<std::string> heads() {
    std::lock_guard<std::mutex> lock(mutex_);
    return heads_;
  }

 private:
  std::mutex mutex_;
  std::vector<std::string> heads_;
};

// serve() on a second thread, so the test thread can play the browser.
class BackgroundServe {
 public:
  BackgroundServe(LoopbackListener &listener, RequestHandler handler, SteadyClock::duration budget = kIoTimeout)
      : listener_(listener),
        started_(SteadyClock::now()),
        future_(std::async(std::launch::async, [&listener, h = std::move(handler), deadline = started_ + budget] {
          return listener.serve(h, deadline);
        })) {}
  BackgroundServe(const BackgroundServe &) = delete;
  BackgroundServe &operator=(const BackgroundServe &) = delete;
  ~BackgroundServe() {
    if (future_.valid()) {
      listener_.cancel();
      future_.wait();
    }
  }

  // The result; cancels the listener (and fails the test) if serve() does not end in time.
  Result<void> result() {
    if (future_.wait_for(kIoTimeout + 5s) != std::future_status::ready) {
      ADD_FAILURE() << "serve() did not return in time";
      listener_.cancel();
    }
    Result<void> r = future_.get();
    elapsed_ = SteadyClock::now() - started_;
    return r;
  }
  SteadyClock::duration elapsed() const { return elapsed_; }

 private:
  LoopbackListener &listener_;
  SteadyClock::time_point started_;
  SteadyClock::duration elapsed_{};
  std::future<Result<void>> future_;
};

std::set<int> open_fds() {
  std::set<int> fds;
  DIR *dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return fds;
  while (const dirent *entry = ::readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    const int fd = std::atoi(entry->d_name);
    if (fd != ::dirfd(dir)) fds.insert(fd);
  }
  ::closedir(dir);
  return fds;
}

TEST(LoopbackListener, OsChosenPortIsNonZeroAndConnectable) {
  auto listener = listen_or_fail();
  ASSERT_NE(listener, nullptr);
  EXPECT_NE(listener->port(), 0);
  Client client(listener->port());
  EXPECT_TRUE(client.connected()) << std::strerror(client.error());
}

TEST(LoopbackListener, DestructorClosesTheListeningSocket) {
  auto listener = listen_or_fail();
  ASSERT_NE(listener, nullptr);
  const std::uint16_t port = listener->port();
  listener.reset();
  Client client(port);
  EXPECT_FALSE(client.connected());
  EXPECT_EQ(client.error(), ECONNREFUSED);
}

TEST(LoopbackListener, DescriptorsAreCloseOnExecNonBlockingAndReleased) {
  const std::set<int> before = open_fds();
  {
    auto listener = listen_or_fail();
    ASSERT_NE(listener, nullptr);
    std::vector<int> added;
    for (int fd : open_fds()) {
      if (before.count(fd) == 0) added.push_back(fd);
    }
    EXPECT_EQ(added.size(), 3U) << "one socket and the two ends of the wake-up pipe";
    for (int fd : added) {
      EXPECT_NE(::fcntl(fd, F_GETFD) & FD_CLOEXEC, 0) << "fd " << fd;
      EXPECT_NE(::fcntl(fd, F_GETFL) & O_NONBLOCK, 0) << "fd " << fd;
    }
    RecordingHandler recorder;
    BackgroundServe serve(*listener, recorder.handler());
    Client idle(listener->port());
    Client client(listener->port());
    ASSERT_TRUE(client.send_all(request("/callback?code=c", listener->port())));
    EXPECT_TRUE(serve.result().has_value());
  }
  EXPECT_EQ(open_fds(), before) << "every socket, connection and pipe is closed";
}

TEST(LoopbackListener, Ipv6BindsLoopbackOnTheSamePort) {
  if (!ipv6_loopback_available()) GTEST_SKIP() << "no IPv6 loopback in this kernel";
  LoopbackListenerOptions opts;
  opts.ipv6 = true;
  auto listener = listen_or_fail(opts);
  ASSERT_NE(listener, nullptr);
  ASSERT_NE(listener->port(), 0);

  Client v4(listener->port(), AF_INET);
  EXPECT_TRUE(v4.connected()) << std::strerror(v4.error());
  RecordingHandler recorder;
  BackgroundServe serve(*listener, recorder.handler());
  Client v6(listener->port(), AF_INET6);
  ASSERT_TRUE(v6.connected()) << std::strerror(v6.error());
  ASSERT_TRUE(v6.send_all(request("/callback?code=v6", listener->port())));
  EXPECT_EQ(parse_response(v6.read_all()).status_line, "HTTP/1.1 200 OK");
  EXPECT_TRUE(serve.result().has_value());
}

TEST(LoopbackListener, Ipv6OnlyLeavesIpv4Unbound) {
  if (!ipv6_loopback_available()) GTEST_SKIP() << "no IPv6 loopback in this kernel";
  LoopbackListenerOptions opts;
  opts.ipv4 = false;
  opts.ipv6 = true;
  auto listener = listen_or_fail(opts);
  ASSERT_NE(listener, nullptr);
  ASSERT_NE(listener->port(), 0);
  Client v6(listener->port(), AF_INET6);
  EXPECT_TRUE(v6.connected()) << std::strerror(v6.error());
  Client v4(listener->port(), AF_INET);
  EXPECT_FALSE(v4.connected());
}

TEST(LoopbackListener, FixedPortIsHonouredAndASecondListenerOnItFails) {
  // Find a port that was free a moment ago; another process could take it in between, so retry.
  std::unique_ptr<LoopbackListener> first;
  std::uint16_t port = 0;
  for (int attempt = 0; attempt < 5 && !first; ++attempt) {
    auto probe = listen_or_fail();
    ASSERT_NE(probe, nullptr);
    port = probe->port();
    probe.reset();
    LoopbackListenerOptions fixed;
    fixed.port = port;
    auto result = nativeauth::posix::make_loopback_listener_factory()->listen(fixed);
    if (result) first = std::move(result).value();
  }
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->port(), port);
  Client client(port);
  EXPECT_TRUE(client.connected());

  LoopbackListenerOptions same;
  same.port = port;
  auto second = nativeauth::posix::make_loopback_listener_factory()->listen(same);
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error().code, ErrorCode::listener_failed);
  EXPECT_NE(second.error().message.find("127.0.0.1:" + std::to_string(port)), std::string::npos)
      << second.error().message;
  EXPECT_NE(second.error().message.find(std::strerror(EADDRINUSE)), std::string::npos) << second.error().message;
}

TEST(LoopbackListener, RejectsOptionsWithoutFamilyOrLimits) {
  auto factory = nativeauth::posix::make_loopback_listener_factory();
  LoopbackListenerOptions none;
  none.ipv4 = false;
  none.ipv6 = false;
  auto r1 = factory->listen(none);
  ASSERT_FALSE(r1.has_value());
  EXPECT_EQ(r1.error().code, ErrorCode::invalid_argument);

  LoopbackListenerOptions zero_connections;
  zero_connections.max_connections = 0;
  auto r2 = factory->listen(zero_connections);
  ASSERT_FALSE(r2.has_value());
  EXPECT_EQ(r2.error().code, ErrorCode::invalid_argument);

  LoopbackListenerOptions zero_timeout;
  zero_timeout.read_timeout = 0ms;
  auto r3 = factory->listen(zero_timeout);
  ASSERT_FALSE(r3.has_value());
  EXPECT_EQ(r3.error().code, ErrorCode::invalid_argument);
}

TEST(LoopbackListener, HandlerReceivesTheExactRequestHead) {
  auto listener = listen_or_fail();
  ASSERT_NE(listener, nullptr);
  RecordingHandler recorder;
  BackgroundServe serve(*listener, recorder.handler());

  const std::string head = request("/callback?code=abc&state=x%20y;$(id)", listener->port());
  const std::string body = "ignored=body";
  Client client(listener->port());
  // In pieces, the last one splitting the blank line, so the head may straddle reads.
  ASSERT_TRUE(client.send_all(head.substr(0, 10)));
  ASSERT_TRUE(client.send_all(head.substr(10, head.size() - 12)));
  ASSERT_TRUE(client.send_all(head.substr(head.size() - 2) + body));
  client.read_all();
  ASSERT_TRUE(serve.result().has_value());
  ASSERT_EQ(recorder.heads().size(), 1U);
  EXPECT_EQ(recorder.heads()[0], head);
}

TEST(LoopbackListener, ReplyCarriesStatusHeadersAndBody) {
  auto listener = listen_or_fail();
  ASSERT_NE(listener, nullptr);
  BackgroundServe serve(*listener, [](std::string_view) {
    HandlerOutcome outcome;
    outcome.reply.status = 200;
    outcome.reply.content_type = "text/html; charset=utf-8";
    outcome.reply.body = "<h1>You can close this window.</h1>";
    outcome.done = true;
    return outcome;
  });
  Client client(listener->port());
  ASSERT_TRUE(client.send_all(request("/callback?code=1", listener->port())));
  const std::string raw = client.read_all();
  EXPECT_EQ(client.last_read(), 0) << "the server closes the connection";
  const Response r = parse_response(raw);
  ASSERT_TRUE(r.complete) << raw;
  EXPECT_EQ(r.status_line, "HTTP/1.1 200 OK");
  EXPECT_EQ(r.header("Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(r.header("Content-Length"), "35");
  EXPECT_EQ(r.header("Cache-Control"), "no-store");
  EXPECT_EQ(r.header("Connection"), "close");
  EXPECT_EQ(r.header("Referrer-Policy"), "no-referrer");
  EXPECT_EQ(r.header("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(r.header("Location"), "<absent>");
  EXPECT_EQ(r.body, "<h1>You can close this window.</h1>");
  EXPECT_TRUE(serve.result().has_value());
}

TEST(LoopbackListener, RedirectCarriesLocation) {
  auto listener = listen_or_fail();
  ASSERT_NE(listener, nullptr);
  BackgroundServe serve(*listener, [](std::string_view) {
    HandlerOutcome outcome;
    outcome.reply.status = 302;
    outcome.reply.location = "https://app.example/signed-in";
    outcome.done = true;
    return outcome;
  });
  Client client(listener->port());
  ASSERT_TRUE(client.send_all(request("/callback?code=1", listener->port())));
  const Response r = parse_response(client.read_all());
  EXPECT_EQ(r.status_line, "HTTP/1.1 302 Found");
  EXPECT_EQ(r.header("Location"), "https://app.example/signed-in");
  EXPECT_EQ(r.header("Content-Length"), "0");
  EXPECT_EQ(r.body, "");
  EXPECT_TRUE(serve.result().has_value());
}

TEST(LoopbackListener, ReplyThatCouldInjectHeadersBecomes500) {
  auto listener = listen_or_fail();
  ASSERT_NE(listener, nullptr);
  std::atomic<int> calls{0};
  BackgroundServe serve(*listener, [&calls](std::string_view) {
    HandlerOutcome outcome;
    outcome.reply.status = 302;
    outcome.reply.location = calls++ == 0 ? "https://x.example/\r\nSet-Cookie: a=b" : "https://x.example/";
    outcome.done = calls == 2;
    return outcome;
  });
  Client bad(listener->port());
  ASSERT_TRUE(bad.send_all(request("/a", listener->port())));
  const Response r = parse_response(bad.read_all());
  EXPECT_EQ(r.status_line, "HTTP/1.1 500 Internal Server Error");
  EXPECT_EQ(r.header("Set-Cookie"), "<absent>");
  EXPECT_EQ(r.header("Location"), "<absent>");
  Client good(listener->port());
  ASSERT_TRUE(good.send_all(request("/b", listener->port())));
  EXPECT_EQ(parse_response(good.read_all()).header("Location"), "https://x.example/");
  EXPECT_TRUE(serve.result().has_value());
}

TEST(LoopbackListener, GarbageAndWrongRequestsGetTheHandlersReplyAndServeContinues) {
  auto listener = listen_or_fail();
  ASSERT_NE(listener, nullptr);
  RecordingHandler recorder;
  BackgroundServe serve(*listener, recorder.handler());
  const std::uint16_t port = listener->port();

  Client garbage(port);
  ASSERT_TRUE(garbage.send_all(std::string("\x16\x03\x01\x00\xff garbage\r\n\r\n", 17)));
  EXPECT_EQ(parse_response(garbage.read_all()).status_line, "HTTP/1.1 400 Bad Request");

  Client post(port);
  ASSERT_TRUE(post.send_all("POST /callback HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"));
  EXPECT_EQ(parse_response(post.read_all()).status_line, "HTTP/1.1 405 Method Not Allowed");

  Client favicon(port);
  ASSERT_TRUE(favicon.send_all(request("/favicon.ico", port)));
  const Response not_found = parse_response(favicon.read_all());
  EXPECT_EQ(not_found.status_line, "HTTP/1.1 404 Not Found");
  EXPECT_EQ(not_found.body, "not found");

  Client valid(port);
  ASSERT_TRUE(valid.send_all(request("/callback?code=ok", port)));
  EXPECT_EQ(parse_response(valid.read_all()).status_line, "HTTP/1.1 200 OK");
  EXPECT_TRUE(serve.result().has_value());
  EXPECT_EQ(recorder.heads().size(), 4U);
}

TEST(LoopbackListener, IdleAndIncompleteClientsDoNotBlockAValidOne) {
  auto listener = listen_or_fail();  // read_timeout 10 s: serve must not wait for it
  ASSERT_NE(listener, nullptr);
  RecordingHandler recorder;
  BackgroundServe serve(*listener, recorder.handler(), 30s);
  const std::uint16_t port = listener->port();

  Client idle(port);
  Client incomplete(port);
  ASSERT_TRUE(incomplete.send_all("GET /callback?code=partial HTTP/1.1\r\nHost: x\r\n"));
  Client valid(port);
  ASSERT_TRUE(valid.send_all(request("/callback?code=ok", port)));
  EXPECT_EQ(parse_response(valid.read_all()).status_line, "HTTP/1.1 200 OK");
  EXPECT_TRUE(serve.result().has_value());
  EXPECT_LT(serve.elapsed(), 5s);
  ASSERT_EQ(recorder.heads().size(), 1U);
  EXPECT_NE(recorder.heads()[0].find("code=ok"), std::string::npos);
  // serve() returned: the connections it held are closed.
  EXPECT_EQ(idle.read_all(), "");
  EXPECT_EQ(idle.last_read(), 0);
}

TEST(LoopbackListener, PeersThatCloseOrResetEarlyAreDropped) {
  auto listener = listen_or_fail();
  ASSERT_NE(listener, nullptr);
  RecordingHandler recorder;
  BackgroundServe serve(*listener, recorder.handler());
  const std::uint16_t port = listener->port();
  {
    Client quitter(port);
    ASSERT_TRUE(quitter.send_all("GET /callback?code=half"));
  }
  {
    // A full request whose sender resets before reading: the reply write may hit EPIPE or
    // ECONNRESET, which must neither raise SIGPIPE nor end the wait.
    Client resetter(port);
    ASSERT_TRUE(resetter.send_all(request("/favicon.ico", port)));
    resetter.abort_on_close();
  }
  Client valid(port);
  ASSERT_TRUE(valid.send_all(request("/callback?code=ok", port)));
  EXPECT_EQ(parse_response(valid.read_all()).status_line, "HTTP/1.1 200 OK");
  EXPECT_TRUE(serve.result().has_value());
  for (const std::string &head : recorder.heads()) EXPECT_EQ(head.find("code=half"), std::string::npos);
}

TEST(LoopbackListener, OversizedHeadGets431WithoutTheHandler) {
  auto listener = listen_or_fail();  // max_request_bytes: 16 KiB
  ASSERT_NE(listener, nullptr);
  RecordingHandler recorder;
  BackgroundServe serve(*listener, recorder.handler());
  const std::uint16_t port = listener->port();

  Client big(port);
  const std::string huge = "GET /callback?code=big HTTP/1.1\r\nX-Big: " + std::string(1 << 20, 'a') + "\r\n\r\n";
  big.send_all(huge);  // may fail midway once the server has answered and closed
  const std::string raw = big.read_all();
  EXPECT_TRUE(raw.empty() || raw.rfind("HTTP/1.1 431 Request Header Fields Too Large\r\n", 0) == 0)
      << raw.substr(0, 80);

  Client valid(port);
  ASSERT_TRUE(valid.send_all(request("/callback?code=ok", port)));
  EXPECT_EQ(parse_response(valid.read_all()).status_line, "HTTP/1.1 200 OK");
  EXPECT_TRUE(serve.result().has_value());
  ASSERT_EQ(recorder.heads().size(), 1U);
  EXPECT_NE(recorder.heads()[0].find("code=ok"), std::string::npos);
}

TEST(LoopbackListener, HeadOfExactlyMaxRequestBytesIsAcceptedOneMoreIsNot) {
  LoopbackListenerOptions opts;
  const std::string exact = "GET /callback?code=x HTTP/1.1\r\nHost: h\r\n\r\n";
  opts.max_request_bytes = exact.size();
  auto listener = listen_or_fail(opts);
  ASSERT_NE(listener, nullptr);
  RecordingHandler recorder;
  BackgroundServe serve(*listener, recorder.handler());

  Client over(listener->port());
  ASSERT_TRUE(over.send_all("GET /callback?code=xy HTTP/1.1\r\nHost: h\r\n\r\n"));
  EXPECT_EQ(parse_response(over.read_all()).status_line, "HTTP/1.1 431 Request Header Fields Too Large");
  Client fits(listener->port());
  ASSERT_TRUE(fits.send_all(exact));
  EXPECT_EQ(parse_response(fits.read_all()).status_line, "HTTP/1.1 200 OK");
  EXPECT_TRUE(serve.result().has_value());
  ASSERT_EQ(recorder.heads().size(), 1U);
  EXPECT_EQ(recorder.heads()[0], exact);
}

TEST(LoopbackListener, DeadlineReturnsTimeout) {
  auto listener = listen_or_fail();
  ASSERT_NE(listener, nullptr);
  RecordingHandler recorder;
  const auto start = SteadyClock::now();
  auto result = listener->serve(recorder.handler(), start + 150ms);
  const auto elapsed = SteadyClock::now() - start;
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::timeout);
  EXPECT_GE(elapsed, 150ms);
  EXPECT_LT(elapsed, 5s);

  auto past = listener->serve(recorder.handler(), SteadyClock::now() - 1s);
  ASSERT_FALSE(past.has_value());
  EXPECT_EQ(past.error().code, ErrorCode::timeout);
}

TEST(LoopbackListener, CancelFromAnotherThreadEndsServePromptly) {
  auto listener = listen_or_fail();
  ASSERT_NE(listener, nullptr);
  std::promise<void> handler_ran;
  std::atomic<bool> signalled{false};
  BackgroundServe serve(
      *listener,
      [&](std::string_view) {
        if (!signalled.exchange(true)) handler_ran.set_value();
        HandlerOutcome outcome;
        outcome.reply.status = 404;
        return outcome;
      },
      60s);
  // A handled request proves serve() is inside its loop before cancel() arrives.
  Client client(listener->port());
  ASSERT_TRUE(client.send_all(request("/favicon.ico", listener->port())));
  ASSERT_EQ(handler_ran.get_future().wait_for(kIoTimeout), std::future_status::ready);
  client.read_all();

  const auto cancel_at = SteadyClock::now();
  std::thread canceller([&] { listener->cancel(); });
  canceller.join();
  auto result = serve.result();
  EXPECT_LT(SteadyClock::now() - cancel_at, 2s);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::cancelled);
}

TEST(LoopbackListener, CancelBeforeServeReturnsCancelled) {
  auto listener = listen_or_fail();
  ASSERT_NE(listener, nullptr);
  listener->cancel();
  listener->cancel();  // idempotent
  // Even a waiting valid request does not win over an earlier cancel().
  Client client(listener->port());
  ASSERT_TRUE(client.send_all(request("/callback?code=late", listener->port())));
  RecordingHandler recorder;
  auto result = listener->serve(recorder.handler(), SteadyClock::now() + 60s);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::cancelled);
  EXPECT_TRUE(recorder.heads().empty());
}

TEST(LoopbackListener, IdleClientsBeyondMaxConnectionsTimeOutAndServeCompletes) {
  LoopbackListenerOptions opts;
  opts.max_connections = 2;
  opts.read_timeout = 200ms;  // a bound on idle clients, not a sleep
  auto listener = listen_or_fail(opts);
  ASSERT_NE(listener, nullptr);
  const std::uint16_t port = listener->port();

  std::vector<std::unique_ptr<Client>> idle;
  for (int i = 0; i < 4; ++i) {
    idle.push_back(std::make_unique<Client>(port));
    ASSERT_TRUE(idle.back()->connected());
  }
  Client valid(port);
  ASSERT_TRUE(valid.send_all(request("/callback?code=ok", port)));

  RecordingHandler recorder;
  BackgroundServe serve(*listener, recorder.handler());
  EXPECT_EQ(parse_response(valid.read_all()).status_line, "HTTP/1.1 200 OK");
  EXPECT_TRUE(serve.result().has_value());
  // Two rounds of two idle connections had to time out before the valid one was accepted.
  EXPECT_GE(serve.elapsed(), 2 * opts.read_timeout);
  EXPECT_EQ(recorder.heads().size(), 1U);
  for (auto &c : idle) {
    EXPECT_EQ(c->read_all(), "");
    EXPECT_EQ(c->last_read(), 0) << "dropped with FIN, not left hanging";
  }
}

TEST(LoopbackListener, HandlerExceptionBecomesInternalError) {
  auto listener = listen_or_fail();
  ASSERT_NE(listener, nullptr);
  BackgroundServe serve(*listener, [](std::string_view) -> HandlerOutcome { throw std::runtime_error("boom"); });
  Client client(listener->port());
  ASSERT_TRUE(client.send_all(request("/callback?code=1", listener->port())));
  auto result = serve.result();
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::internal);
  EXPECT_EQ(result.error().message.find("boom"), std::string::npos);
}

}  // namespace
