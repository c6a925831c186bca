// SPDX-License-Identifier: Apache-2.0
// Tests the Windows slot locks against real named mutexes (under wine on Linux): exclusion between
// threads, within one thread, and between processes (this exe started again as a child that holds a
// slot); the bounded timeout; release on another thread; a killed holder freeing the slot; the name and
// the security descriptor.
//   slot_lock_test.exe                         runs the tests
//   slot_lock_test.exe --hold <issuer> <ms>    (the child) holds the slot, prints "held", waits <ms>
//                                              (-1: until killed), then releases and exits
#include <nativeauth/error.hpp>

#include "check.hpp"
#include "windows/slot_lock.hpp"

// clang-format off: needs <windows.h> first
#include <aclapi.h>
#include <sddl.h>
// clang-format on

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

using nativeauth::ErrorCode;
using nativeauth::platform::SlotKey;
using nativeauth::platform::SlotLock;
using namespace std::chrono_literals;

namespace {

std::string g_run;
const auto locks = nativeauth::windows::make_slot_lock_factory();

SlotKey slot(const std::string &issuer_suffix, const std::string &profile = "default") {
  SlotKey k;
  k.issuer = "https://issuer.example/" + g_run + issuer_suffix;
  k.client_id = "app";
  k.profile = profile;
  return k;
}

std::unique_ptr<SlotLock> take(const SlotKey &k, std::chrono::milliseconds timeout) {
  auto got = locks->acquire(k, timeout);
  if (!got) {
    if (got.error().code != ErrorCode::slot_busy)
      std::printf("    acquire failed: %s\n", got.error().to_string().c_str());
    return nullptr;
  }
  return std::move(*got);
}

ULONGLONG ms_since(ULONGLONG start) { return GetTickCount64() - start; }

void acquire_release_acquire() {
  auto a = take(slot("/basic"), 1s);
  CHECK(a != nullptr);
  a.reset();
  const ULONGLONG start = GetTickCount64();
  auto b = take(slot("/basic"), 0ms);  // free again at once, even with no time to wait
  CHECK(b != nullptr);
  CHECK(ms_since(start) < 200);
}

void timeout_is_bounded_and_transient() {
  auto held = take(slot("/timeout"), 1s);
  CHECK(held != nullptr);
  std::atomic<bool> done{false};
  std::thread other([&] {
    ULONGLONG start = GetTickCount64();
    auto got = locks->acquire(slot("/timeout"), 300ms);
    ULONGLONG took = ms_since(start);
    std::printf("    timed out after %llu ms\n", took);
    CHECK(!got && got.error().code == ErrorCode::slot_busy && got.error().transient);
    CHECK(!got && got.error().message.find("300 ms") != std::string::npos);
    CHECK(took >= 250 && took < 1500);
    start = GetTickCount64();
    auto zero = locks->acquire(slot("/timeout"), 0ms);
    CHECK(!zero && zero.error().code == ErrorCode::slot_busy);
    CHECK(ms_since(start) < 200);
    done = true;
  });
  other.join();
  CHECK(done);
}

void two_threads_exclude_each_other() {
  const SlotKey k = slot("/threads");
  std::atomic<int> inside{0}, overlaps{0}, entered{0}, failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 15; ++i) {
        auto lock = take(k, 10s);
        if (!lock) {
          ++failures;
          continue;
        }
        if (++inside != 1) ++overlaps;
        ++entered;
        std::this_thread::sleep_for(2ms);
        --inside;
      }
    });
  for (auto &t : threads) t.join();
  CHECK(failures == 0);
  CHECK(overlaps == 0);
  CHECK(entered == 60);
}

void waiter_gets_the_slot_when_the_holder_releases() {
  auto held = take(slot("/handover"), 1s);
  CHECK(held != nullptr);
  std::atomic<ULONGLONG> got_at{0};
  std::thread waiter([&] {
    auto lock = take(slot("/handover"), 10s);
    CHECK(lock != nullptr);
    got_at = GetTickCount64();
  });
  std::this_thread::sleep_for(200ms);
  CHECK(got_at == 0);  // still waiting
  const ULONGLONG released = GetTickCount64();
  held.reset();
  waiter.join();
  CHECK(got_at >= released && got_at - released < 500);  // woken by the release, not by polling
}

void same_thread_twice_excludes() {
  // A Win32 mutex is recursive for its owner thread; the lock must not be.
  auto first = take(slot("/recursive"), 1s);
  CHECK(first != nullptr);
  auto second = locks->acquire(slot("/recursive"), 100ms);
  CHECK(!second && second.error().code == ErrorCode::slot_busy);
}

void release_on_another_thread() {
  std::unique_ptr<SlotLock> lock = take(slot("/handoff"), 1s);
  CHECK(lock != nullptr);
  std::thread([&] { lock.reset(); }).join();  // destroyed on a thread that did not acquire it
  auto again = take(slot("/handoff"), 0ms);
  CHECK(again != nullptr);
}

