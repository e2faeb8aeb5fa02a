#include "cli/custody_format.h"

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/finding_format.h"
#include "cli/format.h"

namespace pumptrack::cli {

namespace {

// "in 3h", or "OVERDUE 2h" once `due` has passed.
std::string FormatDue(const google::protobuf::Timestamp& due, absl::Time now) {
  if (!IsSet(due)) return "-";
  const absl::Time at = ToAbslTime(due);
  if (at < now) return absl::StrCat("OVERDUE ", FormatAge(now - at));
  return FormatRelativeAge(at, now);
}

// What the pump is doing now, upper-cased for outcomes people must not miss: "AVAILABLE", "QUARANTINED".
std::string Shouted(v1::CustodyState state) { return absl::AsciiStrToUpper(CustodyStateName(state)); }

// Where the pump stands after an action: the check-in unit, else where the event happened.
std::string EventPlace(const v1::CustodyEvent& event) { return FormatFacilityUnit(event.facility(), event.unit()); }

// The event's gate failures, or the custody's quarantine reasons when the event lists none.
std::vector<std::string> GateFailures(const v1::CustodyResult& result) {
  const auto& failures =
      result.event().gate_failures().empty() ? result.custody().quarantine_reasons() : result.event().gate_failures();
  return {failures.begin(), failures.end()};
}

std::string DescribeEvent(const v1::CustodyEvent& event) {
  std::vector<std::string> details;
  if (event.action() == v1::CUSTODY_ACTION_CHECK_OUT) {
    details.push_back(absl::StrCat("to ", FormatFacilityUnit(event.destination_facility(), event.destination_unit())));
    if (IsSet(event.due_at())) details.push_back(absl::StrCat("due ", FormatTimeOrDash(event.due_at())));
    if (event.permanent_transfer()) details.emplace_back("permanent transfer");
  }
  if (!event.observed_seal_id().empty()) details.push_back(absl::StrCat("seal ", event.observed_seal_id()));
  if (!event.gate_failures().empty()) {
    details.push_back(absl::StrCat("gate failed: ", absl::StrJoin(event.gate_failures(), "; ")));
  }
  if (event.credentials_wiped()) details.emplace_back("credentials wiped");
  if (!event.reason().empty()) details.push_back(absl::StrCat("\"", event.reason(), "\""));
  return OrDash(absl::StrJoin(details, ", "));
}

}  // namespace

void AddCustodyDetails(const v1::Custody& custody, absl::Time now, DetailBlock& block) {
  block.Add("Custody", std::string(CustodyStateName(custody.state())));
  if (custody.state() == v1::CUSTODY_STATE_IN_TRANSIT) {
    block.Add("Holder", OrDash(custody.holder()));
    block.Add("Checked out from", FormatFacilityUnit(custody.origin_facility(), custody.origin_unit()));
    std::string destination = FormatFacilityUnit(custody.destination_facility(), custody.destination_unit());
    if (custody.permanent_transfer()) absl::StrAppend(&destination, " (permanent transfer)");
    block.Add("Destination", destination);
    std::string due = FormatTimeAndAge(custody.due_at(), now);
    if (IsSet(custody.due_at()) && ToAbslTime(custody.due_at()) < now) absl::StrAppend(&due, " OVERDUE");
    block.Add("Due", due);
    block.Add("Checked out", FormatTimeAndAge(custody.checked_out_at(), now));
    block.Add("Reason", OrDash(custody.reason()));
  }
  if (custody.state() == v1::CUSTODY_STATE_QUARANTINED) {
    block.Add("Quarantined for", OrDash(absl::StrJoin(custody.quarantine_reasons(), "; ")));
  }
  if (custody.state() == v1::CUSTODY_STATE_RETIRED) {
    block.Add("Credentials wiped", custody.credentials_wiped() ? "yes" : "not recorded");
  }
  if (!custody.updated_by().empty() || IsSet(custody.updated_at())) {
    block.Add("Custody updated",
              absl::StrCat(FormatTimeAndAge(custody.updated_at(), now), " by ", OrDash(custody.updated_by())));
  }
}

std::string FormatCheckedOut(absl::string_view asset_tag, const v1::CustodyResult& result, absl::Time now) {
  const v1::Custody& custody = result.custody();
  std::string line = absl::StrCat("Checked out ", asset_tag, " from ",
                                  FormatFacilityUnit(custody.origin_facility(), custody.origin_unit()), " to ",
                                  FormatFacilityUnit(custody.destination_facility(), custody.destination_unit()), " (",
                                  OrDash(custody.holder()), "), due ", FormatTimeAndAge(custody.due_at(), now));
  if (custody.permanent_transfer()) absl::StrAppend(&line, ", permanent transfer");
  return Printable(line);
}

void PrintCheckInOutcome(absl::string_view asset_tag, const v1::CustodyResult& result, std::ostream& out) {
  const v1::CustodyState state = result.custody().state();
  const std::string where = EventPlace(result.event());
  if (state != v1::CUSTODY_STATE_QUARANTINED) {
    out << Printable(absl::StrCat("PASSED the check-in gate: ", asset_tag, " is ", Shouted(state), " at ", where, "."))
        << '\n';
    return;
  }
  out << Printable(absl::StrCat("FAILED the check-in gate: ", asset_tag, " is QUARANTINED at ", where, ".")) << '\n';
  const std::vector<std::string> failures = GateFailures(result);
  if (failures.empty()) out << "  - (the service gave no reason)\n";
  for (const std::string& failure : failures) out << "  - " << Printable(failure) << '\n';
  out << Printable(absl::StrCat("Do not use it. An asset manager releases it once resolved: pumptrack custody release ",
                                asset_tag))
      << '\n';
}

std::string FormatCustodyChanged(absl::string_view asset_tag, const v1::CustodyResult& result) {
  std::string line = absl::StrCat(asset_tag, " is now ", CustodyStateName(result.custody().state()));
  if (!result.event().actor().empty()) absl::StrAppend(&line, " (by ", result.event().actor(), ")");
  if (!result.event().reason().empty()) absl::StrAppend(&line, ": ", result.event().reason());
  return Printable(line);
}

void PrintRetired(absl::string_view asset_tag, const v1::CustodyResult& result, std::ostream& out) {
  out << FormatCustodyChanged(asset_tag, result) << '\n';
  if (result.event().credentials_wiped() || result.custody().credentials_wiped()) {
    out << Printable(absl::StrCat("Recorded that ", asset_tag,
                                  "'s network credentials were wiped (Wi-Fi keys, certificates, server addresses) "
                                  "before it left service."))
        << '\n';
  } else {
    out << Printable(absl::StrCat("The service did not record a credentials wipe for ", asset_tag, ".")) << '\n';
  }
}

void PrintCustodyHistoryTable(std::span<const v1::CustodyEvent> events, std::ostream& out) {
  TextTable table({"#", "AT", "ACTION", "STATE", "ACTOR", "WHERE", "DETAILS"});
  for (const v1::CustodyEvent& event : events) {
    table.AddRow({
        absl::StrCat(event.index()),
        FormatTimeOrDash(event.at()),
        std::string(CustodyActionName(event.action())),
        absl::StrCat(CustodyStateName(event.from_state()), " -> ", CustodyStateName(event.to_state())),
        OrDash(event.actor()),
        FormatFacilityUnit(event.facility(), event.unit()),
        DescribeEvent(event),
    });
  }
  table.Print(out);
}

void PrintCheckoutTable(std::span<const v1::CheckedOutPump> checkouts, absl::Time now, std::ostream& out) {
  TextTable table({"TAG", "HOLDER", "FROM", "TO", "CHECKED OUT", "DUE", "LAST SEEN AT", "REASON"});
  for (const v1::CheckedOutPump& checkout : checkouts) {
    const v1::Custody& custody = checkout.custody();
    std::string due = FormatDue(custody.due_at(), now);
    // The service's verdict wins over the local clock.
    if (checkout.overdue() && !due.starts_with("OVERDUE")) due = absl::StrCat("OVERDUE (", due, ")");
    table.AddRow({
        OrDash(checkout.asset_tag()),
        OrDash(custody.holder()),
        FormatFacilityUnit(custody.origin_facility(), custody.origin_unit()),
        FormatFacilityUnit(custody.destination_facility(), custody.destination_unit()),
        FormatTimeOrDash(custody.checked_out_at()),
        due,
        FormatShortLocation(checkout.location()),
        OrDash(custody.reason()),
    });
  }
  table.Print(out);
}

void PrintAvailableTable(std::span<const v1::AvailablePump> pumps, absl::Time now, std::ostream& out) {
  TextTable table({"TAG", "MODEL", "PROXIMITY", "FACILITY/UNIT/ROOM", "LAST SEEN"});
  for (const v1::AvailablePump& pump : pumps) {
    table.AddRow({
        OrDash(pump.asset_tag()),
        OrDash(pump.model()),
        std::string(ProximityName(pump.proximity())),
        FormatShortLocation(pump.location()),
        IsSet(pump.last_seen_at()) ? FormatRelativeAge(ToAbslTime(pump.last_seen_at()), now) : "never",
    });
  }
  table.Print(out);
}

std::string FormatParLevel(absl::string_view unit, const v1::FindAvailableResponse& response) {
  std::string line = absl::StrCat(unit, ": ", response.available_in_unit(), " available, ");
  if (response.par_level() == 0) {
    absl::StrAppend(&line, "no PAR level");
  } else {
    absl::StrAppend(&line, "PAR level ", response.par_level());
    if (response.available_in_unit() < response.par_level()) absl::StrAppend(&line, " (below PAR)");
  }
  return Printable(line);
}

}  // namespace pumptrack::cli
