// SPDX-License-Identifier: Apache-2.0
// The kernel key retention service through add_key(2) and keyctl(2) (keyrings(7), keyctl(2)). A key is
// added with the kernel's default permissions, then narrowed to possessor + user and given its timeout;
// until both calls succeed it is invalidated again, so no key outlives a failed put() with wider
// permissions or without an end. Keys are found by KEYCTL_SEARCH in the chosen keyring (only that
// keyring and the keyrings linked into it), read with KEYCTL_READ into a buffer that is wiped, and
// dropped with KEYCTL_INVALIDATE, which removes them at once from every keyring.
#include "linux/kernel_keyring.hpp"

#include "util/secrets.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <vector>

#include <linux/keyctl.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace nativeauth::kernel_keyring {
namespace {

using KeySerial = std::int32_t;

// Possessor: everything; user: view, read, write, search, setattr (a process of the user that does not
// possess the key, e.g. one whose session keyring does not link @u, still finds and reads it); group and
// other: nothing. The bits are keyrings(7)'s ("Permissions"); <linux/keyctl.h> does not define them.
constexpr std::uint32_t kView = 0x01, kRead = 0x02, kWrite = 0x04, kSearch = 0x08, kLink = 0x10, kSetattr = 0x20;
constexpr std::uint32_t kPossessorShift = 24, kUserShift = 16;
constexpr std::uint32_t kPermissions = ((kView | kRead | kWrite | kSearch | kLink | kSetattr) << kPossessorShift) |
                                       ((kView | kRead | kWrite | kSearch | kSetattr) << kUserShift);

// Payloads nativeauth writes are well below the kernel's limit for user keys (32767 bytes).
constexpr std::size_t kMaxPayload = 32767;

long keyctl_call(int operation, unsigned long a2 = 0, unsigned long a3 = 0, unsigned long a4 = 0,
                 unsigned long a5 = 0) {
  return ::syscall(SYS_keyctl, operation, a2, a3, a4, a5);
}

KeySerial ring_id(Ring ring) { return ring == Ring::session ? KEY_SPEC_SESSION_KEYRING : KEY_SPEC_USER_KEYRING; }

Error failure(const char *what, int err) {
  std::string message = std::string("the kernel keyring: ") + what + " failed: " + std::strerror(err);
  if (err == ENOSYS) message += " (this kernel has no key retention service)";
  if (err == EDQUOT) message += " (the user's key quota is full: see /proc/key-users and `keyctl show @u`)";
  if (err == EPERM || err == EACCES) message += " (not permitted here, e.g. by a container's seccomp profile)";
  return make_error(ErrorCode::storage_unavailable, std::move(message));
}

/// The key's serial, 0 when the keyring has no such key.
Result<KeySerial> find(Ring ring, const std::string &description) {
  const long id = keyctl_call(KEYCTL_SEARCH, static_cast<unsigned long>(ring_id(ring)),
                              reinterpret_cast<unsigned long>("user"),
                              reinterpret_cast<unsigned long>(description.c_str()), 0);
  if (id >= 0) return static_cast<KeySerial>(id);
  // ENOKEY: none; EKEYEXPIRED / EKEYREVOKED: one that is gone in all but name. ENOSYS / EPERM: no key
  // retention service here (an old kernel, a container's seccomp profile): no key can have been added.
  if (errno == ENOKEY || errno == EKEYEXPIRED || errno == EKEYREVOKED || errno == ENOSYS || errno == EPERM) {
    return KeySerial{0};
  }
  return failure("searching for a key", errno);
}

}  // namespace

Ring ring_from_environment() {
  const char *v = std::getenv("NATIVEAUTH_KEYRING");
  return v && std::string_view(v) == "session" ? Ring::session : Ring::user;
}

std::optional<Error> ring_setting_error() {
  const char *v = std::getenv("NATIVEAUTH_KEYRING");
  if (!v || std::string_view(v).empty() || std::string_view(v) == "user" || std::string_view(v) == "session") {
    return std::nullopt;
  }
  return make_error(ErrorCode::invalid_configuration,
                    "NATIVEAUTH_KEYRING must be 'user' or 'session', not '" + std::string(v) + "'");
}

