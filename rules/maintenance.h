// Preventive maintenance: when a pump's next PM falls due and whether it is due or overdue at a time. Pure functions
// of the policy and the device; docs/MAINTENANCE.md.
#ifndef PUMPTRACK_RULES_MAINTENANCE_H_
#define PUMPTRACK_RULES_MAINTENANCE_H_

#include <optional>
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

// MAINTENANCE_DUE (maintenance.due, LOW) or MAINTENANCE_OVERDUE (maintenance.overdue, HIGH) per ScheduleOf.
void CheckMaintenance(const CompiledPolicy& policy, const EvaluationInput& input, std::vector<Violation>& out);

}  // namespace pumptrack::rules

#endif  // PUMPTRACK_RULES_MAINTENANCE_H_
