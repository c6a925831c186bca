// SPDX-License-Identifier: Apache-2.0
// Tests the Windows redirect relay against real named pipes (under wine on Linux): delivery and the
// verdict's way back, refusals, one listener per slot, no listener, a listener that goes away, a busy
// listener, a stuck sender, the pipe's name and its security descriptor.
#include <nativeauth/error.hpp>

#include "check.hpp"
#include "windows/redirect_relay.hpp"

// clang-format off: needs <windows.h> first
#include <aclapi.h>
#include <sddl.h>
// clang-format on

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using nativeauth::ErrorCode;
using nativeauth::Result;
using nativeauth::platform::RedirectEndpoint;
using nativeauth::platform::SlotKey;
using namespace std::chrono_literals;

namespace {

std::string g_run;
const auto relay = nativeauth::windows::make_redirect_relay();

SlotKey slot(const std::string &profile) {
  SlotKey k;
  k.issuer = "https://issuer.example/" + g_run;
  k.client_id = "app";
  k.profile = profile;
  return k;
}

// A handler that records what it got and answers with `verdict`.
struct Recorder {
  std::mutex m;
  std::vector<std::string> urls;
  Result<void> verdict;
  std::chrono::milliseconds delay{0};
  nativeauth::platform::RedirectHandler handler() {
    return [this](std::string_view url) -> Result<void> {
      if (delay.count() > 0) std::this_thread::sleep_for(delay);
      std::lock_guard<std::mutex> lock(m);
      urls.emplace_back(url);
      return verdict;
    };
  }
  std::size_t count() {
    std::lock_guard<std::mutex> lock(m);
    return urls.size();
  }
};

std::unique_ptr<RedirectEndpoint> listen(const SlotKey &k, Recorder &r) {
  auto ep = relay->listen(k, r.handler());
  if (!ep) {
    std::printf("    listen failed: %s\n", ep.error().to_string().c_str());
    return nullptr;
  }
  return std::move(*ep);
}

ErrorCode code_of(const Result<void> &r) { return r ? ErrorCode::ok : r.error().code; }

ULONGLONG ms_since(ULONGLONG start) { return GetTickCount64() - start; }

// A raw client of the slot's pipe, as a sender that misbehaves would be.
HANDLE raw_connect(const SlotKey &k) {
  const std::wstring name = nativeauth::windows::redirect_pipe_name(k);
  for (int attempt = 0; attempt < 50; ++attempt) {
    HANDLE h = CreateFileW(name.c_str(), GENERIC_READ | GENERIC_WRITE, 0, nullptr, OPEN_EXISTING, 0, nullptr);
    if (h != INVALID_HANDLE_VALUE || GetLastError() != ERROR_PIPE_BUSY) return h;
    WaitNamedPipeW(name.c_str(), 5000);  // still busy with the previous sender
  }
  return INVALID_HANDLE_VALUE;
}

// Reads the answer line, as forward() does (the listener waits for the sender to close after it).
std::string raw_read_line(HANDLE h) {
  std::string out;
  char c = 0;
  DWORD n = 0;
  while ((out.empty() || out.back() != '\n') && ReadFile(h, &c, 1, &n, nullptr) && n == 1) out += c;
  return out;
}

void deliver_and_verdict_round_trip() {
  Recorder r;
  auto ep = listen(slot("deliver"), r);
  CHECK(ep != nullptr);
  const std::string url = "com.example.app:/callback?code=abc&state=xyz";
  CHECK(relay->forward(slot("deliver"), url, 5s).has_value());
  // The one instance is reconnected after each exchange: a second and a third sender get through too.
  const std::string long_url = "com.example.app:/callback?code=" + std::string(15000, 'c') + "&state=s";
  CHECK(relay->forward(slot("deliver"), long_url, 5s).has_value());
  CHECK(relay->forward(slot("deliver"), url + "#3", 5s).has_value());
  std::lock_guard<std::mutex> lock(r.m);
  CHECK(r.urls.size() == 3);
  CHECK(r.urls.size() == 3 && r.urls[0] == url && r.urls[1] == long_url && r.urls[2] == url + "#3");
}

void refusal_carries_the_code_and_message() {
  Recorder r;
  r.verdict = nativeauth::make_error(ErrorCode::invalid_redirect, "state does not match\nany sign-in");
  auto ep = listen(slot("refuse"), r);
  auto got = relay->forward(slot("refuse"), "com.example.app:/callback?state=wrong", 5s);
  CHECK(code_of(got) == ErrorCode::invalid_redirect);
  CHECK(!got && got.error().message.find("state does not match any sign-in") != std::string::npos);

  r.verdict = nativeauth::make_error(ErrorCode::no_pending_sign_in, "already finished");
  CHECK(code_of(relay->forward(slot("refuse"), "com.example.app:/x", 5s)) == ErrorCode::no_pending_sign_in);
}

void handler_that_throws_answers_internal() {
  auto ep = relay->listen(slot("throws"), [](std::string_view) -> Result<void> { throw std::runtime_error("boom"); });
  CHECK(ep.has_value());
  CHECK(code_of(relay->forward(slot("throws"), "com.example.app:/x", 5s)) == ErrorCode::internal);
  CHECK(code_of(relay->forward(slot("throws"), "com.example.app:/x", 5s)) == ErrorCode::internal);  // still serving
}

void second_listener_for_a_slot_is_refused() {
  Recorder r1, r2;
  auto first = listen(slot("second"), r1);
  CHECK(first != nullptr);
  auto second = relay->listen(slot("second"), r2.handler());
  CHECK(!second && second.error().code == ErrorCode::listener_failed);
  CHECK(!second && second.error().message.find("another process is already waiting") != std::string::npos);
  if (!second) std::printf("    %s\n", second.error().message.c_str());
  // The refusal did not disturb the first listener.
  CHECK(relay->forward(slot("second"), "com.example.app:/a", 5s).has_value());
  CHECK(r1.count() == 1 && r2.count() == 0);
  // Once the first is gone, the slot is free again.
  first.reset();
  auto third = listen(slot("second"), r2);
  CHECK(third != nullptr);
  CHECK(relay->forward(slot("second"), "com.example.app:/b", 5s).has_value());
  CHECK(r2.count() == 1);
}

void nobody_listening_is_no_pending_sign_in() {
  const ULONGLONG start = GetTickCount64();
  auto got = relay->forward(slot("nobody"), "com.example.app:/x", 5s);
  CHECK(code_of(got) == ErrorCode::no_pending_sign_in);
  CHECK(ms_since(start) < 1000);  // no waiting for a pipe that does not exist
}

void destroyed_endpoint_makes_forward_fail_cleanly() {
  Recorder r;
  auto ep = listen(slot("gone"), r);
  CHECK(relay->forward(slot("gone"), "com.example.app:/1", 5s).has_value());
  ep.reset();
  CHECK(code_of(relay->forward(slot("gone"), "com.example.app:/2", 5s)) == ErrorCode::no_pending_sign_in);
  CHECK(r.count() == 1);
}

void destruction_is_prompt_with_a_stuck_sender() {
  // A sender that connects and never writes: the listener waits for its line (3 s at most), but the
  // destructor must not wait for that.
  Recorder r;
  auto ep = listen(slot("stuck"), r);
  HANDLE h = raw_connect(slot("stuck"));
  CHECK(h != INVALID_HANDLE_VALUE);
  std::this_thread::sleep_for(100ms);  // let the listener take the connection and start reading
  const ULONGLONG start = GetTickCount64();
  ep.reset();
  const ULONGLONG took = ms_since(start);
  std::printf("    destructor took %llu ms\n", took);
  CHECK(took < 1000);
  if (h != INVALID_HANDLE_VALUE) {
    char c = 0;
    DWORD n = 0;
    CHECK(!ReadFile(h, &c, 1, &n, nullptr));  // the pipe went away under the stuck sender
    CloseHandle(h);
  }
  CHECK(r.count() == 0);
}

void destruction_is_prompt_when_idle() {
  Recorder r;
  auto ep = listen(slot("idle"), r);
  std::this_thread::sleep_for(50ms);
  const ULONGLONG start = GetTickCount64();
  ep.reset();
  CHECK(ms_since(start) < 500);
}

void bad_lines_are_answered_and_the_listener_goes_on() {
  Recorder r;
  auto ep = listen(slot("bad"), r);
  // An empty line.
  HANDLE h = raw_connect(slot("bad"));
  CHECK(h != INVALID_HANDLE_VALUE);
  DWORD n = 0;
  CHECK(WriteFile(h, "\n", 1, &n, nullptr));
  CHECK(raw_read_line(h).rfind("error " + std::to_string(static_cast<int>(ErrorCode::invalid_redirect)) + " ", 0) == 0);
  CloseHandle(h);
  // A sender that writes half a line and goes away.
  h = raw_connect(slot("bad"));
  CHECK(h != INVALID_HANDLE_VALUE);
  CHECK(WriteFile(h, "com.example.app:/half", 21, &n, nullptr));
  CloseHandle(h);
  // A line over the 16 KiB limit.
  h = raw_connect(slot("bad"));
  const std::string huge(20000, 'x');
  CHECK(WriteFile(h, huge.data(), static_cast<DWORD>(huge.size()), &n, nullptr));
  CHECK(raw_read_line(h).rfind("error " + std::to_string(static_cast<int>(ErrorCode::invalid_redirect)) + " ", 0) == 0);
  CloseHandle(h);
  CHECK(r.count() == 0);
  CHECK(relay->forward(slot("bad"), "com.example.app:/good", 5s).has_value());
  CHECK(r.count() == 1);
}

void url_with_a_line_break_or_too_long_is_refused() {
  Recorder r;
  auto ep = listen(slot("newline"), r);
  CHECK(code_of(relay->forward(slot("newline"), "com.example.app:/a\nb", 5s)) == ErrorCode::invalid_redirect);
  CHECK(code_of(relay->forward(slot("newline"), std::string(16 * 1024 + 1, 'u'), 5s)) == ErrorCode::invalid_redirect);
  CHECK(r.count() == 0);  // nothing was sent
}

void busy_listener_makes_the_next_sender_wait() {
  Recorder r;
  r.delay = 300ms;
  auto ep = listen(slot("busy"), r);
  std::atomic<int> ok{0};
  std::vector<std::thread> senders;
  for (int i = 0; i < 3; ++i)
    senders.emplace_back([&, i] {
      if (relay->forward(slot("busy"), "com.example.app:/" + std::to_string(i), 10s)) ++ok;
    });
  for (auto &t : senders) t.join();
  CHECK(ok == 3);
  CHECK(r.count() == 3);
}

void slow_listener_gives_timeout() {
  Recorder r;
  r.delay = 1500ms;
  auto ep = listen(slot("slow"), r);
  ULONGLONG start = GetTickCount64();
  CHECK(code_of(relay->forward(slot("slow"), "com.example.app:/1", 300ms)) == ErrorCode::timeout);
  ULONGLONG took = ms_since(start);
  CHECK(took >= 250 && took < 1200);
  // While the handler still works on the first URL, the pipe is busy: a second sender times out waiting.
  start = GetTickCount64();
  CHECK(code_of(relay->forward(slot("slow"), "com.example.app:/2", 300ms)) == ErrorCode::timeout);
  took = ms_since(start);
  CHECK(took >= 250 && took < 1200);
}

void slots_are_separate() {
  Recorder a, b;
  auto ea = listen(slot("a"), a);
  auto eb = listen(slot("b"), b);
  CHECK(ea != nullptr && eb != nullptr);
  CHECK(relay->forward(slot("a"), "com.example.app:/for-a", 5s).has_value());
  CHECK(relay->forward(slot("b"), "com.example.app:/for-b", 5s).has_value());
  CHECK(a.count() == 1 && b.count() == 1);
  CHECK(a.urls.size() == 1 && a.urls[0] == "com.example.app:/for-a");
  CHECK(b.urls.size() == 1 && b.urls[0] == "com.example.app:/for-b");
}

std::uint64_t fnv1a64(const std::string &s) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

std::wstring my_sid() {
  HANDLE token = nullptr;
  OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token);
  DWORD size = 0;
  GetTokenInformation(token, TokenUser, nullptr, 0, &size);
  std::vector<unsigned char> buf(size);
  GetTokenInformation(token, TokenUser, buf.data(), size, &size);
  CloseHandle(token);
  wchar_t *text = nullptr;
  ConvertSidToStringSidW(reinterpret_cast<TOKEN_USER *>(buf.data())->User.Sid, &text);
  std::wstring out = text != nullptr ? text : L"";
  LocalFree(text);
  return out;
}

