// SPDX-License-Identifier: Apache-2.0
// The Windows redirect relay: a second instance of an app, started by the shell with a custom-scheme
// redirect (RFC 8252 §7.1), hands the URL over a named pipe to the instance whose sign-in waits for it.
//
// Wire format, one exchange per connection, the same as the POSIX relay's: the sender writes the URL and
// a newline; the listener answers "ok\n" or "error <code> <message>\n"; the sender reads the answer and
// closes. Named pipes have no half-close, so the listener reads up to the newline, not to the end.
//
// The pipe: \\.\pipe\nativeauth-<user SID>-<FNV-1a 64 hex of issuer '\0' client_id '\0' profile>. The pipe
// namespace is one per machine, so the user's SID keeps two users' slots apart; it is created
// - with FILE_FLAG_FIRST_PIPE_INSTANCE and one instance at most: a second listener for the slot fails
//   (ERROR_ACCESS_DENIED) instead of quietly sharing the name;
// - with PIPE_REJECT_REMOTE_CLIENTS: nothing arrives over SMB;
// - with a protected DACL that grants the user's SID, and nobody else, any access.
// Each side also checks the other's process owner (GetNamedPipeClientProcessId / ...ServerProcessId, then
// the process token), as the POSIX relay checks SO_PEERCRED: the DACL keeps other users out of a pipe we
// made, and the sender's check keeps a pipe another user made first ("squatted") from receiving a URL.
// The sender opens the pipe with SECURITY_IDENTIFICATION, so the listener can never impersonate it.
//
// The listener serves one connection at a time on its one instance, then DisconnectNamedPipe and
// ConnectNamedPipe again on the same handle, so the name never disappears between two exchanges. A sender
// that finds it busy waits with WaitNamedPipeW, within its timeout. Every wait is overlapped I/O on an
// event together with the endpoint's stop event: the destructor sets it and the accept loop ends at once.
#include "windows/redirect_relay.hpp"

#include "common/relay_wire.hpp"

#include "windows/win32.hpp"

#include <nativeauth/secret.hpp>

#include <cstdio>
#include <exception>
#include <new>
#include <string>
#include <thread>
#include <utility>

namespace nativeauth::windows {
namespace {

constexpr std::size_t kMaxUrl = 16 * 1024;
constexpr DWORD kPeerTimeoutMs = 3000;
constexpr DWORD kPipeBuffer = 4096;

Error relay_error(ErrorCode code, std::string message) { return make_error(code, std::move(message)); }

std::string describe(const platform::SlotKey &slot) {
  return "client '" + slot.client_id + "', profile '" + slot.profile + "'";
}

std::wstring pipe_name(const std::wstring &sid, const platform::SlotKey &slot) {
  return L"\\\\.\\pipe\\nativeauth-" + sid + L"-" + *widen(slot_hash(slot));  // hex: always valid UTF-8
}

// Milliseconds left until `deadline` (GetTickCount64), for a Win32 wait: never INFINITE by accident.
DWORD left_until(ULONGLONG deadline) {
  const ULONGLONG now = GetTickCount64();
  if (now >= deadline) return 0;
  const ULONGLONG left = deadline - now;
  return left >= INFINITE ? INFINITE - 1 : static_cast<DWORD>(left);
}

ULONGLONG deadline_after(std::chrono::milliseconds timeout) {
  const auto ms = timeout.count() < 0 ? 0 : static_cast<unsigned long long>(timeout.count());
  const ULONGLONG now = GetTickCount64();
  return ms > ~0ULL - now ? ~0ULL : now + ms;
}

// Whether the process `pid` runs as `sid`. False when it cannot be told (the process is gone, say).
bool runs_as(ULONG pid, const std::wstring &sid) {
  UniqueHandle process(OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid));
  if (!process.valid()) return false;
  const auto owner = process_user_sid(process.get());
  return owner && *owner == sid;
}

// One overlapped operation at a time on one handle, with its own manual-reset event.
class Overlapped {
 public:
  Overlapped() : event_(CreateEventW(nullptr, TRUE, FALSE, nullptr)) {}
  bool valid() const { return event_.valid(); }

  enum class Outcome { done, failed, timed_out, stopped };

