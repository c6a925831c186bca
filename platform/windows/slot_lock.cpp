// SPDX-License-Identifier: Apache-2.0
// make_slot_lock_factory() on Windows: one refresh or sign-out at a time per slot, across threads and
// processes, with one named mutex per slot.
//
// The name: Global\nativeauth-slot-<user SID>-<16 hex of FNV-1a 64 of issuer '\0' client_id '\0' profile>.
// Global\, not Local\ (one namespace per session): the credential store is per user, not per session, so a
// refresh in one session (a scheduled task, a second remote desktop) must exclude one in another, for the
// reason the POSIX locks avoid $XDG_RUNTIME_DIR. Creating a mutex there needs no privilege (only file
// mappings and symbolic links in Global\ do). The SID keeps users apart. The mutex is created with a
// protected DACL that grants only the user; one that already exists must be owned by the user, else it
// was planted by someone else and is refused (storage_unavailable) rather than trusted.
//
// Why a mutex, and why it is held by a thread of its own. Only a mutex is freed by Windows when its
// holder dies (the next waiter gets WAIT_ABANDONED, which counts as acquired: that is the point). A
// semaphore of count 1 has no owner: a holder that crashes keeps the slot locked until every process
// that has it open exits, and with a long-lived app that is forever. But a mutex belongs to a thread:
// only that thread may release it, and it is recursive for that thread, so two acquisitions on one
// thread would not exclude each other and a lock destroyed on another thread could not be released. So
// every acquisition starts a small holder thread that waits for the mutex (with the timeout), reports
// the outcome, and keeps the mutex until the lock is destroyed, then releases it and ends. A SlotLock can
// therefore be destroyed on any thread; two acquisitions, from two threads or from one, are two owners
// and exclude each other; and when the process dies, its holder threads die with it and the mutex is
// abandoned, which frees it. The cost is one thread per lock held, for the length of a refresh.
//
// Waiting is WaitForSingleObject with the timeout: no polling, and waiters are woken by the release.
#include "windows/slot_lock.hpp"

#include "util/quote.hpp"
#include "windows/win32.hpp"

// clang-format off: needs <windows.h> first
#include <aclapi.h>
// clang-format on

#include <exception>
#include <future>
#include <new>
#include <string>
#include <thread>
#include <utility>

namespace nativeauth::windows {
namespace {

using platform::SlotKey;
using std::chrono::milliseconds;

std::wstring mutex_name(const std::wstring &sid, const SlotKey &key) {
  return L"Global\\nativeauth-slot-" + sid + L"-" + *widen(slot_hash(key));  // hex: always valid UTF-8
}

// A slot component inside a one-line message: quoted, control characters shown as \xNN.
using util::quoted;

Error unavailable(std::string message) {
  return make_error(ErrorCode::storage_unavailable, "slot lock: " + std::move(message));
}

// The owner of a kernel object as a string SID; nullopt when it cannot be read.
std::optional<std::wstring> owner_of(HANDLE object) {
  PSID owner = nullptr;
  PSECURITY_DESCRIPTOR sd = nullptr;
  if (GetSecurityInfo(object, SE_KERNEL_OBJECT, OWNER_SECURITY_INFORMATION, &owner, nullptr, nullptr, nullptr, &sd) !=
      ERROR_SUCCESS)
    return std::nullopt;
  std::unique_ptr<void, HLOCAL (*)(HLOCAL)> owned(sd, &LocalFree);
  wchar_t *text = nullptr;
  if (owner == nullptr || !ConvertSidToStringSidW(owner, &text)) return std::nullopt;
  std::unique_ptr<wchar_t, HLOCAL (*)(HLOCAL)> owned_text(text, &LocalFree);
  return std::wstring(text);
}

class MutexSlotLock final : public platform::SlotLock {
 public:
  MutexSlotLock(UniqueHandle release, std::thread holder) : release_(std::move(release)), holder_(std::move(holder)) {}
  ~MutexSlotLock() override {
    SetEvent(release_.get());
    holder_.join();
  }
  MutexSlotLock(const MutexSlotLock &) = delete;
  MutexSlotLock &operator=(const MutexSlotLock &) = delete;

