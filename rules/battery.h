// Battery rules: a worn-out battery and a pump sent on a transport with too little charge. Pure functions of the
// policy and the device; docs/BATTERY.md.
#ifndef PUMPTRACK_RULES_BATTERY_H_
#define PUMPTRACK_RULES_BATTERY_H_

#include <vector>

#include "absl/strings/string_view.h"
#include "rules/checks.h"
#include "rules/policy.h"

namespace pumptrack::rules {

inline constexpr absl::string_view kRuleBatteryDegraded = "battery.degraded";
inline constexpr absl::string_view kRuleBatteryLowForTransport = "battery.low_for_transport";

// BATTERY_DEGRADED (battery.degraded, MEDIUM): the last reported battery health (Physical.battery_health_percent) is
// below the model's minimum_battery_health_percent. Nothing when the model sets no minimum, the health was never
// reported, or the pump is retired.
//
// BATTERY_LOW_FOR_TRANSPORT (battery.low_for_transport, MEDIUM): the pump is checked out (custody IN_TRANSIT) and its
// last reported charge (Physical.battery_percent) is below Policy.transport_minimum_battery_percent. Nothing when
// the policy sets no minimum or the charge was never reported. Like every state rule, the finding resolves when the
// condition clears (charged, battery replaced, checked in).
void CheckBattery(const CompiledPolicy& policy, const EvaluationInput& input, std::vector<Violation>& out);

}  // namespace pumptrack::rules

#endif  // PUMPTRACK_RULES_BATTERY_H_
