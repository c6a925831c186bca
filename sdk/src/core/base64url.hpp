// SPDX-License-Identifier: Apache-2.0
// base64url without padding (RFC 4648 §5), as JOSE (RFC 7515 §2) and PKCE (RFC 7636 §3) use it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace nativeauth::core {

std::string base64url_encode(const std::uint8_t *data, std::size_t size);
std::string base64url_encode(std::string_view bytes);

/// Decodes unpadded base64url; nullopt on any character outside the alphabet, on padding, on an
/// impossible length, or on non-zero trailing bits (so every input has one decoding).
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace nativeauth::core
