#include "cli/custody_app.h"

#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "cli/cli_options.h"
#include "cli/flags.h"
#include "cli/format.h"

namespace pumptrack::cli {

namespace {

using Choose = std::function<void(CustodyCommand)>;
using ChangeRun = absl::Status (*)(const CustodyContext&, const CustodyChange&);

// A --due value: a positive duration within what the service accepts.
absl::StatusOr<absl::Duration> ParseCheckoutDue(absl::string_view text) {
  absl::StatusOr<absl::Duration> due = ParsePositiveDuration(text);
  if (!due.ok()) return due;
  if (*due < kMinCheckoutDue || *due > kMaxCheckoutDue) {
    return absl::InvalidArgumentError(absl::StrCat("'", text, "' is out of range; a check-out is due in 1m to 30d"));
  }
  return due;
}

// A value that was given but says nothing is a usage error, like a missing one.
void RequireText(const std::string& flag, const std::string& value) {
  if (absl::StripAsciiWhitespace(value).empty()) throw CLI::ValidationError(flag, "must not be empty");
}

void AddTagArg(CLI::App& command, std::string& tag) {
  command.add_option("TAG", tag, "Asset tag, e.g. PT-00042")->required();
}

const std::string& RequireTag(const CustodyChange& change) {
  RequireText("TAG", change.asset_tag);
  return change.asset_tag;
}

// A string option stored into a request field through `store`.
template <typename Store>
CLI::Option* AddTextOption(CLI::App& command, const std::string& name, const std::string& type_name,
                           const std::string& description, Store store) {
  return command.add_option_function<std::string>(name, store, description)->type_name(type_name);
}

void AddCheckOut(CLI::App& custody, CustodyBindings& bindings, const Choose& choose) {
  CLI::App* checkout =
      custody.add_subcommand("checkout", "Check an available pump out towards a unit (role transport)");
  v1::CheckOutRequest& request = bindings.checkout;
  AddTagArg(*checkout, bindings.change.asset_tag);
  AddTextOption(*checkout, "--to", "UNIT", "Destination: a unit of the policy's site, e.g. icu-1",
                [&request](const std::string& unit) { request.set_destination_unit(unit); })
      ->required();
  AddTextOption(*checkout, "--reason", "TEXT", "Why it moves, 1-1024 characters; never patient data",
                [&request](const std::string& reason) { request.set_reason(reason); })
      ->required();
  AddParsedOption(*checkout, "--due", "DURATION", "Due back (checked in) within this long, 1m to 30d, e.g. 30m or 2d",
                  ParseCheckoutDue, [&bindings](absl::Duration due) { bindings.due = due; })
      ->default_str(absl::FormatDuration(kDefaultCheckoutDue));
  checkout->add_flag_callback(
      "--permanent", [&request] { request.set_permanent_transfer(true); },
      "A permanent transfer: checking it in makes the destination its home unit");
  checkout->callback([&bindings, choose] {
    v1::CheckOutRequest complete = bindings.checkout;
    complete.set_asset_tag(RequireTag(bindings.change));
    RequireText("--to", complete.destination_unit());
    RequireText("--reason", complete.reason());
    *complete.mutable_due_in() = ToProtoDuration(bindings.due.value_or(kDefaultCheckoutDue));
    choose([complete](const CustodyContext& context) { return CheckOut(context, complete); });
  });
}

void AddCheckIn(CLI::App& custody, CustodyBindings& bindings, const Choose& choose) {
  CLI::App* checkin = custody.add_subcommand(
      "checkin",
      "Hand a pump over at a unit (role transport): the re-verification gate makes it available there or "
      "quarantines it, naming every reason");
  v1::CheckInRequest& request = bindings.checkin;
  AddTagArg(*checkin, bindings.change.asset_tag);
  AddTextOption(*checkin, "--at", "UNIT", "Where it is handed over: a unit of the policy's site, e.g. icu-1",
                [&request](const std::string& unit) { request.set_unit(unit); })
      ->required();
  AddTextOption(*checkin, "--seal", "ID", "The seal id read on the pump (\"none\" when it has no seal)",
                [&request](const std::string& seal) { request.set_observed_seal_id(seal); })
      ->required();
  AddTextOption(*checkin, "--notes", "TEXT", "Optional notes, up to 1024 characters; never patient data",
                [&request](const std::string& notes) { request.set_notes(notes); });
  checkin->callback([&bindings, choose] {
    v1::CheckInRequest complete = bindings.checkin;
    complete.set_asset_tag(RequireTag(bindings.change));
    RequireText("--at", complete.unit());
    RequireText("--seal", complete.observed_seal_id());
    choose([complete](const CustodyContext& context) { return CheckIn(context, complete); });
  });
}

// quarantine, release, maintenance and retire: TAG and an optional free-text `text_flag`.
void AddChange(CLI::App& custody, const std::string& name, const std::string& description, const std::string& text_flag,
               CustodyChange& change, const Choose& choose, ChangeRun run) {
  CLI::App* command = custody.add_subcommand(name, description);
  AddTagArg(*command, change.asset_tag);
  command->add_option(text_flag, change.reason, "Optional, up to 1024 characters; never patient data")
      ->type_name("TEXT");
  command->callback([&change, choose, run] {
    RequireTag(change);
    choose([change, run](const CustodyContext& context) { return run(context, change); });
  });
}

void AddHistory(CLI::App& custody, std::string& tag, const Choose& choose) {
  CLI::App* history =
      custody.add_subcommand("history", "Show a pump's chain of custody, oldest first: who did what, where, when");
  AddTagArg(*history, tag);
  history->callback([&tag, choose] {
    RequireText("TAG", tag);
    choose([tag](const CustodyContext& context) { return ShowCustodyHistory(context, tag); });
  });
}

void AddList(CLI::App& custody, bool& overdue_only, const Choose& choose) {
  CLI::App* list = custody.add_subcommand("list", "List open check-outs, soonest due first");
  list->add_flag("--overdue", overdue_only, "Only check-outs past their due time");
  list->callback([&overdue_only, choose] {
    choose([overdue_only](const CustodyContext& context) { return ListCustody(context, overdue_only); });
  });
}

void AddFindAvailable(CLI::App& app, CustodyBindings& bindings, const Choose& choose) {
  CLI::App* find =
      app.add_subcommand("find-available",
                         "Find available pumps nearest a unit (same unit, floor, building, facility), freshest first, "
                         "with the unit's PAR level");
  find->add_option("--near", bindings.near_unit, "A unit of the policy's site, e.g. icu-1")
      ->type_name("UNIT")
      ->required();
  find->add_option("--count", bindings.count, "How many pumps, 1-100 (default: the service's, 5)")
      ->type_name("N")
      ->check(CLI::Range(1, 100));
  find->callback([&bindings, choose] {
    RequireText("--near", bindings.near_unit);
    choose([unit = bindings.near_unit, count = bindings.count](const CustodyContext& context) {
      return FindAvailable(context, unit, count);
    });
  });
}

}  // namespace

void AddCustodyCommands(CLI::App& app, CustodyBindings& bindings, const std::function<void(CustodyCommand)>& choose) {
  CLI::App* custody = app.add_subcommand(
      "custody", "Who has each pump: checkout, checkin, history, list, quarantine, release, maintenance, retire");
  custody->require_subcommand(1);
  AddCheckOut(*custody, bindings, choose);
  AddCheckIn(*custody, bindings, choose);
  AddHistory(*custody, bindings.change.asset_tag, choose);
  AddList(*custody, bindings.overdue_only, choose);
  AddChange(*custody, "quarantine", "Take a pump out of service until released (role asset_manager)", "--reason",
            bindings.change, choose, Quarantine);
  AddChange(*custody, "release",
            "Return a quarantined or maintained pump to service (role asset_manager); refused while it has open "
            "tampered, misconfigured or insecure findings",
            "--notes", bindings.change, choose, Release);
  AddChange(*custody, "maintenance", "Hand a pump to clinical engineering (role admin)", "--reason", bindings.change,
            choose, SetMaintenance);
  AddChange(*custody, "retire",
            "Retire a pump for good (role admin), recording that its network credentials were wiped", "--reason",
            bindings.change, choose, Retire);
  AddFindAvailable(app, bindings, choose);
}

}  // namespace pumptrack::cli
