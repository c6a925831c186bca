// SPDX-License-Identifier: Apache-2.0
// Tests of the Winsock2 loopback redirect listener with real sockets on 127.0.0.1 and [::1] (under wine on
// Linux): the listener contract of tests/unit/loopback_listener_test.cpp, case for case, and what is
// Windows' own: SO_EXCLUSIVEADDRUSE against a port thief, and sockets that a child process does not inherit
// (shown with a real child, this exe started again with --hold).
#include "windows/loopback_listener.hpp"

#include "windows/win32.hpp"

// clang-format off: need <windows.h> (win32.hpp) first
#include <winsock2.h>
#include <ws2tcpip.h>
// clang-format on

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <future>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
using nativeauth::ErrorCode;
using nativeauth::Result;
using nativeauth::platform::HandlerOutcome;
using nativeauth::platform::LoopbackListener;
using nativeauth::platform::LoopbackListenerOptions;
using nativeauth::platform::RequestHandler;
using nativeauth::windows::system_message;
using SteadyClock = std::chrono::steady_clock;

// Bound on every blocking client call and every wait for serve(): a hang fails, it does not stall.
constexpr auto kIoTimeout = 10s;

auto factory() { return nativeauth::windows::make_loopback_listener_factory(); }

std::unique_ptr<LoopbackListener> listen_or_fail(const LoopbackListenerOptions &opts = {}) {
  auto result = factory()->listen(opts);
  EXPECT_TRUE(result.has_value()) << (result ? "" : result.error().message);
  if (!result) return nullptr;
  return std::move(result).value();
}

sockaddr_storage loopback(int family, std::uint16_t port, int &len) {
  sockaddr_storage out{};
  if (family == AF_INET) {
    auto &a = reinterpret_cast<sockaddr_in &>(out);
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    len = sizeof a;
  } else {
    auto &a = reinterpret_cast<sockaddr_in6 &>(out);
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(port);
    a.sin6_addr = in6addr_loopback;
    len = sizeof a;
  }
  return out;
}

bool ipv6_loopback_available() {
  const SOCKET s = socket(AF_INET6, SOCK_STREAM, IPPROTO_TCP);
  if (s == INVALID_SOCKET) return false;
  int len = 0;
  const sockaddr_storage addr = loopback(AF_INET6, 0, len);
  const bool ok = bind(s, reinterpret_cast<const sockaddr *>(&addr), len) == 0;
  closesocket(s);
  return ok;
}

// A blocking client socket whose every call is bounded (kIoTimeout unless told).
class Client {
 public:
  explicit Client(std::uint16_t port, int family = AF_INET, std::chrono::milliseconds timeout = kIoTimeout) {
    s_ = socket(family, SOCK_STREAM, IPPROTO_TCP);
    if (s_ == INVALID_SOCKET) {
      error_ = WSAGetLastError();
      return;
    }
    const DWORD ms = static_cast<DWORD>(timeout.count());
    setsockopt(s_, SOL_SOCKET, SO_RCVTIMEO, reinterpret_cast<const char *>(&ms), sizeof ms);
    setsockopt(s_, SOL_SOCKET, SO_SNDTIMEO, reinterpret_cast<const char *>(&ms), sizeof ms);
    const BOOL one = TRUE;
    setsockopt(s_, IPPROTO_TCP, TCP_NODELAY, reinterpret_cast<const char *>(&one), sizeof one);
    int len = 0;
    const sockaddr_storage addr = loopback(family, port, len);
    if (connect(s_, reinterpret_cast<const sockaddr *>(&addr), len) != 0) {
      error_ = WSAGetLastError();
      close();
    }
  }
  Client(const Client &) = delete;
  Client &operator=(const Client &) = delete;
  ~Client() { close(); }

  bool connected() const { return s_ != INVALID_SOCKET; }
  int error() const { return error_; }
  std::string error_text() const { return system_message(static_cast<DWORD>(error_)); }

