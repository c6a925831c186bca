// SPDX-License-Identifier: Apache-2.0
// Unit tests of the utility layer (sdk/src/util): strings, hex, slot hashes, wiping and comparing secrets,
// loading a shared library.

#include "util/hex.hpp"
#include "util/quote.hpp"
#include "util/secrets.hpp"
#include "util/shared_library.hpp"
#include "util/slot_hash.hpp"
#include "util/strings.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

namespace util = nativeauth::util;
using Words = std::vector<std::string>;

TEST(SplitSpaces, SplitsOnRunsOfAsciiWhiteSpace) {
  EXPECT_EQ(util::split_spaces("openid profile offline_access"), (Words{"openid", "profile", "offline_access"}));
  EXPECT_EQ(util::split_spaces("  a\t\tb\n c\r\n\v\fd  "), (Words{"a", "b", "c", "d"}));
  EXPECT_EQ(util::split_spaces("one"), (Words{"one"}));
}

TEST(SplitSpaces, EmptyOrBlankGivesNoWords) {
  EXPECT_TRUE(util::split_spaces("").empty());
  EXPECT_TRUE(util::split_spaces(" \t\n").empty());
}

TEST(SplitSpaces, OtherBytesAreNotSeparators) {
  // Non-breaking space (UTF-8 C2 A0) and NUL belong to the word: only ASCII white space separates.
  EXPECT_EQ(util::split_spaces("a\xc2\xa0"
                               "b"),
            (Words{"a\xc2\xa0"
                   "b"}));
  EXPECT_EQ(util::split_spaces(std::string("a\0b c", 5)), (Words{std::string("a\0b", 3), "c"}));
}

TEST(Join, PutsTheSeparatorBetweenParts) {
  EXPECT_EQ(util::join({"openid", "profile"}, " "), "openid profile");
  EXPECT_EQ(util::join({"a"}, ", "), "a");
  EXPECT_EQ(util::join({}, " "), "");
  EXPECT_EQ(util::join(util::split_spaces(" x  y "), " "), "x y");
}

TEST(LowerAscii, FoldsOnlyAsciiLetters) {
  EXPECT_EQ(util::lower_ascii("HTTPS://Example.COM"), "https://example.com");
  EXPECT_EQ(util::lower_ascii("\xc3\x89t\xc3\xa9"), "\xc3\x89t\xc3\xa9");  // É stays
  EXPECT_EQ(util::lower_ascii("@[`{"), "@[`{");                            // neighbours of A-Z and a-z
}

TEST(Hex, DigitValues) {
  EXPECT_EQ(util::hex_value('0'), 0);
  EXPECT_EQ(util::hex_value('9'), 9);
  EXPECT_EQ(util::hex_value('a'), 10);
  EXPECT_EQ(util::hex_value('F'), 15);
  for (char c : {'g', 'G', '/', ':', '@', '`', ' ', '\0'}) EXPECT_EQ(util::hex_value(c), -1) << int(c);
}

TEST(Hex, SixteenLowerCaseDigits) {
  EXPECT_EQ(util::hex16(0), "0000000000000000");
  EXPECT_EQ(util::hex16(0x0123456789abcdefULL), "0123456789abcdef");
  EXPECT_EQ(util::hex16(~0ULL), "ffffffffffffffff");
}

// draft-eastlake-fnv's test vectors for FNV-1a 64.
TEST(SlotHash, Fnv1a64MatchesPublishedVectors) {
  EXPECT_EQ(util::fnv1a64(""), 0xcbf29ce484222325ULL);
  EXPECT_EQ(util::fnv1a64("a"), 0xaf63dc4c8601ec8cULL);
  EXPECT_EQ(util::fnv1a64("foobar"), 0x85944171f73967e8ULL);
}

