// SPDX-License-Identifier: Apache-2.0
// Walks CLI11's definitions into CommandModel (command_model.hpp).
#include "command_model.hpp"

#include <CLI/CLI.hpp>

namespace cli {
namespace {

/// The values of a CLI::IsMember check, which CLI11 describes as "{a,b,c}" in the option's type name.
std::vector<std::string> choices_of(const CLI::Option &option) {
  const std::string type = option.get_type_name();
  const auto open = type.find('{');
  const auto close = type.find('}', open == std::string::npos ? 0 : open);
  std::vector<std::string> out;
  if (open == std::string::npos || close == std::string::npos) return out;
  std::string item;
  for (std::size_t i = open + 1; i <= close; ++i) {
    if (i == close || type[i] == ',') {
      if (!item.empty()) out.push_back(item);
      item.clear();
    } else {
      item += type[i];
    }
  }
  return out;
}

OptionModel read_option(const CLI::Option &option) {
  OptionModel m;
  for (const auto &name : option.get_lnames()) m.names.push_back("--" + name);
  for (const auto &name : option.get_snames()) m.names.push_back("-" + name);
  if (!option.nonpositional()) m.positional = option.get_name();
  m.description = option.get_description();
  m.takes_value = option.get_items_expected_max() > 0;
  m.repeatable = option.get_items_expected_max() > 1;
  m.choices = choices_of(option);
  const std::string type = option.get_type_name();
  m.value_name = type.substr(0, type.find(':'));
  return m;
}

}  // namespace

CommandModel read_model(const CLI::App &app, const std::string &program) {
  CommandModel model;
  model.name = app.get_parent() ? app.get_name() : program;
  model.description = app.get_description();
  for (const CLI::Option *option : app.get_options()) model.options.push_back(read_option(*option));
  const auto visible = [](const CLI::App *sub) { return !sub->get_group().empty() && !sub->get_disabled(); };
  for (const CLI::App *sub : app.get_subcommands(std::function<bool(const CLI::App *)>(visible))) {
    model.commands.push_back(read_model(*sub, program));
  }
  return model;
}

}  // namespace cli