Result<void> put(Ring ring, const std::string &description, const SecretString &payload, std::chrono::seconds timeout) {
  const std::string_view bytes = payload.reveal();
  if (bytes.size() > kMaxPayload) {
    return make_error(ErrorCode::invalid_argument, "the kernel keyring: a payload over 32767 bytes");
  }
  const long id = ::syscall(SYS_add_key, "user", description.c_str(), bytes.data(), bytes.size(), ring_id(ring));
  if (id < 0) return failure("adding a key", errno);
  const auto seconds = static_cast<unsigned long>(timeout.count() < 1 ? 1 : timeout.count());
  if (keyctl_call(KEYCTL_SETPERM, static_cast<unsigned long>(id), kPermissions) < 0 ||
      keyctl_call(KEYCTL_SET_TIMEOUT, static_cast<unsigned long>(id), seconds) < 0) {
    const int err = errno;
    (void)keyctl_call(KEYCTL_INVALIDATE, static_cast<unsigned long>(id));
    return failure("setting a key's permissions and timeout", err);
  }
  return {};
}

Result<std::optional<SecretString>> get(Ring ring, const std::string &description) {
  auto id = find(ring, description);
  if (!id) return std::move(id).error();
  if (*id == 0) return std::optional<SecretString>();
  std::string buffer(kMaxPayload + 1, '\0');
  util::WipeOnExit wiped_on_exit(buffer);
  const long n = keyctl_call(KEYCTL_READ, static_cast<unsigned long>(*id), reinterpret_cast<unsigned long>(&buffer[0]),
                             buffer.size());
  if (n < 0) {
    if (errno == ENOKEY || errno == EKEYEXPIRED || errno == EKEYREVOKED) return std::optional<SecretString>();
    return failure("reading a key", errno);
  }
  if (static_cast<std::size_t>(n) > kMaxPayload) {
    return make_error(ErrorCode::storage_unavailable, "the kernel keyring: a key larger than nativeauth writes");
  }
  return std::optional<SecretString>(SecretString(std::string(buffer.data(), static_cast<std::size_t>(n))));
}

Result<void> remove(Ring ring, const std::string &description) {
  auto id = find(ring, description);
  if (!id) return std::move(id).error();
  if (*id == 0) return {};
  if (keyctl_call(KEYCTL_INVALIDATE, static_cast<unsigned long>(*id)) < 0 && errno != ENOKEY && errno != EKEYEXPIRED &&
      errno != EKEYREVOKED) {
    return failure("invalidating a key", errno);
  }
  return {};
}

Result<int> remove_matching(Ring ring, const std::string &prefix) {
  std::vector<KeySerial> ids(512);
  const long n = keyctl_call(KEYCTL_READ, static_cast<unsigned long>(ring_id(ring)),
                             reinterpret_cast<unsigned long>(ids.data()), ids.size() * sizeof(KeySerial));
  if (n < 0) {
    if (errno == ENOSYS || errno == EPERM || errno == ENOKEY) return 0;
    return failure("listing a keyring", errno);
  }
  ids.resize(std::min(ids.size(), static_cast<std::size_t>(n) / sizeof(KeySerial)));
  int removed = 0;
  for (const KeySerial id : ids) {
    char buf[4200] = {};  // "type;uid;gid;perm;" + a description of up to 4095 bytes
    const long len = keyctl_call(KEYCTL_DESCRIBE, static_cast<unsigned long>(id), reinterpret_cast<unsigned long>(buf),
                                 sizeof buf);
    if (len <= 0 || static_cast<std::size_t>(len) > sizeof buf) continue;  // gone meanwhile, or not ours to see
    // "type;uid;gid;perm;description": the description follows the fourth ';'.
    const std::string_view described(buf);
    std::size_t from = 0;
    for (int field = 0; field < 4 && from != std::string_view::npos; ++field) {
      const std::size_t semicolon = described.find(';', from);
      from = semicolon == std::string_view::npos ? semicolon : semicolon + 1;
    }
    if (from == std::string_view::npos || described.rfind("user;", 0) != 0) continue;
    if (described.substr(from).rfind(prefix, 0) != 0) continue;
    if (keyctl_call(KEYCTL_INVALIDATE, static_cast<unsigned long>(id)) == 0) ++removed;
  }
  return removed;
}

}  // namespace nativeauth::kernel_keyring
