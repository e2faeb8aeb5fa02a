#include "rules/maintenance.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"

namespace pumptrack::rules {
namespace {

absl::Time ToTime(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

absl::Duration ToDuration(const google::protobuf::Duration& d) {
  return absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
}

std::string Day(absl::Time t, const absl::TimeZone& zone) { return absl::FormatTime("%Y-%m-%d", t, zone); }

}  // namespace

absl::Time AddMonths(absl::Time from, int months, const absl::TimeZone& zone) {
  const absl::TimeZone::CivilInfo local = zone.At(from);
  const absl::CivilMonth target = absl::CivilMonth(local.cs) + months;
  const absl::CivilDay last_day = absl::CivilDay(target + 1) - 1;
  const int day = std::min(local.cs.day(), last_day.day());
  const absl::CivilSecond at(target.year(), target.month(), day, local.cs.hour(), local.cs.minute(), local.cs.second());
  return absl::FromCivil(at, zone) + local.subsecond;
}

std::optional<absl::Time> NextPmDue(const CompiledPolicy& policy, const v1::Device& device) {
  const v1::MaintenanceStatus& status = device.maintenance();
  if (status.has_next_due_override()) return ToTime(status.next_due_override());
  const v1::ModelPolicy* model = policy.FindModel(device.identity().model());
  if (model == nullptr || (model->pm_interval_months() == 0 && !model->has_pm_interval())) return std::nullopt;
  absl::Time base;
  if (status.has_last_pm_at()) {
    base = ToTime(status.last_pm_at());
  } else if (device.has_first_seen_at()) {
    base = ToTime(device.first_seen_at());
  } else {
    return std::nullopt;
  }
  if (model->pm_interval_months() > 0) {
    return AddMonths(base, static_cast<int>(model->pm_interval_months()), policy.time_zone());
  }
  return base + ToDuration(model->pm_interval());
}

MaintenanceSchedule ScheduleOf(const CompiledPolicy& policy, const v1::Device& device, absl::Time now) {
  MaintenanceSchedule schedule;
  if (device.custody().state() == v1::CUSTODY_STATE_RETIRED) return schedule;
  schedule.due_at = NextPmDue(policy, device);
  if (!schedule.due_at) return schedule;
  const v1::ModelPolicy* model = policy.FindModel(device.identity().model());
  const absl::Duration warning =
      model != nullptr && model->has_pm_warning() ? ToDuration(model->pm_warning()) : kDefaultPmWarning;
  schedule.warn_at = *schedule.due_at - warning;
  if (now >= *schedule.due_at) {
    schedule.phase = MaintenancePhase::kOverdue;
  } else if (now >= *schedule.warn_at) {
    schedule.phase = MaintenancePhase::kDue;
  }
  return schedule;
}

void CheckMaintenance(const CompiledPolicy& policy, const EvaluationInput& input, std::vector<Violation>& out) {
  const v1::Device& device = *input.device;
  const MaintenanceSchedule schedule = ScheduleOf(policy, device, input.now);
  if (schedule.phase == MaintenancePhase::kNone) return;
  const absl::TimeZone& zone = policy.time_zone();
  const std::string& tag = device.identity().asset_tag();
  const std::string last = device.maintenance().has_last_pm_at()
                               ? absl::StrCat("last PM ", Day(ToTime(device.maintenance().last_pm_at()), zone))
                               : std::string("no PM recorded");
  Violation v;
  v.evidence.set_expected(absl::StrCat("PM by ", Day(*schedule.due_at, zone)));
  v.evidence.set_seen(last);
  if (schedule.phase == MaintenancePhase::kOverdue) {
    v.kind = v1::FINDING_KIND_MAINTENANCE_OVERDUE;
    v.rule = std::string(kRuleMaintenanceOverdue);
    v.severity = v1::SEVERITY_HIGH;
    v.reason = absl::StrCat("Pump ", tag, " was due for preventive maintenance on ", Day(*schedule.due_at, zone), " (",
                            last, "); send it to clinical engineering.");
  } else {
    v.kind = v1::FINDING_KIND_MAINTENANCE_DUE;
    v.rule = std::string(kRuleMaintenanceDue);
    v.severity = v1::SEVERITY_LOW;
    v.reason = absl::StrCat("Pump ", tag, " is due for preventive maintenance by ", Day(*schedule.due_at, zone), " (",
                            last, ").");
  }
  out.push_back(std::move(v));
}

}  // namespace pumptrack::rules
