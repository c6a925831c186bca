// SPDX-License-Identifier: Apache-2.0
// The stable hash that names a slot's files, locks, sockets and pipes on every platform. Header-only.
// Not here: anything cryptographic (crypto/crypto.hpp).
#pragma once

#include "util/hex.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace nativeauth::util {

/// FNV-1a, 64 bit (draft-eastlake-fnv §2): defined byte by byte, so a name made from it does not depend
/// on the compiler, the standard library, the machine or the OS. Not cryptographic; used only for names.
constexpr std::uint64_t fnv1a64(std::string_view s, std::uint64_t h = 0xcbf29ce484222325ULL) noexcept {
  for (const char ch : s) {
    h ^= static_cast<unsigned char>(ch);
    h *= 0x100000001b3ULL;
  }
  return h;
}

/// FNV-1a 64 over issuer '\0' client_id '\0' profile: one slot, one number, on every platform.
constexpr std::uint64_t slot_hash(std::string_view issuer, std::string_view client_id,
                                  std::string_view profile) noexcept {
  constexpr std::string_view nul("\0", 1);
  return fnv1a64(profile, fnv1a64(nul, fnv1a64(client_id, fnv1a64(nul, fnv1a64(issuer)))));
}

/// slot_hash() as 16 lower-case hex digits.
inline std::string slot_hash_hex(std::string_view issuer, std::string_view client_id, std::string_view profile) {
  return hex16(slot_hash(issuer, client_id, profile));
}

}  // namespace nativeauth::util
