// SPDX-License-Identifier: Apache-2.0
// SecretString: wiped on destruction and move, never printed.
#include <nativeauth/secret.hpp>

#include "crypto/crypto.hpp"

#include <ostream>

namespace nativeauth {

void secure_wipe(void *data, std::size_t size) noexcept {
  if (data != nullptr && size > 0) crypto::cleanse(data, size);
}

namespace {
void wipe_string(std::string &s) noexcept {
  // Wipe the whole capacity: a shorter value may sit in a buffer that once held a longer one.
  secure_wipe(s.data(), s.capacity());
  s.clear();
}
}  // namespace

SecretString::SecretString(SecretString &&other) noexcept : value_(std::move(other.value_)) {
  wipe_string(other.value_);
}

SecretString &SecretString::operator=(SecretString &&other) noexcept {
  if (this != &other) {
    wipe_string(value_);
    value_ = std::move(other.value_);
    wipe_string(other.value_);
  }
  return *this;
}

SecretString::~SecretString() { wipe_string(value_); }

void SecretString::clear() noexcept { wipe_string(value_); }

bool operator==(const SecretString &a, const SecretString &b) noexcept {
  return crypto::constant_time_equal(a.value_, b.value_);
}

std::ostream &operator<<(std::ostream &os, const SecretString &s) {
  return os << (s.empty() ? "[empty]" : "[redacted]");
}

}  // namespace nativeauth