  bool send_all(std::string_view data) {
    while (!data.empty()) {
      const int n = send(s_, data.data(), static_cast<int>(data.size()), 0);
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
      const int n = recv(s_, buf, sizeof buf, 0);
      if (n <= 0) {
        last_read_ = n;
        last_error_ = n < 0 ? WSAGetLastError() : 0;
        return out;
      }
      out.append(buf, static_cast<std::size_t>(n));
    }
  }
  // 0 after read_all() when the server closed cleanly (FIN).
  int last_read() const { return last_read_; }
  // The Winsock error that ended read_all(): WSAETIMEDOUT, WSAECONNRESET, ...
  int last_error() const { return last_error_; }

  // Makes close() send RST instead of FIN.
  void abort_on_close() {
    const linger lg{1, 0};
    setsockopt(s_, SOL_SOCKET, SO_LINGER, reinterpret_cast<const char *>(&lg), sizeof lg);
  }

  void close() {
    if (s_ != INVALID_SOCKET) closesocket(s_);
    s_ = INVALID_SOCKET;
  }

 private:
  SOCKET s_ = INVALID_SOCKET;
  int error_ = 0;
  int last_read_ = 1;
  int last_error_ = 0;
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

// Records what the handler saw; answers 200 + done for GET /callback, 405 for other methods, 400 for what
// does not look like HTTP, 404 otherwise.
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

// A child process that inherits every inheritable handle of this one (bInheritHandles TRUE, as an app
// starting a helper might) and holds them until it is terminated: this exe, run with --hold.
class InheritingChild {
 public:
  InheritingChild() {
    wchar_t self[MAX_PATH];
    const DWORD n = GetModuleFileNameW(nullptr, self, MAX_PATH);
    if (n == 0 || n == MAX_PATH) return;
    std::wstring command = L"\"" + std::wstring(self) + L"\" --hold";
    STARTUPINFOW si{};
    si.cb = sizeof si;
    PROCESS_INFORMATION pi{};
    if (!CreateProcessW(self, command.data(), nullptr, nullptr, TRUE, 0, nullptr, nullptr, &si, &pi)) return;
    CloseHandle(pi.hThread);
    process_ = pi.hProcess;
  }
  InheritingChild(const InheritingChild &) = delete;
  InheritingChild &operator=(const InheritingChild &) = delete;
  ~InheritingChild() {
    if (process_ == nullptr) return;
    TerminateProcess(process_, 0);
    WaitForSingleObject(process_, 10'000);
    CloseHandle(process_);
  }
  bool started() const { return process_ != nullptr; }

 private:
  HANDLE process_ = nullptr;
};

// An unused port on 127.0.0.1 a moment ago (another process could take it in between).
std::uint16_t probe_port() {
  auto probe = listen_or_fail();
  return probe ? probe->port() : 0;
}

TEST(LoopbackListener, OsChosenPortIsNonZeroAndConnectable) {
  auto listener = listen_or_fail();
  ASSERT_NE(listener, nullptr);
  EXPECT_NE(listener->port(), 0);
  Client client(listener->port());
  EXPECT_TRUE(client.connected()) << client.error_text();
}

TEST(LoopbackListener, DestructorClosesTheListeningSocket) {
  auto listener = listen_or_fail();
  ASSERT_NE(listener, nullptr);
  const std::uint16_t port = listener->port();
  listener.reset();
  Client client(port);
  EXPECT_FALSE(client.connected());
  EXPECT_EQ(client.error(), WSAECONNREFUSED);
}

TEST(LoopbackListener, AChildProcessDoesNotInheritTheListeningSockets) {
  LoopbackListenerOptions opts;
  opts.ipv6 = ipv6_loopback_available();
  auto listener = listen_or_fail(opts);
  ASSERT_NE(listener, nullptr);
  const std::uint16_t port = listener->port();
  InheritingChild child;
  ASSERT_TRUE(child.started()) << system_message(GetLastError());
  listener.reset();
  // An inherited copy would keep the port listening for as long as the child lives.
  Client v4(port);
  EXPECT_FALSE(v4.connected());
  EXPECT_EQ(v4.error(), WSAECONNREFUSED) << v4.error_text();
  if (opts.ipv6) {
    Client v6(port, AF_INET6);
    EXPECT_FALSE(v6.connected());
  }
}

// The negative twin: proves that the check above can fail here, i.e. that this Windows (or wine) really
// hands an inheritable socket to the child and the port stays open.
TEST(LoopbackListener, AnInheritableSocketWouldStayListeningInTheChild) {
  SOCKET s = WSASocketW(AF_INET, SOCK_STREAM, IPPROTO_TCP, nullptr, 0, 0);  // inheritable
  ASSERT_NE(s, INVALID_SOCKET);
  int len = 0;
  sockaddr_storage addr = loopback(AF_INET, 0, len);
  ASSERT_EQ(bind(s, reinterpret_cast<const sockaddr *>(&addr), len), 0);
  ASSERT_EQ(listen(s, 4), 0);
  ASSERT_EQ(getsockname(s, reinterpret_cast<sockaddr *>(&addr), &len), 0);
  const std::uint16_t port = ntohs(reinterpret_cast<const sockaddr_in &>(addr).sin_port);
  InheritingChild child;
  ASSERT_TRUE(child.started());
  closesocket(s);
  Client client(port);
  EXPECT_TRUE(client.connected()) << "the child's copy keeps listening";
}

TEST(LoopbackListener, AChildStartedWhileServingDoesNotInheritTheConnections) {
  auto listener = listen_or_fail();
  ASSERT_NE(listener, nullptr);
  const std::uint16_t port = listener->port();
  std::unique_ptr<InheritingChild> child;
  // The handler starts the child while `idle` is an accepted connection of serve().
  BackgroundServe serve(*listener, [&child](std::string_view head) {
    HandlerOutcome outcome;
    outcome.reply.status = 404;
    if (head.rfind("GET /spawn", 0) == 0) child = std::make_unique<InheritingChild>();
    if (head.rfind("GET /callback", 0) == 0) {
      outcome.reply.status = 200;
      outcome.done = true;
    }
    return outcome;
  });
  Client idle(port, AF_INET, 3s);
  ASSERT_TRUE(idle.connected());
  Client spawner(port);
  ASSERT_TRUE(spawner.send_all(request("/spawn", port)));
  EXPECT_EQ(parse_response(spawner.read_all()).status_line, "HTTP/1.1 404 Not Found");
  ASSERT_NE(child, nullptr);
  ASSERT_TRUE(child->started());
  Client valid(port);
  ASSERT_TRUE(valid.send_all(request("/callback?code=c", port)));
  EXPECT_EQ(parse_response(valid.read_all()).status_line, "HTTP/1.1 200 OK");
  ASSERT_TRUE(serve.result().has_value());
  // serve() closed `idle`; a copy in the child would keep it open, and this read would time out.
  EXPECT_EQ(idle.read_all(), "");
  EXPECT_EQ(idle.last_read(), 0) << system_message(static_cast<DWORD>(idle.last_error()));
}

TEST(LoopbackListener, Ipv6BindsLoopbackOnTheSamePort) {
  if (!ipv6_loopback_available()) GTEST_SKIP() << "no IPv6 loopback here";
  LoopbackListenerOptions opts;
  opts.ipv6 = true;
  auto listener = listen_or_fail(opts);
  ASSERT_NE(listener, nullptr);
  ASSERT_NE(listener->port(), 0);

  Client v4(listener->port(), AF_INET);
  EXPECT_TRUE(v4.connected()) << v4.error_text();
  RecordingHandler recorder;
  BackgroundServe serve(*listener, recorder.handler());
  Client v6(listener->port(), AF_INET6);
  ASSERT_TRUE(v6.connected()) << v6.error_text();
  ASSERT_TRUE(v6.send_all(request("/callback?code=v6", listener->port())));
  EXPECT_EQ(parse_response(v6.read_all()).status_line, "HTTP/1.1 200 OK");
  EXPECT_TRUE(serve.result().has_value());
}

TEST(LoopbackListener, Ipv6OnlyLeavesIpv4Unbound) {
  if (!ipv6_loopback_available()) GTEST_SKIP() << "no IPv6 loopback here";
  LoopbackListenerOptions opts;
  opts.ipv4 = false;
  opts.ipv6 = true;
  auto listener = listen_or_fail(opts);
  ASSERT_NE(listener, nullptr);
  ASSERT_NE(listener->port(), 0);
  Client v6(listener->port(), AF_INET6);
  EXPECT_TRUE(v6.connected()) << v6.error_text();
  Client v4(listener->port(), AF_INET);
  EXPECT_FALSE(v4.connected());
}

TEST(LoopbackListener, FixedPortIsHonouredAndASecondListenerOnItFails) {
  std::unique_ptr<LoopbackListener> first;
  std::uint16_t port = 0;
  for (int attempt = 0; attempt < 5 && !first; ++attempt) {
    port = probe_port();
    ASSERT_NE(port, 0);
    LoopbackListenerOptions fixed;
    fixed.port = port;
    auto result = factory()->listen(fixed);
    if (result) first = std::move(result).value();
  }
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->port(), port);
  Client client(port);
  EXPECT_TRUE(client.connected());

