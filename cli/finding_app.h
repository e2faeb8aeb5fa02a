// The `findings`, `policy` and `risk` subcommands of `pumptrack` (app.cc defines the rest and calls
// AddFindingCommands). Only for cli/ sources: it exposes CLI11 types.
#pragma once

#include <functional>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/status/statusor.h"
#include "cli/errors.h"
#include "cli/finding_commands.h"

namespace pumptrack::cli {

// The services these commands call. The referenced stubs and streams must outlive the command call.
struct FindingServices {
  FindingContext findings;
  PolicyContext policy;
};

using FindingCommand = std::function<absl::StatusOr<ExitCode>(const FindingServices&)>;

// Values bound to CLI11 options while parsing; they must outlive parsing.
struct FindingBindings {
  ListFindingsOptions list;
  std::string finding_id;
  std::string note;
  v1::FindingKind watch_kind = v1::FINDING_KIND_UNSPECIFIED;
  RiskOptions risk;
  std::string policy_path;
};

// Adds `findings list|get|ack|watch`, `policy get|validate|set` and `risk` to `app`. When one of them is chosen, its
// command is handed to `choose`. A policy FILE that does not exist is a usage error; one that cannot be read (or is
// empty or over 1 MiB) fails when the command runs, before anything is sent.
void AddFindingCommands(CLI::App& app, FindingBindings& bindings, const std::function<void(FindingCommand)>& choose);

}  // namespace pumptrack::cli
