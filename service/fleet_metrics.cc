#include "service/fleet_metrics.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace pumptrack::service {
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
                           .Register(registry)) {
  for (int kind = v1::FindingKind_MIN + 1; kind <= v1::FindingKind_MAX; ++kind) {
    const std::string kind_label = Label(v1::FindingKind_Name(kind), "FINDING_KIND_");
    opened_series_[kind] = &findings_opened_.Add({{"kind", kind_label}});
    for (int severity = v1::Severity_MIN + 1; severity <= v1::Severity_MAX; ++severity) {
      findings_series_[kind][severity] = &findings_open_.Add(
          {{"kind", kind_label}, {"severity", Label(v1::Severity_Name(severity), "SEVERITY_")}});
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

void FleetMetrics::AddOpenFindings(v1::FindingKind kind, v1::Severity severity, double delta) {
  if (!v1::FindingKind_IsValid(kind) || !v1::Severity_IsValid(severity) || findings_series_[kind][severity] == nullptr) {
    return;
  }
  findings_series_[kind][severity]->Increment(delta);
}

void FleetMetrics::CountOpened(v1::FindingKind kind) {
  if (v1::FindingKind_IsValid(kind) && opened_series_[kind] != nullptr) opened_series_[kind]->Increment();
}

}  // namespace pumptrack::service
