// The `report` subcommands of `pumptrack` (ReportService); app.cc calls AddReportCommands. Only for cli/ sources: it
// exposes CLI11 types.
//   report utilization [--since=7d|RFC3339] [--until=RFC3339] [--by=unit|model|device]
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "cli/commands.h"
#include "pumptrack/v1/report.grpc.pb.h"

namespace pumptrack::cli {

using ReportContext = ServiceContext<v1::ReportService>;
using ReportCommand = std::function<absl::Status(const ReportContext&)>;

struct ReportBindings {
  std::string since = "7d";
  std::string until;
  std::string by = "unit";
};

// `report utilization`: the window [since, until) (since: a duration back from now, e.g. 7d, or an RFC 3339 time;
// until: unset = now), grouped by unit (with peak concurrent use against the PAR level), model or device.
absl::Status ShowUtilization(const ReportContext& context, const v1::GetUtilizationRequest& request);

void AddReportCommands(CLI::App& app, ReportBindings& bindings, const std::function<void(ReportCommand)>& choose);

}  // namespace pumptrack::cli