  // Finishes an operation started by a call that returned `started`: waits for it, for `stop` (may be
  // nullptr) or for `timeout_ms`. A stopped or timed-out operation is cancelled and its end awaited, so
  // the OVERLAPPED and the buffer may be reused or freed on return. `error` is set for Outcome::failed.
  Outcome finish(HANDLE h, BOOL started, HANDLE stop, DWORD timeout_ms, DWORD &bytes, DWORD &error) {
    bytes = 0;
    error = 0;
    if (!started) {
      error = GetLastError();
      if (error != ERROR_IO_PENDING) return Outcome::failed;
      error = 0;
      const HANDLE waits[2] = {event_.get(), stop};
      const DWORD w = WaitForMultipleObjects(stop != nullptr ? 2 : 1, waits, FALSE, timeout_ms);
      if (w != WAIT_OBJECT_0) {
        CancelIoEx(h, &ov_);
        GetOverlappedResult(h, &ov_, &bytes, TRUE);
        return w == WAIT_OBJECT_0 + 1 ? Outcome::stopped : Outcome::timed_out;
      }
    }
    if (!GetOverlappedResult(h, &ov_, &bytes, FALSE)) {
      error = GetLastError();
      return Outcome::failed;
    }
    return Outcome::done;
  }

  // A fresh OVERLAPPED for the next call.
  OVERLAPPED *next() {
    ResetEvent(event_.get());
    ov_ = OVERLAPPED{};
    ov_.hEvent = event_.get();
    return &ov_;
  }

 private:
  UniqueHandle event_;
  OVERLAPPED ov_{};
};

enum class Read { line, closed, timed_out, stopped, too_long };

// Reads until a newline, the end of the stream, `max` bytes, the deadline or `stop`.
Read read_line(HANDLE h, Overlapped &o, HANDLE stop, std::string &out, std::size_t max, ULONGLONG deadline) {
  char buf[1024];
  for (;;) {
    if (!out.empty() && out.back() == '\n') return Read::line;
    if (out.size() > max) return Read::too_long;
    DWORD bytes = 0, error = 0;
    const BOOL started = ReadFile(h, buf, sizeof buf, nullptr, o.next());
    switch (o.finish(h, started, stop, left_until(deadline), bytes, error)) {
      case Overlapped::Outcome::done: out.append(buf, bytes); break;
      case Overlapped::Outcome::failed:
        if (error == ERROR_MORE_DATA) {
          out.append(buf, bytes);
          break;
        }
        secure_wipe(buf, sizeof buf);
        return Read::closed;  // ERROR_BROKEN_PIPE: the other side closed; anything else ends it too
      case Overlapped::Outcome::timed_out: secure_wipe(buf, sizeof buf); return Read::timed_out;
      case Overlapped::Outcome::stopped: secure_wipe(buf, sizeof buf); return Read::stopped;
    }
    secure_wipe(buf, sizeof buf);
  }
}

bool write_all(HANDLE h, Overlapped &o, HANDLE stop, std::string_view data, ULONGLONG deadline) {
  while (!data.empty()) {
    DWORD bytes = 0, error = 0;
    const auto chunk = static_cast<DWORD>(data.size() < kPipeBuffer ? data.size() : kPipeBuffer);
    const BOOL started = WriteFile(h, data.data(), chunk, nullptr, o.next());
    if (o.finish(h, started, stop, left_until(deadline), bytes, error) != Overlapped::Outcome::done || bytes == 0)
      return false;
    data.remove_prefix(bytes);
  }
  return true;
}

class PipeEndpoint final : public platform::RedirectEndpoint {
 public:
  PipeEndpoint(UniqueHandle pipe, UniqueHandle stop, std::wstring sid, platform::RedirectHandler handler)
      : pipe_(std::move(pipe)), stop_(std::move(stop)), sid_(std::move(sid)), handler_(std::move(handler)) {
    thread_ = std::thread([this] { run(); });
  }
  ~PipeEndpoint() override {
    SetEvent(stop_.get());
    thread_.join();
    // pipe_ is closed after this body: the name disappears with its only instance, and a sender still
    // connected sees ERROR_BROKEN_PIPE.
  }
  PipeEndpoint(const PipeEndpoint &) = delete;
  PipeEndpoint &operator=(const PipeEndpoint &) = delete;

 private:
  bool stopping() const { return WaitForSingleObject(stop_.get(), 0) == WAIT_OBJECT_0; }

