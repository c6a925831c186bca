// SPDX-License-Identifier: Apache-2.0
// The CLI's terminal gate (samples/cli/terminal.hpp): everything printed to stdout and stderr is escaped
// line by line; only the CLI's own control text goes around it; colours follow NO_COLOR and TERM=dumb.
#include "terminal.hpp"

#include <gtest/gtest.h>

#include <iostream>
#include <sstream>

namespace {

TEST(CliTerminal, ColoursOnlyOnATerminalWithoutNoColorOrDumbTerm) {
  EXPECT_TRUE(cli::colours_allowed(true, nullptr, "xterm-256color"));
  EXPECT_TRUE(cli::colours_allowed(true, "", nullptr));  // NO_COLOR set but empty: no effect
  EXPECT_FALSE(cli::colours_allowed(false, nullptr, "xterm"));
  EXPECT_FALSE(cli::colours_allowed(true, "1", "xterm"));
  EXPECT_FALSE(cli::colours_allowed(true, nullptr, "dumb"));
}

TEST(CliTerminal, WhatIsPrintedIsEscapedAndOnlyTheCliOwnTextGoesAround) {
  std::ostringstream out, err;
  std::streambuf *const old_out = std::cout.rdbuf(out.rdbuf());
  std::streambuf *const old_err = std::cerr.rdbuf(err.rdbuf());
  cli::guard_terminal_output();
  std::cerr << "provider said: \x1b]0;TITLE\x07 \xe2\x80\xae"
            << "evil\n";
  std::cout << "J\xc3\xbcrgen\n";
  std::cerr << "split \xe2\x80";  // a character split across two writes is still seen whole
  std::cerr << "\xae"
            << "x" << std::endl;
  cli::write_trusted(std::cerr, "\x1b[0m");
  std::cerr.flush();
  std::cout.flush();
  EXPECT_EQ(err.str(), "provider said: \\x1b]0;TITLE\\x07 \\u202eevil\nsplit \\u202ex\n\x1b[0m");
  EXPECT_EQ(out.str(), "J\xc3\xbcrgen\n");
  // Leave the process's streams as they were (the gate stays in front of these buffers).
  std::cout.rdbuf(old_out);
  std::cerr.rdbuf(old_err);
}

}  // namespace
