#ifndef PUMPTRACK_ENGINE_FLEET_METRICS_H_
#define PUMPTRACK_ENGINE_FLEET_METRICS_H_

#include <array>
#include <cstddef>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"
#include "pumptrack/v1/device.pb.h"
#include "pumptrack/v1/finding.pb.h"
#include "pumptrack/v1/policy.pb.h"

namespace pumptrack::engine {

// Fleet-state gauges, kept incrementally by the finding engine (never a scan per scrape). Labels name only
// facilities, units, states, kinds and severities, all bounded by the site policy and the protocol; never a device.
// Thread-safe.
class FleetMetrics {
 public:
  explicit FleetMetrics(prometheus::Registry& registry);

  void AddDevices(const std::string& facility, const std::string& unit, v1::OperatingState state, double delta);
  void AddMissing(const std::string& facility, const std::string& unit, double delta);
  void AddOpenFindings(v1::FindingKind kind, v1::Severity severity, double delta);
  void CountOpened(v1::FindingKind kind);
  // Pumps available to hand out (see FindingEngine::FindAvailable) in a unit.
  void AddAvailable(const std::string& facility, const std::string& unit, double delta);
  // Every unit's PAR level from the policy's site; units with none have no series.
  void SetParLevels(const v1::Site& site);
  void SetCheckouts(std::size_t open, std::size_t overdue);
  // Pumps with an open VULNERABLE finding, by the highest severity among them (no per-device label).
  void AddVulnerableDevices(v1::Severity severity, double delta);
  // Imported advisories with at least one product whose range needs review.
  void SetAdvisoriesNeedingReview(std::size_t count);

 private:
  prometheus::Family<prometheus::Gauge>& devices_;
  prometheus::Family<prometheus::Gauge>& missing_;
  prometheus::Family<prometheus::Gauge>& findings_open_;
  prometheus::Family<prometheus::Counter>& findings_opened_;
  prometheus::Family<prometheus::Gauge>& unit_available_;
  prometheus::Family<prometheus::Gauge>& unit_par_level_;
  prometheus::Gauge& checkouts_open_;
  prometheus::Gauge& checkouts_overdue_;
  prometheus::Family<prometheus::Gauge>& devices_vulnerable_;
  prometheus::Gauge& advisories_needing_review_;
  std::array<prometheus::Gauge*, v1::Severity_ARRAYSIZE> vulnerable_series_{};
  absl::Mutex mu_;
  // Series are created on first use of a label set and cached here, so each update is one hash lookup.
  absl::flat_hash_map<std::string, prometheus::Gauge*> device_series_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, prometheus::Gauge*> missing_series_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, prometheus::Gauge*> available_series_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, prometheus::Gauge*> par_series_ ABSL_GUARDED_BY(mu_);
  std::array<std::array<prometheus::Gauge*, v1::Severity_ARRAYSIZE>, v1::FindingKind_ARRAYSIZE> findings_series_{};
  std::array<prometheus::Counter*, v1::FindingKind_ARRAYSIZE> opened_series_{};
};

}  // namespace pumptrack::engine

#endif  // PUMPTRACK_ENGINE_FLEET_METRICS_H_
