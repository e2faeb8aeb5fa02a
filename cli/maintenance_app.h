// The `maintenance` subcommands of `pumptrack` (MaintenanceService); app.cc calls AddMaintenanceCommands. Only for
// cli/ sources: it exposes CLI11 types.
//   maintenance record TAG --kind=pm|repair|inspection|battery_replacement --performed=DATE [--by=NAME]
//                          [--notes=TEXT] [--next-due=DATE]
//   maintenance history TAG
//   maintenance due [--within=30d] [--unit=U]
//   maintenance import FILE.csv [--skip-bad-rows] [--time-zone=TZ] [--tag-column=NAME] [--kind-column=NAME]
//                               [--performed-column=NAME] [--by-column=NAME] [--notes-column=NAME]
//                               [--next-due-column=NAME]
// DATE is 2026-12-01 (midnight in --time-zone, UTC by default) or an RFC 3339 time.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "cli/commands.h"
#include "cli/maintenance_csv.h"
#include "pumptrack/v1/maintenance.grpc.pb.h"

namespace pumptrack::cli {

using MaintenanceContext = ServiceContext<v1::MaintenanceService>;
using MaintenanceCommand = std::function<absl::Status(const MaintenanceContext&)>;

struct MaintenanceBindings {
  std::string asset_tag;
  std::string kind;
  std::string performed;
  std::string performed_by;
  std::string notes;
  std::string next_due;
  std::string component_serial;
  std::string time_zone = "UTC";
  std::optional<absl::Duration> within;
  std::string unit;
  std::string file;
  bool skip_bad_rows = false;
  CsvColumns columns;
};

// `maintenance import`: reads `path`, and imports it all or nothing. Without `skip_bad_rows`, a bad row refuses the
// file: INVALID_ARGUMENT "FILE line N: reason" (and how many other rows are bad), nothing imported. With it, each bad
// row (also one the service refuses: an unknown tag) is printed as "skipped line N: reason" and the rest imported.
absl::Status ImportMaintenanceFile(const MaintenanceContext& context, const std::string& path,
                                   const CsvColumns& columns, const absl::TimeZone& zone, bool skip_bad_rows);

absl::Status ShowMaintenanceHistory(const MaintenanceContext& context, const std::string& asset_tag);
absl::Status ListMaintenanceDue(const MaintenanceContext& context, std::optional<absl::Duration> within,
                                const std::string& unit);

void AddMaintenanceCommands(CLI::App& app, MaintenanceBindings& bindings,
                            const std::function<void(MaintenanceCommand)>& choose);

}  // namespace pumptrack::cli