  void run() {
    Overlapped o;
    if (!o.valid()) return;
    const HANDLE pipe = pipe_.get();
    while (!stopping()) {
      DWORD bytes = 0, error = 0;
      const BOOL started = ConnectNamedPipe(pipe, o.next());
      const bool already = !started && GetLastError() == ERROR_PIPE_CONNECTED;  // connected before the call
      if (!already) {
        const auto outcome = o.finish(pipe, started, stop_.get(), INFINITE, bytes, error);
        if (outcome == Overlapped::Outcome::stopped) return;
        if (outcome != Overlapped::Outcome::done) {
          // ERROR_NO_DATA: the sender came and went already. Start over; after an unexpected error, wait a
          // little (or for the stop) so a broken pipe cannot spin this thread.
          DisconnectNamedPipe(pipe);
          if (error != ERROR_NO_DATA && WaitForSingleObject(stop_.get(), 100) == WAIT_OBJECT_0) return;
          continue;
        }
      }
      serve(pipe, o);
      DisconnectNamedPipe(pipe);
    }
  }

  void serve(HANDLE pipe, Overlapped &o) {
    // The DACL admits only this user; the process check is the same rule enforced a second time (and
    // the only one where a DACL is not enforced, as under wine).
    ULONG pid = 0;
    if (!GetNamedPipeClientProcessId(pipe, &pid) || !runs_as(pid, sid_)) return;
    const ULONGLONG deadline = GetTickCount64() + kPeerTimeoutMs;
    std::string url;
    const Read got = read_line(pipe, o, stop_.get(), url, kMaxUrl, deadline);
    if (got == Read::stopped) return;
    std::string answer;
    if (got != Read::line || url.size() <= 1) {
      answer = relay_wire::error_line(ErrorCode::invalid_redirect,
                                      "the forwarded redirect was too long, empty or incomplete");
    } else {
      url.pop_back();
      answer = relay_wire::answer(handler_, url);
    }
    secure_wipe(url.data(), url.size());
    if (!write_all(pipe, o, stop_.get(), answer, GetTickCount64() + kPeerTimeoutMs)) return;
    // DisconnectNamedPipe throws away what the sender has not read yet: wait for it to read the answer and
    // close its end (the read ends with ERROR_BROKEN_PIPE), within the peer timeout.
    const ULONGLONG until = GetTickCount64() + kPeerTimeoutMs;
    for (std::string rest; read_line(pipe, o, stop_.get(), rest, 0, until) == Read::too_long;) rest.clear();
  }

  UniqueHandle pipe_;
  UniqueHandle stop_;
  std::wstring sid_;
  platform::RedirectHandler handler_;
  std::thread thread_;
};

class NamedPipeRelay final : public platform::RedirectRelay {
 public:
  Result<std::unique_ptr<platform::RedirectEndpoint>> listen(const platform::SlotKey &slot,
                                                             platform::RedirectHandler handler) override {
    try {
      const auto sid = process_user_sid();
      if (!sid) {
        return relay_error(ErrorCode::listener_failed,
                           "cannot read this process's user SID: " + system_message(GetLastError()));
      }
      OwnerOnlySecurity security(*sid);
      if (security.attributes() == nullptr) {
        return relay_error(ErrorCode::listener_failed,
                           "cannot build the redirect pipe's security descriptor: " + system_message(security.error()));
      }
      const std::wstring name = pipe_name(*sid, slot);
      UniqueHandle pipe(CreateNamedPipeW(name.c_str(),
                                         PIPE_ACCESS_DUPLEX | FILE_FLAG_FIRST_PIPE_INSTANCE | FILE_FLAG_OVERLAPPED,
                                         PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT | PIPE_REJECT_REMOTE_CLIENTS,
                                         1, kPipeBuffer, kPipeBuffer, 0, security.attributes()));
      if (!pipe.valid()) {
        const DWORD err = GetLastError();
        if (err == ERROR_ACCESS_DENIED || err == ERROR_PIPE_BUSY) {
          return relay_error(ErrorCode::listener_failed, "another process is already waiting for a redirect for " +
                                                             describe(slot) +
                                                             "; finish or cancel that sign-in first (pipe " +
                                                             narrow(name) + ": " + system_message(err) + ")");
        }
        return relay_error(ErrorCode::listener_failed,
                           "cannot create the redirect pipe " + narrow(name) + ": " + system_message(err));
      }
      UniqueHandle stop(CreateEventW(nullptr, TRUE, FALSE, nullptr));
      if (!stop.valid()) {
        return relay_error(ErrorCode::listener_failed, "cannot create an event: " + system_message(GetLastError()));
      }
      return std::unique_ptr<platform::RedirectEndpoint>(
          std::make_unique<PipeEndpoint>(std::move(pipe), std::move(stop), *sid, std::move(handler)));
    } catch (const std::exception &e) {
      return relay_error(ErrorCode::internal, std::string("cannot listen for a forwarded redirect: ") + e.what());
    }
  }