  LoopbackListenerOptions same;
  same.port = port;
  auto second = factory()->listen(same);
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error().code, ErrorCode::listener_failed);
  const std::string &message = second.error().message;
  EXPECT_NE(message.find("cannot bind 127.0.0.1:" + std::to_string(port) + ": "), std::string::npos) << message;
  // WSAEADDRINUSE, or WSAEACCES when the holder is exclusive; with a text even where FormatMessageW has
  // none (wine has none for WSAEADDRINUSE).
  const bool reason = message.find("(error 10048)") != std::string::npos ||
                      message.find("(error 10013)") != std::string::npos;
  EXPECT_TRUE(reason) << message;
  EXPECT_EQ(message.find("unknown error"), std::string::npos) << message;
  std::printf("    the second listener's error: %s\n", message.c_str());
}

// SO_EXCLUSIVEADDRUSE: a socket that asks for SO_REUSEADDR (which on Windows lets a later bind take over a
// port) still cannot bind the listener's address, nor the wildcard address on its port.
TEST(LoopbackListener, APortThiefWithReuseAddrCannotBindTheListenersPort) {
  auto listener = listen_or_fail();
  ASSERT_NE(listener, nullptr);
  for (const bool wildcard : {false, true}) {
    SOCKET thief = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    ASSERT_NE(thief, INVALID_SOCKET);
    const BOOL one = TRUE;
    ASSERT_EQ(setsockopt(thief, SOL_SOCKET, SO_REUSEADDR, reinterpret_cast<const char *>(&one), sizeof one), 0);
    int len = 0;
    sockaddr_storage addr = loopback(AF_INET, listener->port(), len);
    if (wildcard) reinterpret_cast<sockaddr_in &>(addr).sin_addr.s_addr = htonl(INADDR_ANY);
    const int rc = bind(thief, reinterpret_cast<const sockaddr *>(&addr), len);
    const int err = WSAGetLastError();
    closesocket(thief);
    EXPECT_NE(rc, 0) << (wildcard ? "0.0.0.0" : "127.0.0.1") << " was bound over the listener";
    if (rc != 0) {
      EXPECT_TRUE(err == WSAEACCES || err == WSAEADDRINUSE) << system_message(static_cast<DWORD>(err));
    }
  }
}