void pipe_name_is_the_documented_one() {
  SlotKey k;
  k.issuer = "https://issuer.example";
  k.client_id = "app";
  k.profile = "default";
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx",
                static_cast<unsigned long long>(fnv1a64(std::string("https://issuer.example\0app\0default", 34))));
  const std::wstring sid = my_sid();
  std::printf("    user SID under this run: %ls\n", sid.c_str());
  CHECK(sid.rfind(L"S-1-", 0) == 0);
  std::wstring expected = L"\\\\.\\pipe\\nativeauth-" + sid + L"-";
  for (const char *p = hex; *p != 0; ++p) expected += static_cast<wchar_t>(*p);
  CHECK(nativeauth::windows::redirect_pipe_name(k) == expected);
}

void pipe_grants_only_this_user() {
  Recorder r;
  auto ep = listen(slot("dacl"), r);
  HANDLE h = raw_connect(slot("dacl"));
  CHECK(h != INVALID_HANDLE_VALUE);
  if (h == INVALID_HANDLE_VALUE) return;
  PACL dacl = nullptr;
  PSID owner = nullptr;
  PSECURITY_DESCRIPTOR sd = nullptr;
  const DWORD rc = GetSecurityInfo(h, SE_KERNEL_OBJECT, DACL_SECURITY_INFORMATION | OWNER_SECURITY_INFORMATION, &owner,
                                   nullptr, &dacl, nullptr, &sd);
  if (rc != ERROR_SUCCESS || dacl == nullptr) {
    wintest::g_skip_reason = "GetSecurityInfo on a named pipe failed here (error " + std::to_string(rc) + ")";
  } else {
    wchar_t *text = nullptr;
    ConvertSecurityDescriptorToStringSecurityDescriptorW(sd, SDDL_REVISION_1,
                                                         OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION, &text,
                                                         nullptr);
    std::printf("    the pipe's security descriptor: %ls\n", text != nullptr ? text : L"(none)");
    const std::wstring sddl = text != nullptr ? text : L"";
    LocalFree(text);
    const std::wstring sid = my_sid();
    CHECK(sddl.find(L"D:P") != std::wstring::npos);  // protected: nothing inherited
    CHECK(dacl->AceCount == 1);
    ACCESS_ALLOWED_ACE *ace = nullptr;
    if (dacl->AceCount == 1 && GetAce(dacl, 0, reinterpret_cast<void **>(&ace))) {
      CHECK(ace->Header.AceType == ACCESS_ALLOWED_ACE_TYPE);
      wchar_t *ace_sid = nullptr;
      ConvertSidToStringSidW(reinterpret_cast<PSID>(&ace->SidStart), &ace_sid);
      CHECK(ace_sid != nullptr && sid == ace_sid);
      LocalFree(ace_sid);
    }
  }
  if (sd != nullptr) LocalFree(sd);
  CloseHandle(h);
}

}  // namespace

