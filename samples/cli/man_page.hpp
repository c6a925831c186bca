// SPDX-License-Identifier: Apache-2.0
// nativeauth.1, generated at build time from the parser's definitions (`nativeauth man-page`).
#pragma once

#include "command_model.hpp"

#include <string>

namespace cli {

/// The man page in roff (man(7) macros), for section 1. `version` goes in the footer.
std::string man_page(const CommandModel &model, const std::string &version);

}  // namespace cli