TEST(LoopbackListener, RejectsOptionsWithoutFamilyOrLimits) {
  auto f = factory();
  LoopbackListenerOptions none;
  none.ipv4 = false;
  none.ipv6 = false;
  auto r1 = f->listen(none);
  ASSERT_FALSE(r1.has_value());
  EXPECT_EQ(r1.error().code, ErrorCode::invalid_argument);

  LoopbackListenerOptions zero_connections;
  zero_connections.max_connections = 0;
  auto r2 = f->listen(zero_connections);
  ASSERT_FALSE(r2.has_value());
  EXPECT_EQ(r2.error().code, ErrorCode::invalid_argument);

  LoopbackListenerOptions zero_timeout;
  zero_timeout.read_timeout = 0ms;
  auto r3 = f->listen(zero_timeout);
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

// One-shot: once the handler accepted a redirect, serve() returns; a second redirect already waiting is
// never handed to the handler, and its connection is closed without a reply.
TEST(LoopbackListener, ServeStopsAtTheFirstAcceptedRedirect) {
  auto listener = listen_or_fail();
  ASSERT_NE(listener, nullptr);
  const std::uint16_t port = listener->port();
  Client first(port);
  Client second(port);
  ASSERT_TRUE(first.send_all(request("/callback?code=first", port)));
  ASSERT_TRUE(second.send_all(request("/callback?code=second", port)));
  RecordingHandler recorder;
  BackgroundServe serve(*listener, recorder.handler());
  EXPECT_TRUE(serve.result().has_value());
  ASSERT_EQ(recorder.heads().size(), 1U);
  const bool first_won = recorder.heads()[0].find("code=first") != std::string::npos;
  Client &winner = first_won ? first : second;
  Client &loser = first_won ? second : first;
  EXPECT_EQ(parse_response(winner.read_all()).status_line, "HTTP/1.1 200 OK");
  EXPECT_FALSE(parse_response(loser.read_all()).complete) << "no reply after the wait ended";
  // The listener still holds its port until destroyed, but nobody answers there any more.
  Client late(port, AF_INET, 500ms);
  ASSERT_TRUE(late.send_all(request("/callback?code=late", port)));
  EXPECT_EQ(late.read_all(), "");
  EXPECT_EQ(late.last_error(), WSAETIMEDOUT);
  EXPECT_EQ(recorder.heads().size(), 1U);
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
    // A full request whose sender resets before reading: the reply write may fail with WSAECONNRESET or
    // WSAECONNABORTED, which must not end the wait.
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

// The default bound, exactly: a head of 16 KiB is handled, one byte more is answered 431.
TEST(LoopbackListener, HeadOf16KiBIsAcceptedOneByteMoreGets431) {
  auto listener = listen_or_fail();
  ASSERT_NE(listener, nullptr);
  RecordingHandler recorder;
  BackgroundServe serve(*listener, recorder.handler());
  const std::uint16_t port = listener->port();
  const std::string start = "GET /callback?code=x HTTP/1.1\r\nX-Pad: ";
  const std::string exact = start + std::string(16 * 1024 - start.size() - 4, 'p') + "\r\n\r\n";
  ASSERT_EQ(exact.size(), 16U * 1024U);
  const std::string over = start + std::string(16 * 1024 - start.size() - 3, 'p') + "\r\n\r\n";

  Client too_big(port);
  ASSERT_TRUE(too_big.send_all(over));
  EXPECT_EQ(parse_response(too_big.read_all()).status_line, "HTTP/1.1 431 Request Header Fields Too Large");
  Client fits(port);
  ASSERT_TRUE(fits.send_all(exact));
  EXPECT_EQ(parse_response(fits.read_all()).status_line, "HTTP/1.1 200 OK");
  EXPECT_TRUE(serve.result().has_value());
  ASSERT_EQ(recorder.heads().size(), 1U);
  EXPECT_EQ(recorder.heads()[0], exact);
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

// read_timeout counts from accept: a client trickling its head a byte at a time is dropped when it runs
// out, not kept alive by each byte. (The 50 ms between bytes is the client's pace, not a synchronisation.)
TEST(LoopbackListener, ASlowClientIsDroppedAfterReadTimeout) {
  LoopbackListenerOptions opts;
  opts.read_timeout = 300ms;
  auto listener = listen_or_fail(opts);
  ASSERT_NE(listener, nullptr);
  RecordingHandler recorder;
  BackgroundServe serve(*listener, recorder.handler());
  const std::uint16_t port = listener->port();

  Client slow(port);
  ASSERT_TRUE(slow.connected());
  const auto start = SteadyClock::now();
  const std::string head = request("/callback?code=slow", port);
  bool dropped = false;
  for (std::size_t i = 0; i + 1 < head.size() && SteadyClock::now() - start < 5s; ++i) {
    if (!slow.send_all(head.substr(i, 1))) {
      dropped = true;
      break;
    }
    std::this_thread::sleep_for(50ms);
  }
  const auto elapsed = SteadyClock::now() - start;
  // The first send after the server closed may still succeed; the read tells for sure.
  const std::string rest = slow.read_all();
  EXPECT_TRUE(dropped || slow.last_read() <= 0);
  EXPECT_EQ(rest, "");
  EXPECT_GE(elapsed, opts.read_timeout);
  EXPECT_LT(elapsed, 3s) << "kept alive by its trickle";

  Client valid(port);
  ASSERT_TRUE(valid.send_all(request("/callback?code=ok", port)));
  EXPECT_EQ(parse_response(valid.read_all()).status_line, "HTTP/1.1 200 OK");
  EXPECT_TRUE(serve.result().has_value());
  ASSERT_EQ(recorder.heads().size(), 1U);
  EXPECT_NE(recorder.heads()[0].find("code=ok"), std::string::npos);
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

// max_connections at its default (16): 16 idle clients fill it, the 17th (a valid redirect) waits in the
// backlog until they time out. `idle_clients` below 16 is the twin: the 17th is then served at once.
void serve_after_idle_clients(int idle_clients, bool expect_wait) {
  LoopbackListenerOptions opts;
  ASSERT_EQ(opts.max_connections, 16U);
  opts.read_timeout = 300ms;  // a bound on idle clients, not a sleep
  auto listener = listen_or_fail(opts);
  ASSERT_NE(listener, nullptr);
  const std::uint16_t port = listener->port();

  std::vector<std::unique_ptr<Client>> idle;
  for (int i = 0; i < idle_clients; ++i) {
    idle.push_back(std::make_unique<Client>(port));
    ASSERT_TRUE(idle.back()->connected());
  }
  Client valid(port);
  ASSERT_TRUE(valid.send_all(request("/callback?code=ok", port)));

  RecordingHandler recorder;
  BackgroundServe serve(*listener, recorder.handler());
  EXPECT_EQ(parse_response(valid.read_all()).status_line, "HTTP/1.1 200 OK");
  EXPECT_TRUE(serve.result().has_value());
  if (expect_wait) {
    EXPECT_GE(serve.elapsed(), opts.read_timeout) << "the 17th connection was served beside 16 others";
  } else {
    EXPECT_LT(serve.elapsed(), opts.read_timeout);
  }
  EXPECT_EQ(recorder.heads().size(), 1U);
  for (auto &c : idle) {
    EXPECT_EQ(c->read_all(), "");
    EXPECT_EQ(c->last_read(), 0) << "dropped with FIN, not left hanging";
  }
}

TEST(LoopbackListener, The17thConnectionWaitsUntilIdleOnesTimeOut) { serve_after_idle_clients(16, true); }

TEST(LoopbackListener, The16thConnectionIsServedAtOnce) { serve_after_idle_clients(15, false); }

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

int main(int argc, char **argv) {
  // The child of the inheritance tests: holds what it inherited until it is terminated.
  if (argc == 2 && std::strcmp(argv[1], "--hold") == 0) {
    Sleep(INFINITE);
    return 0;
  }
  WSADATA data{};
  if (WSAStartup(MAKEWORD(2, 2), &data) != 0) return 2;
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