int main() {
  g_run = std::to_string(GetCurrentProcessId()) + "-" + std::to_string(GetTickCount64());
  return wintest::run_all({
      {"deliver_and_verdict_round_trip", deliver_and_verdict_round_trip},
      {"refusal_carries_the_code_and_message", refusal_carries_the_code_and_message},
      {"handler_that_throws_answers_internal", handler_that_throws_answers_internal},
      {"second_listener_for_a_slot_is_refused", second_listener_for_a_slot_is_refused},
      {"nobody_listening_is_no_pending_sign_in", nobody_listening_is_no_pending_sign_in},
      {"destroyed_endpoint_makes_forward_fail_cleanly", destroyed_endpoint_makes_forward_fail_cleanly},
      {"destruction_is_prompt_with_a_stuck_sender", destruction_is_prompt_with_a_stuck_sender},
      {"destruction_is_prompt_when_idle", destruction_is_prompt_when_idle},
      {"bad_lines_are_answered_and_the_listener_goes_on", bad_lines_are_answered_and_the_listener_goes_on},
      {"url_with_a_line_break_or_too_long_is_refused", url_with_a_line_break_or_too_long_is_refused},
      {"busy_listener_makes_the_next_sender_wait", busy_listener_makes_the_next_sender_wait},
      {"slow_listener_gives_timeout", slow_listener_gives_timeout},
      {"slots_are_separate", slots_are_separate},
      {"pipe_name_is_the_documented_one", pipe_name_is_the_documented_one},
      {"pipe_grants_only_this_user", pipe_grants_only_this_user},
  });
}
