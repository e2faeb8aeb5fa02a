// Preventive maintenance: when a pump's next PM falls due and whether it is due or overdue at a time. Pure functions
// of the policy and the device; docs/MAINTENANCE.md.
#ifndef PUMPTRACK_RULES_MAINTENANCE_H_
#define PUMPTRACK_RULES_MAINTENANCE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "pumptrack/v1/device.pb.h"
#include "pumptrack/v1/policy.pb.h"
#include "rules/checks.h"
#include "rules/policy.h"

namespace pumptrack::rules {

// The warning window when a model sets no pm_warning.
inline constexpr absl::Duration kDefaultPmWarning = absl::Hours(24 * 30);

inline constexpr absl::string_view kRuleMaintenanceDue = "maintenance.due";
inline constexpr absl::string_view kRuleMaintenanceOverdue = "maintenance.overdue";

// `from` plus `months` calendar months in `zone`, at the same local time of day; a day the target month lacks becomes
// its last day (31 January + 1 month = 28 or 29 February). A local time skipped or repeated by a DST change resolves
// as absl's civil conversion does (the pre-transition offset).
absl::Time AddMonths(absl::Time from, int months, const absl::TimeZone& zone);

// When `model`'s next PM is due for `device`: the technician's override if one is set; otherwise the last recorded
// PM (or, never maintained, first_seen_at) plus the model's interval (pm_interval_months in the policy's time zone
// when set, else pm_interval). nullopt when neither an override nor an interval applies, or a never maintained pump
// was never seen.
std::optional<absl::Time> NextPmDue(const CompiledPolicy& policy, const v1::Device& device);

enum class MaintenancePhase { kNone, kDue, kOverdue };

struct MaintenanceSchedule {
  MaintenancePhase phase = MaintenancePhase::kNone;
  // Set whenever a PM is scheduled at all.
  std::optional<absl::Time> due_at;
  // due_at minus the warning window.
  std::optional<absl::Time> warn_at;
};

// The device's PM schedule and phase at `now`: kOverdue from due_at on, kDue from warn_at on, else kNone. A retired
// pump is never due.
MaintenanceSchedule ScheduleOf(const CompiledPolicy& policy, const v1::Device& device, absl::Time now);

// Components (Policy.components): a reported component with a serial number whose kind and model the policy gives a
// pm_interval or pm_interval_months has its own schedule. Its findings are MAINTENANCE_DUE / MAINTENANCE_OVERDUE too,
// one per component and kind, under the rules "maintenance.component.due.<kind>.<serial>" and
// "maintenance.component.overdue.<kind>.<serial>".
inline constexpr absl::string_view kRuleComponentDuePrefix = "maintenance.component.due.";
inline constexpr absl::string_view kRuleComponentOverduePrefix = "maintenance.component.overdue.";

// The policy entry giving `component`'s kind and model a PM interval; nullptr when there is none.
const v1::ComponentPolicy* ComponentPmPolicy(const CompiledPolicy& policy, const v1::Component& component);

// The stored PM state of the component with this kind and serial number; nullptr when it was never maintained.
const v1::ComponentMaintenance* FindComponentMaintenance(const v1::MaintenanceStatus& status, absl::string_view kind,
                                                         absl::string_view serial);

// When `component`'s next PM is due: its override if one is set; otherwise its last recorded PM (or, never
// maintained, the pump's first_seen_at) plus the component policy's pm_interval. nullopt when the component has no
// serial number, the policy gives it no interval and no override is set, or a never maintained component's pump was
// never seen.
std::optional<absl::Time> NextComponentPmDue(const CompiledPolicy& policy, const v1::Device& device,
                                             const v1::Component& component);

// As ScheduleOf, for one of the device's components; the window is the component policy's pm_warning (default
// kDefaultPmWarning).
MaintenanceSchedule ComponentScheduleOf(const CompiledPolicy& policy, const v1::Device& device,
                                        const v1::Component& component, absl::Time now);

// The rule ids of every maintenance finding the device's state raises at `now` (the pump's own and its components'),
// sorted; what CheckMaintenance opens. The sweep compares them with the open maintenance findings.
std::vector<std::string> MaintenanceRulesAt(const CompiledPolicy& policy, const v1::Device& device, absl::Time now);

// The first time after `now` at which the device's maintenance findings would change with time alone: the earliest
// warning or due time of the pump's schedule and its components' that is after `now`. nullopt when none is ahead
// (no schedule, a retired pump, everything already overdue). The maintenance deadline queue wakes then.
std::optional<absl::Time> NextMaintenanceChange(const CompiledPolicy& policy, const v1::Device& device, absl::Time now);

// Whether the pump's PM or any of its components' is overdue at `now`: such a pump cannot go back into service (its
// check-in through the gate lands in IN_MAINTENANCE).
bool AnyPmOverdue(const CompiledPolicy& policy, const v1::Device& device, absl::Time now);

// MAINTENANCE_DUE (maintenance.due, LOW) or MAINTENANCE_OVERDUE (maintenance.overdue, HIGH) per ScheduleOf, and the
// same per component per ComponentScheduleOf.
void CheckMaintenance(const CompiledPolicy& policy, const EvaluationInput& input, std::vector<Violation>& out);

}  // namespace pumptrack::rules

#endif  // PUMPTRACK_RULES_MAINTENANCE_H_