 private:
  UniqueHandle release_;
  std::thread holder_;
};

// What the holder thread reports: WaitForSingleObject's result, and GetLastError() for WAIT_FAILED.
struct Outcome {
  DWORD wait = WAIT_FAILED;
  DWORD error = 0;
};

// The holder thread: takes the mutex within `timeout_ms`, reports, and keeps it until `release` is set.
// It owns the mutex handle, so the handle is closed by the thread that released the mutex.
void hold(UniqueHandle mutex, HANDLE release, DWORD timeout_ms, std::promise<Outcome> report) {
  Outcome outcome;
  outcome.wait = WaitForSingleObject(mutex.get(), timeout_ms);
  if (outcome.wait == WAIT_FAILED) outcome.error = GetLastError();
  const bool held = outcome.wait == WAIT_OBJECT_0 || outcome.wait == WAIT_ABANDONED;
  report.set_value(outcome);
  if (!held) return;
  WaitForSingleObject(release, INFINITE);
  ReleaseMutex(mutex.get());
}

class MutexSlotLockFactory final : public platform::SlotLockFactory {
 public:
  Result<std::unique_ptr<platform::SlotLock>> acquire(const SlotKey &key, milliseconds timeout) override {
    try {
      return take(key, timeout);
    } catch (const std::bad_alloc &) {
      return unavailable("out of memory");
    } catch (const std::exception &e) {
      return unavailable(std::string("cannot start the lock's holder thread: ") + e.what());
    }
  }

 private:
  static Result<std::unique_ptr<platform::SlotLock>> take(const SlotKey &key, milliseconds timeout) {
    const auto sid = process_user_sid();
    if (!sid) return unavailable("cannot read this process's user SID: " + system_message(GetLastError()));
    const std::wstring name = mutex_name(*sid, key);
    OwnerOnlySecurity security(*sid);
    if (security.attributes() == nullptr) {
      return unavailable("cannot build the lock's security descriptor: " + system_message(security.error()));
    }
    UniqueHandle mutex(CreateMutexW(security.attributes(), FALSE, name.c_str()));
    const DWORD created = GetLastError();
    if (!mutex.valid()) {
      if (created == ERROR_ACCESS_DENIED) {
        return unavailable("the lock " + narrow(name) +
                           " exists but this user may not open it: another user's program created it; "
                           "sign-ins of this session cannot be refreshed until it is closed (" +
                           system_message(created) + ")");
      }
      return unavailable("cannot create the lock " + narrow(name) + ": " + system_message(created));
    }
    if (created == ERROR_ALREADY_EXISTS) {
      const auto owner = owner_of(mutex.get());
      if (!owner || *owner != *sid) {
        return unavailable("the lock " + narrow(name) + " was created by " +
                           (owner ? narrow(*owner) : std::string("an unknown owner")) +
                           ", not by this user; it is not trusted");
      }
    }

    const DWORD timeout_ms = timeout.count() <= 0 ? 0
                             : timeout.count() >= static_cast<long long>(INFINITE - 1)
                                 ? (timeout == milliseconds::max() ? INFINITE : INFINITE - 1)
                                 : static_cast<DWORD>(timeout.count());
    UniqueHandle release(CreateEventW(nullptr, TRUE, FALSE, nullptr));
    if (!release.valid()) return unavailable("cannot create an event: " + system_message(GetLastError()));
    std::promise<Outcome> report;
    auto reported = report.get_future();
    std::thread holder(hold, std::move(mutex), release.get(), timeout_ms, std::move(report));
    const Outcome outcome = reported.get();
    if (outcome.wait == WAIT_OBJECT_0 || outcome.wait == WAIT_ABANDONED) {
      // WAIT_ABANDONED: the previous holder died holding the slot. Windows freed it for us; whatever that
      // holder wrote is protected by the credential store's own format (a torn save keeps the old record).
      return std::unique_ptr<platform::SlotLock>(new MutexSlotLock(std::move(release), std::move(holder)));
    }
    holder.join();
    if (outcome.wait == WAIT_TIMEOUT) {
      Error e = make_error(ErrorCode::slot_busy,
                           "slot lock: gave up after " + std::to_string(timeout.count()) +
                               " ms waiting for the session of client " + quoted(key.client_id) + ", profile " +
                               quoted(key.profile) + " at " + quoted(key.issuer) +
                               ": another nativeauth process is refreshing or signing out this session; try again");
      e.transient = true;
      return e;
    }
    return unavailable("cannot wait for the lock " + narrow(name) + ": " + system_message(outcome.error));
  }
};

}  // namespace

std::shared_ptr<platform::SlotLockFactory> make_slot_lock_factory() { return std::make_shared<MutexSlotLockFactory>(); }

std::wstring slot_mutex_name(const SlotKey &key) {
  try {
    const auto sid = process_user_sid();
    return sid ? mutex_name(*sid, key) : std::wstring();
  } catch (const std::exception &) {
    return {};
  }
}

}  // namespace nativeauth::windows
