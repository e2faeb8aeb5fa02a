#include "cli/finding_format.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/format.h"
#include "cli/table.h"

namespace pumptrack::cli {

namespace {

constexpr absl::string_view kUnknown = "unknown";

// The time a watch line is stamped with: when the finding resolved, else when it was last seen.
absl::Time EventTime(const v1::FindingEvent& event, absl::Time now) {
  const v1::Finding& finding = event.finding();
  if (event.type() == v1::FindingEvent::TYPE_RESOLVED && IsSet(finding.resolved_at())) {
    return ToAbslTime(finding.resolved_at());
  }
  return IsSet(finding.last_seen_at()) ? ToAbslTime(finding.last_seen_at()) : now;
}

std::string CountOf(uint32_t count, absl::string_view singular, absl::string_view plural) {
  return absl::StrCat(count, " ", count == 1 ? singular : plural);
}

std::string PolicySize(const v1::Policy& policy) {
  return absl::StrCat(CountOf(static_cast<uint32_t>(policy.site().units_size()), "unit", "units"), ", ",
                      CountOf(static_cast<uint32_t>(policy.models_size()), "model", "models"));
}

}  // namespace

std::string FormatFacilityUnit(absl::string_view facility, absl::string_view unit) {
  if (!facility.empty() && !unit.empty()) return absl::StrCat(facility, "/", unit);
  return OrDash(facility.empty() ? unit : facility);
}

void PrintFindingTable(std::span<const v1::Finding> findings, absl::Time now, std::ostream& out) {
  TextTable table({"ID", "TAG", "KIND", "SEVERITY", "STATE", "WHERE", "RULE", "LAST SEEN", "REASON"});
  for (const v1::Finding& finding : findings) {
    table.AddRow({
        OrDash(finding.id()),
        OrDash(finding.asset_tag()),
        std::string(FindingKindName(finding.kind())),
        std::string(SeverityName(finding.severity())),
        std::string(FindingStateName(finding.state())),
        FormatFacilityUnit(finding.facility(), finding.unit()),
        OrDash(finding.rule()),
        IsSet(finding.last_seen_at()) ? FormatRelativeAge(ToAbslTime(finding.last_seen_at()), now) : "-",
        OrDash(finding.reason()),
    });
  }
  table.Print(out);
}

void PrintFindingDetails(const v1::Finding& finding, absl::Time now, std::ostream& out) {
  DetailBlock block;
  block.Add("ID", OrDash(finding.id()));
  block.Add("Asset tag", OrDash(finding.asset_tag()));
  block.Add("Kind", std::string(FindingKindName(finding.kind())));
  block.Add("Rule", OrDash(finding.rule()));
  block.Add("Severity", std::string(SeverityName(finding.severity())));
  block.Add("State", std::string(FindingStateName(finding.state())));
  block.Add("Reason", OrDash(finding.reason()));
  block.Add("Expected", OrDash(finding.evidence().expected()));
  block.Add("Seen", OrDash(finding.evidence().seen()));
  if (!finding.evidence().advisory().empty()) block.Add("Advisory", finding.evidence().advisory());
  block.Add("Where", FormatFacilityUnit(finding.facility(), finding.unit()));
  block.Add("First seen", FormatTimeAndAge(finding.first_seen_at(), now));
  block.Add("Last seen", FormatTimeAndAge(finding.last_seen_at(), now));
  if (!finding.acknowledged_by().empty() || IsSet(finding.acknowledged_at())) {
    block.Add("Acknowledged", absl::StrCat(FormatTimeAndAge(finding.acknowledged_at(), now), " by ",
                                           OrDash(finding.acknowledged_by())));
    block.Add("Note", OrDash(finding.acknowledgement_note()));
  }
  if (IsSet(finding.resolved_at())) block.Add("Resolved", FormatTimeAndAge(finding.resolved_at(), now));
  block.Print(out);
}

std::string FormatAcknowledged(const v1::Finding& finding) {
  const absl::string_view verb =
      finding.state() == v1::FINDING_STATE_RESOLVED ? "Acknowledged and resolved" : "Acknowledged";
  return Printable(absl::StrCat(verb, " ", finding.id(), " (", OrDash(finding.asset_tag()), ", ",
                                OrDash(finding.rule()), ") as ", OrDash(finding.acknowledged_by()), ": ",
                                finding.acknowledgement_note()));
}

std::string FormatFindingEvent(const v1::FindingEvent& event, absl::Time now) {
  if (event.type() == v1::FindingEvent::TYPE_RESYNC) {
    return absl::StrCat(FormatTimestamp(now),
                        " resync: events were dropped; run `pumptrack findings list` to catch up");
  }
  const v1::Finding& finding = event.finding();
  return Printable(absl::StrCat(FormatTimestamp(EventTime(event, now)), " ", FindingEventTypeName(event.type()), " ",
                                OrDash(finding.id()), " ", OrDash(finding.asset_tag()), " ",
                                FindingKindName(finding.kind()), " ", SeverityName(finding.severity()), " ",
                                OrDash(finding.rule()), ": ", OrDash(finding.reason())));
}

void PrintRiskTable(std::span<const v1::RiskGroup> groups, v1::GetRiskRequest::GroupBy group_by, std::ostream& out) {
  if (group_by == v1::GetRiskRequest::GROUP_BY_DEVICE) {
    TextTable table({"DEVICE", "SCORE", "OPEN FINDINGS"});
    for (const v1::RiskGroup& group : groups) {
      table.AddRow({OrDash(group.key()), absl::StrCat(group.max_score()), absl::StrCat(group.open_findings())});
    }
    table.Print(out);
    return;
  }
  const std::string key_header = group_by == v1::GetRiskRequest::GROUP_BY_FACILITY ? "FACILITY" : "UNIT";
  TextTable table({key_header, "DEVICES", "AT RISK", "MAX SCORE", "MEAN SCORE", "OPEN FINDINGS"});
  for (const v1::RiskGroup& group : groups) {
    table.AddRow({
        OrDash(group.key()),
        absl::StrCat(group.devices()),
        absl::StrCat(group.devices_at_risk()),
        absl::StrCat(group.max_score()),
        absl::StrFormat("%.1f", group.mean_score()),
        absl::StrCat(group.open_findings()),
    });
  }
  table.Print(out);
}

std::string FormatPolicyValidated(absl::string_view path, const v1::ValidatePolicyResponse& validated) {
  return Printable(absl::StrCat("Policy ", path, " is valid: ", CountOf(validated.units(), "unit", "units"), ", ",
                                CountOf(validated.models(), "model", "models"), " (", validated.digest(), ")."));
}

std::string FormatPolicyApplied(absl::string_view path, const v1::PolicyInfo& info) {
  std::string text = absl::StrCat("Applied policy ", path, " (", info.digest(), "): ", PolicySize(info.policy()));
  if (IsSet(info.applied_at())) absl::StrAppend(&text, ", applied ", FormatTimeOrDash(info.applied_at()));
  if (!info.applied_by().empty()) absl::StrAppend(&text, " by ", info.applied_by());
  return Printable(absl::StrCat(text, "."));
}

std::string FormatHome(const v1::Device& device) {
  if (device.home_facility().empty() && device.home_unit().empty()) return "none";
  std::string home = FormatFacilityUnit(device.home_facility(), device.home_unit());
  if (device.home_source() != v1::HOME_SOURCE_UNSPECIFIED) {
    absl::StrAppend(&home, " (", HomeSourceName(device.home_source()), ")");
  }
  return home;
}

std::string FormatHomeSet(const v1::Device& device) {
  return Printable(
      absl::StrCat(OrDash(device.identity().asset_tag()), "'s home unit is now ", FormatHome(device), "."));
}

}  // namespace pumptrack::cli
