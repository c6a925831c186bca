// SPDX-License-Identifier: Apache-2.0
// The one gate between the CLI and the terminal: whatever it prints to stdout or stderr, text from outside
// included (a provider's error_description, an issuer from a redirect, a token's claims, a device code's
// URL), is shown, never acted on: control characters, escape sequences and bidi overrides are escaped
// (util::escape_untrusted) line by line. Not here: what is printed (each command), the SDK's own quoting
// of untrusted values inside its messages (util/quote.hpp).
#pragma once

#include <ostream>
#include <string_view>

namespace cli {

/// Puts the gate on std::cout and std::cerr for the rest of the process. Call once, first thing in main().
void guard_terminal_output();

/// Whether the CLI may colour what it prints to `fd`: a terminal, NO_COLOR unset or empty
/// (https://no-color.org), and TERM other than "dumb".
bool colours_allowed(int fd);
/// The same rule, given what it reads (for tests): `no_color` and `term` are null when unset.
bool colours_allowed(bool is_terminal, const char *no_color, const char *term);

/// Writes the CLI's own terminal control text (the QR code's colours) past the gate. `text` must be
/// made by the CLI from constants, never from anything a provider or user sent.
void write_trusted(std::ostream &stream, std::string_view text);

}  // namespace cli
