// SPDX-License-Identifier: Apache-2.0
// The CLI's commands and options as data, read off the parser's own definitions (CLI11), so the shell
// completions and the man page are generated from what the parser accepts and cannot drift from it.
#pragma once

#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace cli {

struct OptionModel {
  std::vector<std::string> names;  ///< "--issuer", "-v": long names first, as typed
  std::string positional;          ///< the argument's name when it is positional, e.g. "url"
  std::string description;
  std::string value_name;            ///< "URL", "TEXT": what the value is, for the man page
  bool takes_value = false;          ///< --issuer URL; false for flags
  bool repeatable = false;           ///< --param key=value ...
  std::vector<std::string> choices;  ///< the only accepted values (a CLI::IsMember check), else empty
};

struct CommandModel {
  std::string name;  ///< "login"; the program's name for the top level
  std::string description;
  std::vector<OptionModel> options;  ///< help and version included
  std::vector<CommandModel> commands;
};

/// Reads the definitions off `app`, leaving out commands whose group is empty (hidden, e.g. man-page).
CommandModel read_model(const CLI::App &app, const std::string &program);

}  // namespace cli