void different_slots_do_not_block_each_other() {
  auto a = take(slot("/slots", "a"), 1s);
  auto b = take(slot("/slots", "b"), 0ms);
  auto c = take(slot("/slots-other", "a"), 0ms);
  CHECK(a != nullptr && b != nullptr && c != nullptr);
}

// ---- a child process that holds a slot ---------------------------------------------------------------

struct Child {
  PROCESS_INFORMATION pi{};
  HANDLE out = nullptr;  // the child's stdout
  bool ok = false;
};

Child start_holder(const std::string &issuer_suffix, int hold_ms) {
  Child child;
  SECURITY_ATTRIBUTES inherit{sizeof(SECURITY_ATTRIBUTES), nullptr, TRUE};
  HANDLE read_end = nullptr, write_end = nullptr;
  if (!CreatePipe(&read_end, &write_end, &inherit, 0)) return child;
  SetHandleInformation(read_end, HANDLE_FLAG_INHERIT, 0);
  wchar_t self[MAX_PATH];
  GetModuleFileNameW(nullptr, self, MAX_PATH);
  std::wstring line = L"\"" + std::wstring(self) + L"\" --hold " +
                      std::wstring(issuer_suffix.begin(), issuer_suffix.end()) + L" " + std::to_wstring(hold_ms);
  STARTUPINFOW si{};
  si.cb = sizeof si;
  si.dwFlags = STARTF_USESTDHANDLES;
  si.hStdOutput = write_end;
  si.hStdError = write_end;
  si.hStdInput = GetStdHandle(STD_INPUT_HANDLE);
  child.ok = CreateProcessW(self, line.data(), nullptr, nullptr, TRUE, 0, nullptr, nullptr, &si, &child.pi) != 0;
  CloseHandle(write_end);
  child.out = read_end;
  return child;
}

// Reads the child's output until it says "held" (true) or ends (false).
bool wait_until_held(Child &child) {
  std::string got;
  char buf[64];
  DWORD n = 0;
  while (got.find("held") == std::string::npos && ReadFile(child.out, buf, sizeof buf, &n, nullptr) && n > 0)
    got.append(buf, n);
  if (got.find("held") == std::string::npos) std::printf("    the child said: %s\n", got.c_str());
  return got.find("held") != std::string::npos;
}

void close_child(Child &child) {
  if (child.out != nullptr) CloseHandle(child.out);
  if (child.pi.hProcess != nullptr) CloseHandle(child.pi.hProcess);
  if (child.pi.hThread != nullptr) CloseHandle(child.pi.hThread);
}

void another_process_excludes_and_hands_over() {
  Child child = start_holder("/process", 400);
  CHECK(child.ok);
  if (!child.ok) return;
  CHECK(wait_until_held(child));
  auto refused = locks->acquire(slot("/process"), 100ms);
  CHECK(!refused && refused.error().code == ErrorCode::slot_busy);
  const ULONGLONG start = GetTickCount64();
  auto lock = take(slot("/process"), 10s);  // the child releases after 400 ms and exits
  CHECK(lock != nullptr);
  std::printf("    got it from the child after %llu ms\n", ms_since(start));
  CHECK(ms_since(start) < 5000);
  WaitForSingleObject(child.pi.hProcess, 5000);
  DWORD code = 1;
  GetExitCodeProcess(child.pi.hProcess, &code);
  CHECK(code == 0);
  close_child(child);
}

void killed_holder_frees_the_slot() {
  Child child = start_holder("/killed", -1);
  CHECK(child.ok);
  if (!child.ok) return;
  CHECK(wait_until_held(child));
  auto refused = locks->acquire(slot("/killed"), 200ms);
  CHECK(!refused && refused.error().code == ErrorCode::slot_busy);
  CHECK(TerminateProcess(child.pi.hProcess, 9));
  const ULONGLONG start = GetTickCount64();
  auto lock = take(slot("/killed"), 10s);  // abandoned, so acquired
  CHECK(lock != nullptr);
  std::printf("    the killed holder's slot was free after %llu ms\n", ms_since(start));
  CHECK(ms_since(start) < 5000);
  WaitForSingleObject(child.pi.hProcess, 5000);
  close_child(child);
}

// ---- the name and the security descriptor ------------------------------------------------------------

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

