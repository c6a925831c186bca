// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for the device authorization response (RFC 8628 §3.2), what the provider sends first
// in the device flow. Byte 0: its low bit picks HTTP 200 (0) or 400 (1); the rest is the body.
// Besides crashes and sanitizer reports, the harness aborts when a result breaks a promise of the SDK:
// an accepted response without a device code, user code or secure verification URI, a lifetime or
// interval out of range, or the device code in an error message.
#include "core/device_authorization.hpp"
#include "core/url.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

[[noreturn]] void fail(const char *what) {
  std::fprintf(stderr, "fuzz_device: %s\n", what);
  std::abort();
}

void require(bool ok, const char *what) {
  if (!ok) fail(what);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  if (size < 1) return 0;
  const std::string body(reinterpret_cast<const char *>(data) + 1, size - 1);
  nativeauth::platform::HttpResponse response;
  response.status = (data[0] & 1) != 0 ? 400 : 200;
  response.body = nativeauth::SecretString(body);
  auto parsed = nativeauth::core::parse_device_authorization(response);
  if (parsed) {
    require(response.status == 200, "accepted an error response");
    require(!parsed->device_code.empty(), "accepted without a device_code");
    require(!parsed->shown.user_code.empty(), "accepted without a user_code");
    require(nativeauth::core::require_secure_url(parsed->shown.verification_uri, "v").has_value(),
            "accepted an insecure verification_uri");
    if (parsed->shown.verification_uri_complete) {
      require(nativeauth::core::require_secure_url(*parsed->shown.verification_uri_complete, "v").has_value(),
              "accepted an insecure verification_uri_complete");
    }
    require(parsed->expires_in.count() > 0 && parsed->expires_in.count() <= 24 * 3600, "expires_in out of range");
    require(parsed->shown.interval.count() > 0 && parsed->shown.interval.count() <= 24 * 3600, "interval out of range");
  } else {
    const auto &e = parsed.error();
    // The device code is a secret: an error must not repeat it, whatever else the body held.
    const auto at = body.find("\"device_code\":\"");
    if (at != std::string::npos) {
      const auto start = at + 15;
      const auto end = body.find('"', start);
      if (end != std::string::npos && end - start >= 8) {
        const std::string code = body.substr(start, end - start);
        // A code that equals part of nativeauth's own fixed wording (e.g. " HTTP 400 without an") is not a
        // leak: parse the same body with the code replaced, and only flag text that changed with it.
        std::string other = body;
        other.replace(start, code.size(), std::string(code.size(), 'Z'));
        nativeauth::platform::HttpResponse again;
        again.status = response.status;
        again.body = nativeauth::SecretString(other);
        const auto reparsed = nativeauth::core::parse_device_authorization(again);
        const nativeauth::Error *twin = reparsed ? nullptr : &reparsed.error();
        const std::string *texts[] = {&e.message, &e.oauth_error, &e.oauth_description, &e.oauth_uri};
        const std::string *twin_texts[] = {twin ? &twin->message : nullptr, twin ? &twin->oauth_error : nullptr,
                                           twin ? &twin->oauth_description : nullptr,
                                           twin ? &twin->oauth_uri : nullptr};
        for (std::size_t i = 0; i < 4; ++i) {
          const bool has_code = texts[i]->find(code) != std::string::npos;
          const bool fixed = twin_texts[i] && twin_texts[i]->find(code) != std::string::npos;  // same field
          require(!has_code || fixed, "the device code leaked into an error");
        }
      }
    }
  }
  return 0;
}
