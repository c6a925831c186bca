// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for the pushed authorization response (RFC 9126 §2.2, §2.3), the provider's answer
// before the browser opens. Byte 0 picks the HTTP status: its low two bits 201, 200, 400 or 503; the rest
// is the body. Besides crashes and sanitizer reports, the harness aborts when a result breaks a promise of
// the SDK: success other than 201, an empty request_uri, a lifetime that is not positive, an error that
// holds the body, or a success whose URL for the browser carries more than client_id and request_uri.
#include "core/par.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

[[noreturn]] void fail(const char *what) {
  std::fprintf(stderr, "fuzz_par: %s\n", what);
  std::abort();
}

void require(bool ok, const char *what) {
  if (!ok) fail(what);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  if (size < 1) return 0;
  static constexpr int kStatus[] = {201, 200, 400, 503};
  const std::string body(reinterpret_cast<const char *>(data) + 1, size - 1);
  nativeauth::platform::HttpResponse response;
  response.status = kStatus[data[0] & 3];
  response.body = nativeauth::SecretString(body);
  auto parsed = nativeauth::core::parse_par_response(response);
  if (parsed) {
    require(response.status == 201, "accepted a status other than 201");
    require(!parsed->request_uri.empty(), "accepted an empty request_uri");
    require(parsed->expires_in > 0, "accepted an expires_in that is not positive");
    const std::string prefix = "https://i/auth?client_id=app&request_uri=";
    const std::string url = nativeauth::core::pushed_authorization_url("https://i/auth", "app", parsed->request_uri);
    require(url.rfind(prefix, 0) == 0, "the browser's URL has another shape");
    require(url.find_first_of("&#? ", prefix.size()) == std::string::npos, "the request_uri was not percent-encoded");
  } else {
    // An error never repeats the body (it may be anything), only the fields the server named. A body that
    // equals part of nativeauth's own wording is no leak: the same status with an empty body says it too.
    const auto &e = parsed.error();
    if (body.size() >= 24 && e.oauth_error.empty() && e.oauth_description.empty() &&
        e.message.find(body) != std::string::npos) {
      nativeauth::platform::HttpResponse empty;
      empty.status = response.status;
      const auto twin = nativeauth::core::parse_par_response(empty);
      require(!twin && twin.error().message.find(body) != std::string::npos, "the body leaked into an error message");
    }
  }
  return 0;
}
