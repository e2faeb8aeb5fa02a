#include "engine/fleet_metrics.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace pumptrack::engine {
namespace {

std::string Label(const std::string& enum_name, absl::string_view prefix) {
  return std::string(absl::StripPrefix(enum_name, prefix));
}

}  // namespace

FleetMetrics::FleetMetrics(prometheus::Registry& registry)
    : devices_(prometheus::BuildGauge()
                   .Name("pumptrack_devices")
                   .Help("Tracked pumps by where they were last seen and their last reported operating state")
                   .Register(registry)),
      missing_(prometheus::BuildGauge()
                   .Name("pumptrack_devices_missing")
                   .Help("Pumps with an open MISSING (not seen) finding, by where they were last seen")
                   .Register(registry)),
      findings_open_(prometheus::BuildGauge()
                         .Name("pumptrack_findings_open")
                         .Help("Open (including acknowledged) findings by kind and severity")
                         .Register(registry)),
      findings_opened_(prometheus::BuildCounter()
                           .Name("pumptrack_findings_opened_total")
                           .Help("Findings opened since the service started, by kind")
                           .Register(registry)),
      unit_available_(prometheus::BuildGauge()
                          .Name("pumptrack_unit_available")
                          .Help("Pumps available to hand out in a unit: custody AVAILABLE, not missing, idle or off, "
                                "without open TAMPERED, MISCONFIGURED or INSECURE findings")
                          .Register(registry)),
      unit_par_level_(prometheus::BuildGauge()
                          .Name("pumptrack_unit_par_level")
                          .Help("The least number of available pumps a unit should hold, from the site policy")
                          .Register(registry)),
      checkouts_open_(prometheus::BuildGauge()
                          .Name("pumptrack_checkouts_open")
                          .Help("Pumps checked out (custody IN_TRANSIT) now")
                          .Register(registry)
                          .Add({})),
      checkouts_overdue_(prometheus::BuildGauge()
                             .Name("pumptrack_checkouts_overdue")
                             .Help("Checked-out pumps past their due time")
                             .Register(registry)
                             .Add({})),
      devices_vulnerable_(prometheus::BuildGauge()
                              .Name("pumptrack_devices_vulnerable")
                              .Help("Pumps with an open VULNERABLE (advisory) finding, by the highest severity of "
                                    "those findings")
                              .Register(registry)),
      advisories_needing_review_(prometheus::BuildGauge()
                                     .Name("pumptrack_advisories_needing_review")
                                     .Help("Imported advisories with a product whose version range pumptrack cannot "
                                           "parse (a person must read it)")
                                     .Register(registry)
                                     .Add({})) {
  for (int severity = v1::Severity_MIN + 1; severity <= v1::Severity_MAX; ++severity) {
    vulnerable_series_[severity] =
        &devices_vulnerable_.Add({{"severity", Label(v1::Severity_Name(severity), "SEVERITY_")}});
  }
  for (int kind = v1::FindingKind_MIN + 1; kind <= v1::FindingKind_MAX; ++kind) {
    const std::string kind_label = Label(v1::FindingKind_Name(kind), "FINDING_KIND_");
    opened_series_[kind] = &findings_opened_.Add({{"kind", kind_label}});
    for (int severity = v1::Severity_MIN + 1; severity <= v1::Severity_MAX; ++severity) {
      findings_series_[kind][severity] =
          &findings_open_.Add({{"kind", kind_label}, {"severity", Label(v1::Severity_Name(severity), "SEVERITY_")}});
    }
  }
}

void FleetMetrics::AddDevices(const std::string& facility, const std::string& unit, v1::OperatingState state,
                              double delta) {
  const std::string key = absl::StrCat(facility, "\x1f", unit, "\x1f", static_cast<int>(state));
  absl::MutexLock lock(&mu_);
  prometheus::Gauge*& gauge = device_series_[key];
  if (gauge == nullptr) {
    gauge = &devices_.Add({{"facility", facility},
                           {"unit", unit},
                           {"operating_state", Label(v1::OperatingState_Name(state), "OPERATING_STATE_")}});
  }
  gauge->Increment(delta);
}

void FleetMetrics::AddMissing(const std::string& facility, const std::string& unit, double delta) {
  const std::string key = absl::StrCat(facility, "\x1f", unit);
  absl::MutexLock lock(&mu_);
  prometheus::Gauge*& gauge = missing_series_[key];
  if (gauge == nullptr) gauge = &missing_.Add({{"facility", facility}, {"unit", unit}});
  gauge->Increment(delta);
}

void FleetMetrics::AddAvailable(const std::string& facility, const std::string& unit, double delta) {
  const std::string key = absl::StrCat(facility, "\x1f", unit);
  absl::MutexLock lock(&mu_);
  prometheus::Gauge*& gauge = available_series_[key];
  if (gauge == nullptr) gauge = &unit_available_.Add({{"facility", facility}, {"unit", unit}});
  gauge->Increment(delta);
}

void FleetMetrics::SetParLevels(const v1::Site& site) {
  absl::MutexLock lock(&mu_);
  absl::flat_hash_map<std::string, prometheus::Gauge*> stale = std::move(par_series_);
  par_series_.clear();
  for (const v1::Unit& unit : site.units()) {
    if (unit.par_level() == 0) continue;
    const std::string key = absl::StrCat(unit.facility(), "\x1f", unit.id());
    prometheus::Gauge* gauge = nullptr;
    if (auto it = stale.find(key); it != stale.end()) {
      gauge = it->second;
      stale.erase(it);
    } else {
      gauge = &unit_par_level_.Add({{"facility", unit.facility()}, {"unit", unit.id()}});
    }
    gauge->Set(unit.par_level());
    par_series_[key] = gauge;
    // A unit short of every pump still shows, as 0 available.
    prometheus::Gauge*& available = available_series_[key];
    if (available == nullptr) available = &unit_available_.Add({{"facility", unit.facility()}, {"unit", unit.id()}});
  }
  for (const auto& [key, gauge] : stale) unit_par_level_.Remove(gauge);
}

void FleetMetrics::SetCheckouts(std::size_t open, std::size_t overdue) {
  checkouts_open_.Set(static_cast<double>(open));
  checkouts_overdue_.Set(static_cast<double>(overdue));
}

void FleetMetrics::AddOpenFindings(v1::FindingKind kind, v1::Severity severity, double delta) {
  if (!v1::FindingKind_IsValid(kind) || !v1::Severity_IsValid(severity) ||
      findings_series_[kind][severity] == nullptr) {
    return;
  }
  findings_series_[kind][severity]->Increment(delta);
}

void FleetMetrics::CountOpened(v1::FindingKind kind) {
  if (v1::FindingKind_IsValid(kind) && opened_series_[kind] != nullptr) opened_series_[kind]->Increment();
}

void FleetMetrics::AddVulnerableDevices(v1::Severity severity, double delta) {
  if (!v1::Severity_IsValid(severity) || vulnerable_series_[severity] == nullptr) return;
  vulnerable_series_[severity]->Increment(delta);
}

void FleetMetrics::SetAdvisoriesNeedingReview(std::size_t count) {
  advisories_needing_review_.Set(static_cast<double>(count));
}

}  // namespace pumptrack::engine
