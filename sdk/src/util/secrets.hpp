// SPDX-License-Identifier: Apache-2.0
// Handling secrets in memory the SDK does not own through SecretString: wiping a std::string's whole
// buffer or any bytes (one implementation underneath: nativeauth::secure_wipe, secret.hpp), and comparing
// two secrets in time that does not depend on where they differ. Header-only; shared by every layer.
// Not here: SecretString itself (sdk/include/nativeauth/secret.hpp), random bytes (crypto/crypto.hpp).
#pragma once

#include <nativeauth/secret.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace nativeauth::util {

/// Overwrites the whole capacity of `s` (a shorter value may sit in a buffer that once held a longer
/// one), then empties it. The buffer is kept, so this never allocates or throws.
inline void wipe(std::string &s) noexcept {
  secure_wipe(s.data(), s.capacity());
  s.clear();
}

/// Wipes a string on every way out of a scope, exceptions included.
class WipeOnExit {
 public:
  explicit WipeOnExit(std::string &s) noexcept : s_(s) {}
  WipeOnExit(const WipeOnExit &) = delete;
  WipeOnExit &operator=(const WipeOnExit &) = delete;
  ~WipeOnExit() { wipe(s_); }

 private:
  std::string &s_;
};

/// Makes room for at least `need` bytes in `s` without leaving a copy of its contents behind: when the
/// buffer must grow, the contents move to a new one and the old one is wiped before it is freed.
inline void reserve_wiping(std::string &s, std::size_t need) {
  if (need <= s.capacity()) return;
  std::string bigger;
  bigger.reserve(need > 2 * s.capacity() ? need : 2 * s.capacity());
  bigger.append(s);
  wipe(s);
  s.swap(bigger);
}

/// Overwrites `size` bytes at `data` so that the compiler cannot drop it as a dead store.
inline void wipe(void *data, std::size_t size) noexcept { secure_wipe(data, size); }

/// Compares in time that depends only on the lengths (RFC 6749 §10.12 for `state`). The length is not
/// secret (the format fixes it); the contents are. Volatile reads and an OR of every difference leave
/// no early exit for the compiler to reintroduce: OpenSSL's CRYPTO_memcmp construction, needing no
/// library, so it can never fail.
inline bool constant_time_equal(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  const volatile unsigned char *pa = reinterpret_cast<const volatile unsigned char *>(a.data());
  const volatile unsigned char *pb = reinterpret_cast<const volatile unsigned char *>(b.data());
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff = static_cast<unsigned char>(diff | (pa[i] ^ pb[i]));
  return diff == 0;
}

}  // namespace nativeauth::util
