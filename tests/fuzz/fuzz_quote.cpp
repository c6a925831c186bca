// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for util::escape_untrusted and util::quoted, the one function between untrusted text
// (a provider's error_description, an iss, a kid, a claim) and a person's terminal or log. Byte 0 picks
// the options: bit 0 escape_quotes, bits 1-7 a byte limit (0: none). The rest is the text.
// Besides crashes and sanitizer reports, the harness aborts when the output breaks its promise: a C0
// control, DEL, a C1 control, a bidi control or a line/paragraph separator left in it; output that is not
// well-formed UTF-8; a bare quote or backslash when quotes are escaped; more shown than the limit allows.
#include "util/quote.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

[[noreturn]] void fail(const char *what) {
  std::fprintf(stderr, "fuzz_quote: %s\n", what);
  std::abort();
}

void require(bool ok, const char *what) {
  if (!ok) fail(what);
}

/// Decodes `s` strictly (RFC 3629) and checks every character; aborts on anything unsafe.
void require_harmless(const std::string &s, bool quotes_escaped) {
  using nativeauth::util::detail::is_unsafe_code_point;
  using nativeauth::util::detail::utf8_code_point;
  using nativeauth::util::detail::utf8_sequence;
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      require(c >= 0x20 && c != 0x7F, "a C0 control or DEL passed");
      if (quotes_escaped && c == '"') fail("a bare quote passed");
      if (quotes_escaped && c == '\\') {
        // Only as the start of an escape this function writes: \xNN or \uNNNN.
        require(i + 1 < s.size() && (s[i + 1] == 'x' || s[i + 1] == 'u'), "a bare backslash passed");
      }
      ++i;
      continue;
    }
    const std::size_t len = utf8_sequence(s, i);
    require(len != 0, "the output is not well-formed UTF-8");
    require(!is_unsafe_code_point(utf8_code_point(s, i, len)), "a C1, bidi or separator character passed");
    i += len;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  if (size < 1) return 0;
  const bool escape_quotes = (data[0] & 1) != 0;
  const std::size_t limit = data[0] >> 1;
  const std::string text(reinterpret_cast<const char *>(data) + 1, size - 1);
  const std::size_t max_bytes = limit == 0 ? std::string::npos : limit;

  const std::string shown = nativeauth::util::escape_untrusted(text, escape_quotes, max_bytes);
  require_harmless(shown, escape_quotes);
  // Each input byte becomes at most 4 output bytes (\xNN; \uNNNN stands for 2 or 3 bytes), plus "...".
  const std::size_t considered = text.size() < max_bytes ? text.size() : max_bytes;
  require(shown.size() <= considered * 4 + 3, "the output grew more than an escape can explain");
  if (text.size() <= max_bytes) {
    require(shown == nativeauth::util::escape_untrusted(text, escape_quotes), "cut although within the limit");
  }

  const std::string quoted = nativeauth::util::quoted(text, max_bytes);
  require(quoted.size() >= 2 && quoted.front() == '"' && quoted.back() == '"', "quoted() lost its quotes");
  require_harmless(quoted.substr(1, quoted.size() - 2), true);
  return 0;
}
