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

namespace {

// The schedule of a PM due at `due_at` with a warning window of `warning`, at `now`.
MaintenanceSchedule PhaseAt(absl::Time due_at, absl::Duration warning, absl::Time now) {
  MaintenanceSchedule schedule{.due_at = due_at, .warn_at = due_at - warning};
  if (now >= due_at) {
    schedule.phase = MaintenancePhase::kOverdue;
  } else if (now >= *schedule.warn_at) {
    schedule.phase = MaintenancePhase::kDue;
  }
  return schedule;
}

}  // namespace

MaintenanceSchedule ScheduleOf(const CompiledPolicy& policy, const v1::Device& device, absl::Time now) {
  MaintenanceSchedule schedule;
  if (device.custody().state() == v1::CUSTODY_STATE_RETIRED) return schedule;
  schedule.due_at = NextPmDue(policy, device);
  if (!schedule.due_at) return schedule;
  const v1::ModelPolicy* model = policy.FindModel(device.identity().model());
  const absl::Duration warning =
      model != nullptr && model->has_pm_warning() ? ToDuration(model->pm_warning()) : kDefaultPmWarning;
  return PhaseAt(*schedule.due_at, warning, now);
}

const v1::ComponentPolicy* ComponentPmPolicy(const CompiledPolicy& policy, const v1::Component& component) {
  const v1::ComponentPolicy* found = nullptr;
  for (const v1::ComponentPolicy& candidate : policy.proto().components()) {
    if (candidate.kind() == component.kind() && candidate.model() == component.model()) found = &candidate;
  }
  if (found == nullptr) return nullptr;
  if (found->pm_interval_months() == 0 &&
      (!found->has_pm_interval() || ToDuration(found->pm_interval()) <= absl::ZeroDuration())) {
    return nullptr;
  }
  return found;
}

const v1::ComponentMaintenance* FindComponentMaintenance(const v1::MaintenanceStatus& status, absl::string_view kind,
                                                         absl::string_view serial) {
  for (const v1::ComponentMaintenance& entry : status.components()) {
    if (entry.kind() == kind && entry.serial_number() == serial) return &entry;
  }
  return nullptr;
}

std::optional<absl::Time> NextComponentPmDue(const CompiledPolicy& policy, const v1::Device& device,
                                             const v1::Component& component) {
  if (component.serial_number().empty()) return std::nullopt;
  const v1::ComponentMaintenance* entry =
      FindComponentMaintenance(device.maintenance(), component.kind(), component.serial_number());
  if (entry != nullptr && entry->has_next_due_override()) return ToTime(entry->next_due_override());
  const v1::ComponentPolicy* rules = ComponentPmPolicy(policy, component);
  if (rules == nullptr) return std::nullopt;
  absl::Time base;
  if (entry != nullptr && entry->has_last_pm_at()) {
    base = ToTime(entry->last_pm_at());
  } else if (device.has_first_seen_at()) {
    base = ToTime(device.first_seen_at());
  } else {
    return std::nullopt;
  }
  if (rules->pm_interval_months() > 0) {
    return AddMonths(base, static_cast<int>(rules->pm_interval_months()), policy.time_zone());
  }
  return base + ToDuration(rules->pm_interval());
}

MaintenanceSchedule ComponentScheduleOf(const CompiledPolicy& policy, const v1::Device& device,
                                        const v1::Component& component, absl::Time now) {
  MaintenanceSchedule schedule;
  if (device.custody().state() == v1::CUSTODY_STATE_RETIRED) return schedule;
  schedule.due_at = NextComponentPmDue(policy, device, component);
  if (!schedule.due_at) return schedule;
  const v1::ComponentPolicy* rules = ComponentPmPolicy(policy, component);
  const absl::Duration warning =
      rules != nullptr && rules->has_pm_warning() ? ToDuration(rules->pm_warning()) : kDefaultPmWarning;
  return PhaseAt(*schedule.due_at, warning, now);
}

namespace {

std::string ComponentRule(MaintenancePhase phase, const v1::Component& component) {
  return absl::StrCat(phase == MaintenancePhase::kOverdue ? kRuleComponentOverduePrefix : kRuleComponentDuePrefix,
                      component.kind(), ".", component.serial_number());
}

// Calls `visit(component, schedule)` for each reported component with a schedule that is due or overdue at `now`, once
// per kind and serial number.
template <typename Visit>
void ForEachDueComponent(const CompiledPolicy& policy, const v1::Device& device, absl::Time now, Visit visit) {
  const auto& components = device.last_observation().components();
  for (int i = 0; i < components.size(); ++i) {
    const v1::Component& component = components[i];
    const bool repeated = std::any_of(components.begin(), components.begin() + i, [&](const v1::Component& earlier) {
      return earlier.kind() == component.kind() && earlier.serial_number() == component.serial_number();
    });
    if (repeated) continue;
    const MaintenanceSchedule schedule = ComponentScheduleOf(policy, device, component, now);
    if (schedule.phase != MaintenancePhase::kNone) visit(component, schedule);
  }
}

}  // namespace