TEST(SlotHash, NamesEachSlotApart) {
  // The same value the POSIX lock files and Windows pipes and mutexes are named by (slot_lock_test.cpp).
  EXPECT_EQ(util::slot_hash_hex("https://id.example.com", "app-\xc3\xa9", "default"), "7d8068459913a517");
  EXPECT_EQ(util::slot_hash("a", "b", "c"), util::fnv1a64(std::string("a\0b\0c", 5)));
  EXPECT_NE(util::slot_hash("ab", "c", "d"), util::slot_hash("a", "bc", "d"));
  EXPECT_NE(util::slot_hash("a", "bc", "d"), util::slot_hash("a", "b", "cd"));
}

TEST(ConstantTimeEqual, EqualInputs) {
  EXPECT_TRUE(util::constant_time_equal("state-0123456789", "state-0123456789"));
  EXPECT_TRUE(util::constant_time_equal("", ""));
  EXPECT_TRUE(util::constant_time_equal(std::string_view("a\0b", 3), std::string_view("a\0b", 3)));
}

TEST(ConstantTimeEqual, UnequalInputs) {
  EXPECT_FALSE(util::constant_time_equal("state-0123456789", "xtate-0123456789"));  // first byte
  EXPECT_FALSE(util::constant_time_equal("state-0123456789", "state-012345678x"));  // last byte
  EXPECT_FALSE(util::constant_time_equal(std::string_view("a\0b", 3), std::string_view("a\0c", 3)));
}

TEST(ConstantTimeEqual, DifferentLengthsAreUnequal) {
  EXPECT_FALSE(util::constant_time_equal("abc", "abcd"));  // a prefix is not a match
  EXPECT_FALSE(util::constant_time_equal("abcd", "abc"));
  EXPECT_FALSE(util::constant_time_equal("", "a"));
  EXPECT_FALSE(util::constant_time_equal(std::string_view("abc\0", 4), "abc"));
}

TEST(Wipe, ZeroesTheBuffer) {
  std::vector<unsigned char> secret(64, 0xAA);
  util::wipe(secret.data(), secret.size());
  EXPECT_EQ(secret, std::vector<unsigned char>(64, 0));
}

TEST(Wipe, AcceptsEmptyInput) {
  util::wipe(nullptr, 0);
  unsigned char one = 0x55;
  util::wipe(&one, 0);
  EXPECT_EQ(one, 0x55);
}

TEST(Quote, TerminalSequencesAreShownNotActedOn) {
  // OSC 0 (retitle), CSI 2J (clear), OSC 8 (a fake link), BEL: nothing of ESC or BEL survives.
  const std::string hostile = "\x1b]0;TITLE\x07\x1b[2J\x1b]8;;https://evil.example\x07"
                              "click\x1b]8;;\x07";
  const std::string shown = util::escape_untrusted(hostile);
  EXPECT_EQ(shown.find('\x1b'), std::string::npos);
  EXPECT_EQ(shown.find('\x07'), std::string::npos);
  EXPECT_EQ(shown, "\\x1b]0;TITLE\\x07\\x1b[2J\\x1b]8;;https://evil.example\\x07click\\x1b]8;;\\x07");
}

TEST(Quote, C1BidiAndSeparatorsAreEscaped) {
  EXPECT_EQ(util::escape_untrusted("a\xc2\x9b"
                                   "2J"),
            "a\\u009b2J");                                           // C1 CSI
  EXPECT_EQ(util::escape_untrusted("x\xe2\x80\xaey"), "x\\u202ey");  // RIGHT-TO-LEFT OVERRIDE
  EXPECT_EQ(util::escape_untrusted("\xe2\x81\xa6"
                                   "a\xe2\x81\xa9"),
            "\\u2066a\\u2069");                                                     // isolates
  EXPECT_EQ(util::escape_untrusted("\xe2\x80\x8f\xe2\x80\xa8"), "\\u200f\\u2028");  // RLM, LINE SEPARATOR
  EXPECT_EQ(util::escape_untrusted("\x7f\n\t"), "\\x7f\\x0a\\x09");
}

TEST(Quote, TextAndWellFormedUnicodePassThrough) {
  EXPECT_EQ(util::escape_untrusted("Alice Example"), "Alice Example");
  EXPECT_EQ(util::escape_untrusted("J\xc3\xbcrgen \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x94\x91"),
            "J\xc3\xbcrgen \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x94\x91");
}

