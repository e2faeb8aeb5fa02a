#include "rules/battery.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"

namespace pumptrack::rules {
namespace {

Violation Make(v1::FindingKind kind, absl::string_view rule, std::string reason, std::string expected,
               std::string seen) {
  Violation v;
  v.kind = kind;
  v.rule = std::string(rule);
  v.severity = v1::SEVERITY_MEDIUM;
  v.reason = std::move(reason);
  v.evidence.set_expected(std::move(expected));
  v.evidence.set_seen(std::move(seen));
  return v;
}

}  // namespace

void CheckBattery(const CompiledPolicy& policy, const EvaluationInput& input, std::vector<Violation>& out) {
  const v1::Device& device = *input.device;
  const v1::Custody& custody = device.custody();
  if (custody.state() == v1::CUSTODY_STATE_RETIRED) return;
  const v1::Physical& physical = device.last_observation().physical();
  const std::string& tag = device.identity().asset_tag();

  const v1::ModelPolicy* model = policy.FindModel(device.identity().model());
  if (model != nullptr && model->minimum_battery_health_percent() > 0 && physical.has_battery_health_percent() &&
      physical.battery_health_percent() < model->minimum_battery_health_percent()) {
    std::string seen = absl::StrCat("health ", physical.battery_health_percent(), "%");
    if (physical.has_battery_cycle_count())
      absl::StrAppend(&seen, " after ", physical.battery_cycle_count(), " cycles");
    out.push_back(Make(v1::FINDING_KIND_BATTERY_DEGRADED, kRuleBatteryDegraded,
                       absl::StrCat("Pump ", tag, "'s battery is worn (", seen, ", below the ",
                                    model->minimum_battery_health_percent(), "% minimum for ", model->model(),
                                    "); replace the battery."),
                       absl::StrCat("health at least ", model->minimum_battery_health_percent(), "%"),
                       std::move(seen)));
  }

  const std::uint32_t transport_minimum = policy.proto().transport_minimum_battery_percent();
  if (custody.state() == v1::CUSTODY_STATE_IN_TRANSIT && transport_minimum > 0 && physical.has_battery_percent() &&
      physical.battery_percent() < transport_minimum) {
    const std::string on_mains = physical.power_source() == v1::POWER_SOURCE_MAINS ? " (on mains now)" : std::string();
    out.push_back(
        Make(v1::FINDING_KIND_BATTERY_LOW_FOR_TRANSPORT, kRuleBatteryLowForTransport,
             absl::StrCat("Pump ", tag, ", checked out by ", custody.holder(), " to ", custody.destination_facility(),
                          "/", custody.destination_unit(), ", has ", physical.battery_percent(), "% charge", on_mains,
                          ", below the ", transport_minimum, "% needed for transport; charge it or take another pump."),
             absl::StrCat("charge at least ", transport_minimum, "% for transport"),
             absl::StrCat("charge ", physical.battery_percent(), "%")));
  }
}

}  // namespace pumptrack::rules
