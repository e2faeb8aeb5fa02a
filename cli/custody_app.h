// The `custody` and `find-available` subcommands of `pumptrack` (app.cc defines the rest and calls AddCustodyCommands).
// Only for cli/ sources: it exposes CLI11 types.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "cli/custody_commands.h"

namespace pumptrack::cli {

using CustodyCommand = std::function<absl::Status(const CustodyContext&)>;

// Values bound to CLI11 options while parsing; they must outlive parsing.
struct CustodyBindings {
  // The TAG of every custody command, and the --reason or --notes of quarantine, release, maintenance and retire.
  CustodyChange change;
  // The other flags of checkout and checkin (their asset tag comes from `change`).
  v1::CheckOutRequest checkout;
  std::optional<absl::Duration> due;
  v1::CheckInRequest checkin;
  bool overdue_only = false;
  std::string near_unit;
  int count = 0;
};

// Adds to `app`:
//   custody checkout TAG --to=UNIT --reason=TEXT [--due=DURATION] [--permanent]   (--due defaults to 4h; 1m-30d)
//   custody checkin TAG --at=UNIT --seal=ID [--notes=TEXT]
//   custody quarantine|maintenance|retire TAG [--reason=TEXT]
//   custody release TAG [--notes=TEXT]
//   custody history TAG
//   custody list [--overdue]
//   find-available --near=UNIT [--count=N]                                        (N 1-100; default the service's, 5)
// When one of them is chosen, its command is handed to `choose`. A missing or empty required value, an unparsable or
// out-of-range --due or --count is a usage error.
void AddCustodyCommands(CLI::App& app, CustodyBindings& bindings, const std::function<void(CustodyCommand)>& choose);

}  // namespace pumptrack::cli