  Result<void> forward(const platform::SlotKey &slot, std::string_view url,
                       std::chrono::milliseconds timeout) override {
    try {
      return send(slot, url, deadline_after(timeout));
    } catch (const std::exception &e) {
      return relay_error(ErrorCode::internal, std::string("cannot forward the redirect: ") + e.what());
    }
  }

 private:
  static Result<void> send(const platform::SlotKey &slot, std::string_view url, ULONGLONG deadline) {
    if (url.find('\n') != std::string_view::npos || url.size() > kMaxUrl) {
      return relay_error(ErrorCode::invalid_redirect, "the redirect URL is too long or has a line break");
    }
    const auto nobody = [&] {
      return relay_error(ErrorCode::no_pending_sign_in,
                         "no sign-in is waiting for a redirect for " + describe(slot) +
                             " (it finished, timed out or was cancelled, or none was started)");
    };
    const auto busy = [&] {
      return relay_error(ErrorCode::timeout,
                         "the waiting sign-in for " + describe(slot) + " stayed busy with another forwarded redirect");
    };
    const auto sid = process_user_sid();
    if (!sid)
      return relay_error(ErrorCode::internal, "cannot read this process's user SID: " + system_message(GetLastError()));
    const std::wstring name = pipe_name(*sid, slot);

    UniqueHandle pipe;
    for (;;) {
      // SECURITY_IDENTIFICATION: the listener may learn who we are, never act as us.
      pipe = UniqueHandle(CreateFileW(name.c_str(), GENERIC_READ | GENERIC_WRITE, 0, nullptr, OPEN_EXISTING,
                                      FILE_FLAG_OVERLAPPED | SECURITY_SQOS_PRESENT | SECURITY_IDENTIFICATION, nullptr));
      if (pipe.valid()) break;
      const DWORD err = GetLastError();
      if (err == ERROR_FILE_NOT_FOUND) return nobody();
      if (err != ERROR_PIPE_BUSY) {
        return relay_error(ErrorCode::no_pending_sign_in,
                           "cannot reach the waiting sign-in at " + narrow(name) + ": " + system_message(err));
      }
      // Busy serving another sender. WaitNamedPipeW(0) would mean "the default wait": never pass 0.
      const DWORD left = left_until(deadline);
      if (left == 0) return busy();
      if (!WaitNamedPipeW(name.c_str(), left)) {
        const DWORD wait_err = GetLastError();
        if (wait_err == ERROR_FILE_NOT_FOUND) return nobody();
        if (wait_err == ERROR_SEM_TIMEOUT) return busy();
      }
    }
    ULONG pid = 0;
    if (!GetNamedPipeServerProcessId(pipe.get(), &pid) || !runs_as(pid, *sid)) {
      return relay_error(ErrorCode::invalid_configuration,
                         "the redirect pipe " + narrow(name) + " belongs to another user; nothing was sent");
    }
    Overlapped o;
    if (!o.valid())
      return relay_error(ErrorCode::internal, "cannot create an event: " + system_message(GetLastError()));
    std::string line(url);
    line += '\n';
    const bool sent = write_all(pipe.get(), o, nullptr, line, deadline);
    secure_wipe(line.data(), line.size());
    std::string reply;
    const Read got = sent ? read_line(pipe.get(), o, nullptr, reply, 4096, deadline) : Read::timed_out;
    if (got == Read::timed_out) {
      return relay_error(ErrorCode::timeout, "the waiting sign-in did not answer the forwarded redirect");
    }
    return relay_wire::read_answer(reply);
  }
};

}  // namespace

std::shared_ptr<platform::RedirectRelay> make_redirect_relay() { return std::make_shared<NamedPipeRelay>(); }

std::wstring redirect_pipe_name(const platform::SlotKey &slot) {
  try {
    const auto sid = process_user_sid();
    return sid ? pipe_name(*sid, slot) : std::wstring();
  } catch (const std::exception &) {
    return {};
  }
}

}  // namespace nativeauth::windows