void mutex_name_and_security() {
  SlotKey k;
  k.issuer = "https://issuer.example";
  k.client_id = "app";
  k.profile = "default";
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const unsigned char c : std::string("https://issuer.example\0app\0default", 34)) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  std::wstring expected = L"Global\\nativeauth-slot-" + my_sid() + L"-";
  for (const char *p = hex; *p != 0; ++p) expected += static_cast<wchar_t>(*p);
  CHECK(nativeauth::windows::slot_mutex_name(k) == expected);

  auto held = take(slot("/named"), 1s);
  HANDLE m = OpenMutexW(SYNCHRONIZE | READ_CONTROL, FALSE,
                        nativeauth::windows::slot_mutex_name(slot("/named")).c_str());
  CHECK(m != nullptr);
  if (m == nullptr) return;
  CHECK(WaitForSingleObject(m, 0) == WAIT_TIMEOUT);  // really held, by another thread
  PSECURITY_DESCRIPTOR sd = nullptr;
  PACL dacl = nullptr;
  if (GetSecurityInfo(m, SE_KERNEL_OBJECT, OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION, nullptr, nullptr,
                      &dacl, nullptr, &sd) == ERROR_SUCCESS) {
    wchar_t *text = nullptr;
    ConvertSecurityDescriptorToStringSecurityDescriptorW(sd, SDDL_REVISION_1,
                                                         OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION, &text,
                                                         nullptr);
    const std::wstring sddl = text != nullptr ? text : L"";
    std::printf("    the mutex's security descriptor: %ls\n", sddl.c_str());
    CHECK(sddl == L"O:" + my_sid() + L"D:P(A;;GA;;;" + my_sid() + L")" ||
          sddl == L"O:" + my_sid() + L"D:P(A;;0x1f0001;;;" + my_sid() + L")");  // GA as mapped for a mutex
    LocalFree(text);
    LocalFree(sd);
  } else {
    CHECK(!"GetSecurityInfo on the mutex failed");
  }
  CloseHandle(m);
}

void planted_mutex_of_another_owner_is_refused() {
  // A mutex someone else created first under our name, here made with another owner: refused, not trusted.
  // Only an owner the creator may assign works: the well-known "Everyone" is not one, so try the
  // Administrators group, which a normal token cannot set either; skip when the plant cannot be made.
  const std::wstring name = nativeauth::windows::slot_mutex_name(slot("/planted"));
  PSECURITY_DESCRIPTOR sd = nullptr;
  ConvertStringSecurityDescriptorToSecurityDescriptorW(L"O:BAD:(A;;GA;;;WD)", SDDL_REVISION_1, &sd, nullptr);
  SECURITY_ATTRIBUTES sa{sizeof sa, sd, FALSE};
  HANDLE planted = CreateMutexW(&sa, FALSE, name.c_str());
  if (sd != nullptr) LocalFree(sd);
  if (planted == nullptr) {
    wintest::g_skip_reason = "cannot create a mutex owned by another SID here (error " +
                             std::to_string(GetLastError()) + ")";
    return;
  }
  auto got = locks->acquire(slot("/planted"), 100ms);
  if (got) {
    wintest::g_skip_reason = "the planted mutex's owner is this user anyway (the owner in the SDDL was not applied)";
  } else {
    std::printf("    %s\n", got.error().message.c_str());
    CHECK(got.error().code == ErrorCode::storage_unavailable);
  }
  CloseHandle(planted);
}

// The child: hold the slot, say so, wait, release, exit 0.
int hold(const std::string &issuer_suffix, int ms) {
  auto lock = take(slot(issuer_suffix), 5s);
  if (!lock) return 3;
  std::printf("held\n");
  std::fflush(stdout);
  Sleep(ms < 0 ? INFINITE : static_cast<DWORD>(ms));
  lock.reset();
  return 0;
}

}  // namespace

int main(int argc, char **argv) {
  if (argc == 4 && std::strcmp(argv[1], "--hold") == 0) {
    g_run = std::getenv("NATIVEAUTH_TEST_RUN") != nullptr ? std::getenv("NATIVEAUTH_TEST_RUN") : "";
    return hold(argv[2], std::atoi(argv[3]));
  }
  g_run = std::to_string(GetCurrentProcessId()) + "-" + std::to_string(GetTickCount64());
  SetEnvironmentVariableA("NATIVEAUTH_TEST_RUN", g_run.c_str());  // the child's slots are this run's
  return wintest::run_all({
      {"acquire_release_acquire", acquire_release_acquire},
      {"timeout_is_bounded_and_transient", timeout_is_bounded_and_transient},
      {"two_threads_exclude_each_other", two_threads_exclude_each_other},
      {"waiter_gets_the_slot_when_the_holder_releases", waiter_gets_the_slot_when_the_holder_releases},
      {"same_thread_twice_excludes", same_thread_twice_excludes},
      {"release_on_another_thread", release_on_another_thread},
      {"different_slots_do_not_block_each_other", different_slots_do_not_block_each_other},
      {"another_process_excludes_and_hands_over", another_process_excludes_and_hands_over},
      {"killed_holder_frees_the_slot", killed_holder_frees_the_slot},
      {"mutex_name_and_security", mutex_name_and_security},
      {"planted_mutex_of_another_owner_is_refused", planted_mutex_of_another_owner_is_refused},
  });
}
