// SPDX-License-Identifier: Apache-2.0
// `nativeauth completion bash|zsh|fish`: completion scripts generated from the parser's definitions.
#pragma once

#include "command_model.hpp"

#include <string>

namespace cli {

/// The shells a script is generated for, as `completion` accepts them.
inline const std::vector<std::string> &completion_shells() {
  static const std::vector<std::string> shells{"bash", "zsh", "fish"};
  return shells;
}

/// The completion script for `shell` (one of completion_shells()); empty for any other name.
std::string completion_script(const CommandModel &model, const std::string &shell);

}  // namespace cli
