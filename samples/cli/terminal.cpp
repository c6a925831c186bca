// SPDX-License-Identifier: Apache-2.0
// The terminal gate (terminal.hpp): a stream buffer in front of std::cout's and std::cerr's that escapes
// each line before it passes. Whole lines, so a UTF-8 character split across two writes is still seen whole.
#include "terminal.hpp"

#include "console.hpp"

#include "util/quote.hpp"
#include "util/secrets.hpp"

#include <cstdlib>
#include <iostream>
#include <streambuf>
#include <string>
#include <string_view>

namespace cli {
namespace {

/// How many bytes at the end of `s` begin a UTF-8 character that is not complete yet (0 to 3).
std::size_t incomplete_tail(std::string_view s) {
  for (std::size_t back = 1; back <= 3 && back <= s.size(); ++back) {
    const auto c = static_cast<unsigned char>(s[s.size() - back]);
    if ((c & 0xC0) == 0x80) continue;  // a continuation byte: look further back for its lead
    const std::size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    return len > back ? back : 0;
  }
  return 0;
}

class EscapingBuffer final : public std::streambuf {
 public:
  explicit EscapingBuffer(std::streambuf *raw) : raw_(raw) { pending_.reserve(1024); }

  std::streambuf *raw() const { return raw_; }

  /// Passes what is pending (escaped) on to the terminal; with `keep_partial`, the start of a UTF-8
  /// character whose other bytes have not been written yet stays pending (std::cerr flushes after every
  /// insertion, which may split one).
  int flush_pending(bool keep_partial = false) {
    const std::size_t held = keep_partial ? incomplete_tail(pending_) : 0;
    if (pending_.size() == held) return 0;
    // What passes may be a token (`token`, `git-credential`, `kubectl-credential`): every copy made here
    // is wiped, and so are the bytes the erase leaves behind.
    std::string shown = nativeauth::util::escape_untrusted(std::string_view(pending_).substr(0,
                                                                                             pending_.size() - held));
    pending_.erase(0, pending_.size() - held);
    nativeauth::util::wipe(pending_.data() + pending_.size(), pending_.capacity() - pending_.size());
    const bool written = raw_->sputn(shown.data(), static_cast<std::streamsize>(shown.size())) ==
                         static_cast<std::streamsize>(shown.size());
    nativeauth::util::wipe(shown);
    return written ? 0 : -1;
  }

 protected:
  int_type overflow(int_type c) override {
    if (traits_type::eq_int_type(c, traits_type::eof())) return traits_type::not_eof(c);
    put(traits_type::to_char_type(c));
    return c;
  }

  std::streamsize xsputn(const char *s, std::streamsize n) override {
    for (std::streamsize i = 0; i < n; ++i) {
      if (put(s[i]) != 0) return i;
    }
    return n;
  }

  int sync() override {
    if (flush_pending(/*keep_partial=*/true) != 0) return -1;
    return raw_->pubsync();
  }

 private:
  int put(char c) {
    if (c != '\n') {
      if (pending_.size() == pending_.capacity()) grow();
      pending_ += c;
      return 0;
    }
    if (flush_pending() != 0) return -1;
    return raw_->sputc('\n') == '\n' ? 0 : -1;
  }

  /// Doubles the pending buffer by hand, so the old one is wiped rather than freed with its bytes in it.
  void grow() {
    std::string bigger;
    bigger.reserve(2 * pending_.capacity() + 1);
    bigger.assign(pending_);
    nativeauth::util::wipe(pending_);
    pending_.swap(bigger);
  }

  std::streambuf *raw_;
  std::string pending_;
};

EscapingBuffer *g_out = nullptr;
EscapingBuffer *g_err = nullptr;

}  // namespace

void guard_terminal_output() {
  if (g_out) return;
  // Never freed: the streams use them until the process ends (static destructors included).
  g_out = new EscapingBuffer(std::cout.rdbuf());
  g_err = new EscapingBuffer(std::cerr.rdbuf());
  std::cout.rdbuf(g_out);
  std::cerr.rdbuf(g_err);
}

bool colours_allowed(bool is_terminal, const char *no_color, const char *term) {
  if (!is_terminal) return false;
  if (no_color && *no_color) return false;
  return !(term && std::string_view(term) == "dumb");
}

bool colours_allowed(int fd) {
  return colours_allowed(console::is_terminal(fd), std::getenv("NO_COLOR"), std::getenv("TERM"));
}

void write_trusted(std::ostream &stream, std::string_view text) {
  EscapingBuffer *gate = stream.rdbuf() == g_out ? g_out : stream.rdbuf() == g_err ? g_err : nullptr;
  if (!gate) {
    stream << text;
    return;
  }
  gate->flush_pending();
  gate->raw()->sputn(text.data(), static_cast<std::streamsize>(text.size()));
}

}  // namespace cli
