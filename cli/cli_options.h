// CLI11 helpers shared by the command definitions (app.cc, finding_app.cc). Only for cli/ sources: CLI11 is a private
// dependency of pumptrack::cli.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <utility>

#include "CLI/CLI.hpp"
#include "cli/flags.h"

namespace pumptrack::cli {

// Adds an option whose text is converted by `parse` (returning absl::StatusOr<T>) and then handed to `store`. A parse
// failure becomes a CLI11 validation error that names the option.
template <typename Parse, typename Store>
CLI::Option* AddParsedOption(CLI::App& app, const std::string& name, const std::string& type_name,
                             const std::string& description, Parse parse, Store store) {
  auto parse_and_store = [name, parse, store](const std::string& text) {
    auto parsed = parse(text);
    if (!parsed.ok()) throw CLI::ValidationError(name, std::string(parsed.status().message()));
    store(*std::move(parsed));
  };
  return app.add_option_function<std::string>(name, parse_and_store, description)->type_name(type_name);
}

// --limit N, N >= 1.
inline CLI::Option* AddLimitOption(CLI::App& command, const std::string& description,
                                   std::optional<std::size_t>& limit) {
  return AddParsedOption(command, "--limit", "N", description, ParsePositiveCount,
                         [&limit](std::size_t count) { limit = count; });
}

}  // namespace pumptrack::cli