std::vector<std::string> MaintenanceRulesAt(const CompiledPolicy& policy, const v1::Device& device, absl::Time now) {
  std::vector<std::string> rules;
  switch (ScheduleOf(policy, device, now).phase) {
    case MaintenancePhase::kDue:
      rules.emplace_back(kRuleMaintenanceDue);
      break;
    case MaintenancePhase::kOverdue:
      rules.emplace_back(kRuleMaintenanceOverdue);
      break;
    case MaintenancePhase::kNone:
      break;
  }
  ForEachDueComponent(policy, device, now, [&](const v1::Component& component, const MaintenanceSchedule& schedule) {
    rules.push_back(ComponentRule(schedule.phase, component));
  });
  std::sort(rules.begin(), rules.end());
  return rules;
}

std::optional<absl::Time> NextMaintenanceChange(const CompiledPolicy& policy, const v1::Device& device,
                                                absl::Time now) {
  std::optional<absl::Time> next;
  const auto consider = [&](const MaintenanceSchedule& schedule) {
    for (const std::optional<absl::Time>& at : {schedule.warn_at, schedule.due_at}) {
      if (at && *at > now && (!next || *at < *next)) next = *at;
    }
  };
  consider(ScheduleOf(policy, device, now));
  if (!policy.proto().components().empty()) {
    for (const v1::Component& component : device.last_observation().components()) {
      consider(ComponentScheduleOf(policy, device, component, now));
    }
  }
  return next;
}

bool AnyPmOverdue(const CompiledPolicy& policy, const v1::Device& device, absl::Time now) {
  if (ScheduleOf(policy, device, now).phase == MaintenancePhase::kOverdue) return true;
  bool overdue = false;
  ForEachDueComponent(policy, device, now, [&](const v1::Component&, const MaintenanceSchedule& schedule) {
    overdue = overdue || schedule.phase == MaintenancePhase::kOverdue;
  });
  return overdue;
}

void CheckMaintenance(const CompiledPolicy& policy, const EvaluationInput& input, std::vector<Violation>& out) {
  const v1::Device& device = *input.device;
  const absl::TimeZone& zone = policy.time_zone();
  const std::string& tag = device.identity().asset_tag();
  const MaintenanceSchedule schedule = ScheduleOf(policy, device, input.now);
  if (schedule.phase != MaintenancePhase::kNone) {
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
      v.reason = absl::StrCat("Pump ", tag, " was due for preventive maintenance on ", Day(*schedule.due_at, zone),
                              " (", last, "); send it to clinical engineering.");
    } else {
      v.kind = v1::FINDING_KIND_MAINTENANCE_DUE;
      v.rule = std::string(kRuleMaintenanceDue);
      v.severity = v1::SEVERITY_LOW;
      v.reason = absl::StrCat("Pump ", tag, " is due for preventive maintenance by ", Day(*schedule.due_at, zone), " (",
                              last, ").");
    }
    out.push_back(std::move(v));
  }
  ForEachDueComponent(policy, device, input.now, [&](const v1::Component& component, const MaintenanceSchedule& due) {
    const v1::ComponentMaintenance* entry =
        FindComponentMaintenance(device.maintenance(), component.kind(), component.serial_number());
    const std::string last = entry != nullptr && entry->has_last_pm_at()
                                 ? absl::StrCat("last PM ", Day(ToTime(entry->last_pm_at()), zone))
                                 : std::string("no PM recorded");
    const std::string what =
        absl::StrCat(component.kind(), " ", component.model(), " serial ", component.serial_number(), " of pump ", tag);
    Violation v;
    v.rule = ComponentRule(due.phase, component);
    v.evidence.set_expected(absl::StrCat("PM by ", Day(*due.due_at, zone)));
    v.evidence.set_seen(last);
    if (due.phase == MaintenancePhase::kOverdue) {
      v.kind = v1::FINDING_KIND_MAINTENANCE_OVERDUE;
      v.severity = v1::SEVERITY_HIGH;
      v.reason = absl::StrCat("The ", what, " was due for preventive maintenance on ", Day(*due.due_at, zone), " (",
                              last, "); send the pump to clinical engineering.");
    } else {
      v.kind = v1::FINDING_KIND_MAINTENANCE_DUE;
      v.severity = v1::SEVERITY_LOW;
      v.reason = absl::StrCat("The ", what, " is due for preventive maintenance by ", Day(*due.due_at, zone), " (",
                              last, ").");
    }
    out.push_back(std::move(v));
  });
}

}  // namespace pumptrack::rules
