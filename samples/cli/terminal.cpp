// SPDX-License-Identifier: Apache-2.0
// The terminal gate (terminal.hpp): a stream buffer in front of std::cout's and std::cerr's that escapes
// each line before it passes. Whole lines, so a UTF-8 character split across two writes is still seen whole.
#include "terminal.hpp"

#include "util/quote.hpp"

#include <iostream>
#include <streambuf>
#include <string>

namespace cli {
namespace {

class EscapingBuffer final : public std::streambuf {
 public:
  explicit EscapingBuffer(std::streambuf *raw) : raw_(raw) {}

  std::streambuf *raw() const { return raw_; }

  /// Passes what is pending (escaped) on to the terminal.
  int flush_pending() {
    if (pending_.empty()) return 0;
    const std::string shown = nativeauth::util::escape_untrusted(pending_);
    pending_.clear();
    return raw_->sputn(shown.data(), static_cast<std::streamsize>(shown.size())) ==
                   static_cast<std::streamsize>(shown.size())
               ? 0
               : -1;
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
    if (flush_pending() != 0) return -1;
    return raw_->pubsync();
  }

 private:
  int put(char c) {
    if (c != '\n') {
      pending_ += c;
      return 0;
    }
    if (flush_pending() != 0) return -1;
    return raw_->sputc('\n') == '\n' ? 0 : -1;
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
