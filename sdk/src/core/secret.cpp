// SPDX-License-Identifier: Apache-2.0
// SecretString: wiped on destruction and move, never printed.
#include <nativeauth/secret.hpp>

#include "util/secrets.hpp"

#include <cstring>
#include <ostream>

namespace nativeauth {

// Portable on purpose (no OpenSSL): platform code built without the rest of the SDK (the Windows store
// under mingw) uses SecretString too. On GCC/Clang a plain memset followed by a compiler barrier that
// "uses" the buffer cannot be elided (glibc's explicit_bzero is built the same way) and runs at memset
// speed: a byte loop was a third of access_token()'s fast path (docs/performance.md).
void secure_wipe(void *data, std::size_t size) noexcept {
  if (data == nullptr || size == 0) return;
#if defined(__GNUC__) || defined(__clang__)
  std::memset(data, 0, size);
  __asm__ __volatile__("" : : "r"(data) : "memory");
#else
  volatile unsigned char *p = static_cast<volatile unsigned char *>(data);
  for (std::size_t i = 0; i < size; ++i) p[i] = 0;
#endif
}

namespace {
// A short value lives inside the std::string object (the small-string buffer); moving it copies the
// bytes and leaves them behind in the source, which must then be wiped. A longer value moves its heap
// buffer and leaves nothing behind (libstdc++ move assignment may hand the source the destination's
// old buffer instead, which operator= has wiped first). Tokens are longer than the small buffer, so the
// moves a token makes on access_token()'s fast path skip a wipe each.
bool stored_inline(const std::string &s) noexcept { return s.capacity() <= std::string().capacity(); }
}  // namespace

SecretString::SecretString(SecretString &&other) noexcept {
  const bool left_behind = stored_inline(other.value_);
  value_ = std::move(other.value_);
  if (left_behind) util::wipe(other.value_);
  other.value_.clear();
}

SecretString &SecretString::operator=(SecretString &&other) noexcept {
  if (this != &other) {
    util::wipe(value_);
    const bool left_behind = stored_inline(other.value_);
    value_ = std::move(other.value_);
    if (left_behind) util::wipe(other.value_);
    other.value_.clear();
  }
  return *this;
}

SecretString::~SecretString() { util::wipe(value_); }

void SecretString::clear() noexcept { util::wipe(value_); }

bool operator==(const SecretString &a, const SecretString &b) noexcept {
  // Constant time in the contents; lengths of secrets are not secret here.
  if (a.value_.size() != b.value_.size()) return false;
  volatile unsigned char diff = 0;
  for (std::size_t i = 0; i < a.value_.size(); ++i)
    diff = static_cast<unsigned char>(diff | (static_cast<unsigned char>(a.value_[i]) ^
                                              static_cast<unsigned char>(b.value_[i])));
  return diff == 0;
}

std::ostream &operator<<(std::ostream &os, const SecretString &s) {
  return os << (s.empty() ? "[empty]" : "[redacted]");
}

}  // namespace nativeauth
