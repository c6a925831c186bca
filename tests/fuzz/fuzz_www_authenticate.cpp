// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for what resource and authorization servers say about DPoP (RFC 9449 §8, §9): the
// WWW-Authenticate field value (RFC 9110 §11.6.1), the DPoP-Nonce header and the 400/401 answer that asks for
// a nonce. The input is split at its first NUL: the WWW-Authenticate value, then the nonce. Besides crashes
// and sanitizer reports, the harness aborts when a result breaks a promise: more than 16 challenges or 32
// parameters, a scheme or parameter name that is empty or not lower-case, a nonce remembered that is not
// 1*NQCHAR, or a nonce request recognised without a nonce.
#include "core/dpop.hpp"
#include "core/www_authenticate.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

void require(bool ok, const char *what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz_www_authenticate: %s\n", what);
    std::abort();
  }
}

bool lower_token(const std::string &s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c >= 'A' && c <= 'Z') return false;
    if (c <= 0x20 || c >= 0x7f || c == '"' || c == ',' || c == '=' || c == ';') return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  const std::string input(reinterpret_cast<const char *>(data), size);
  const auto nul = input.find('\0');
  const std::string header = input.substr(0, nul);
  const std::string nonce = nul == std::string::npos ? std::string() : input.substr(nul + 1);

  const auto challenges = nativeauth::core::parse_www_authenticate(header);
  require(challenges.size() <= 16, "more than 16 challenges");
  for (const auto &c : challenges) {
    require(lower_token(c.scheme), "a scheme that is empty or not a lower-case token");
    require(c.params.size() <= 32, "more than 32 parameters");
    require(c.params.empty() || c.token68.empty(), "both parameters and a token68");
    for (const auto &[name, value] : c.params) require(lower_token(name), "a parameter name that is not a token");
  }

  nativeauth::platform::HttpResponse response;
  response.status = 401;
  response.www_authenticate = header;
  response.dpop_nonce = nonce;
  const bool asks = nativeauth::core::asks_for_nonce(response);
  require(!asks || !nonce.empty(), "a nonce request recognised without a nonce");

  nativeauth::core::NonceBook book;
  book.remember("https://rs.example/api", response);
  const std::string kept = book.nonce_for("https://rs.example/other");
  require(kept.empty() || kept == nonce, "a nonce other than the one given");
  for (char c : kept) require(c >= 0x21 && c <= 0x7e && c != '"' && c != '\\', "a nonce outside NQCHAR kept");
  return 0;
}