TEST(Quote, MalformedUtf8IsShownByteByByte) {
  EXPECT_EQ(util::escape_untrusted("\xc0\xaf"), "\\xc0\\xaf");           // overlong '/'
  EXPECT_EQ(util::escape_untrusted("\xed\xa0\x80"), "\\xed\\xa0\\x80");  // a surrogate
  EXPECT_EQ(util::escape_untrusted("\xe2\x80"), "\\xe2\\x80");           // cut short
  EXPECT_EQ(util::escape_untrusted("\xff"), "\\xff");
}

TEST(Quote, QuotedEscapesQuotesAndCuts) {
  EXPECT_EQ(util::quoted("say \"hi\" \\ bye"), "\"say \\x22hi\\x22 \\x5c bye\"");
  EXPECT_EQ(util::quoted("0123456789abcdefXYZ", 16), "\"0123456789abcdef...\"");
  EXPECT_EQ(util::quoted(""), "\"\"");
  // A cut inside a multi-byte character shows its first bytes escaped, never half a character.
  EXPECT_EQ(util::quoted("ab\xc3\xa9", 3), "\"ab\\xc3...\"");
}

TEST(Wipe, EmptiesAStringAndZeroesItsWholeBuffer) {
  std::string s(100, 'k');
  s.resize(10);  // the other 90 bytes still hold 'k' in the same buffer
  const char *buffer = s.data();
  const std::size_t capacity = s.capacity();
  util::wipe(s);
  EXPECT_TRUE(s.empty());
  EXPECT_EQ(s.data(), buffer);  // kept: wiping never allocates
  for (std::size_t i = 0; i < capacity; ++i) ASSERT_EQ(buffer[i], '\0') << i;
}

TEST(Wipe, ReserveWipingKeepsTheContentsInALargerBuffer) {
  std::string s = "secret-value-longer-than-the-small-string-buffer";
  const std::size_t length = s.size();
  const char *old = s.data();
  util::reserve_wiping(s, s.capacity() * 4);
  EXPECT_NE(s.data(), old);
  EXPECT_EQ(s, "secret-value-longer-than-the-small-string-buffer");
  EXPECT_EQ(s.size(), length);
  util::reserve_wiping(s, 1);  // enough room already: nothing moves
  EXPECT_EQ(s, "secret-value-longer-than-the-small-string-buffer");
}

TEST(Wipe, WipeOnExitWipesOnEveryWayOut) {
  std::string s = "a secret";
  try {
    util::WipeOnExit guard(s);
    throw 1;
  } catch (int) {
  }
  EXPECT_TRUE(s.empty());
}

TEST(SharedLibrary, OpensALibraryAndFindsItsSymbols) {
  const util::SharedLibrary libc = util::open_shared_library("libc.so.6");
  ASSERT_NE(libc.handle, nullptr) << libc.error;
  EXPECT_NE(util::find_symbol(libc, "strlen"), nullptr);
  EXPECT_EQ(util::find_symbol(libc, "nativeauth_no_such_symbol"), nullptr);
  using Strlen = std::size_t (*)(const char *);
  Strlen strlen_fn = nullptr, missing = nullptr;
  util::SymbolResolver resolve(libc);
  resolve(strlen_fn, "strlen");
  EXPECT_EQ(resolve.missing(), nullptr);
  resolve(missing, "nativeauth_no_such_symbol");
  resolve(missing, "nativeauth_nor_this_one");
  ASSERT_NE(strlen_fn, nullptr);
  EXPECT_EQ(strlen_fn("four"), 4u);
  EXPECT_STREQ(resolve.missing(), "nativeauth_no_such_symbol");  // the first one missing
}

TEST(SharedLibrary, SaysWhyALibraryCannotBeOpened) {
  const util::SharedLibrary none = util::open_shared_library("libnativeauth-absent.so.9");
  EXPECT_EQ(none.handle, nullptr);
  EXPECT_NE(none.error.find("libnativeauth-absent.so.9"), std::string::npos) << none.error;
  EXPECT_EQ(util::find_symbol(none, "strlen"), nullptr);
}

}  // namespace
