#ifndef PUMPTRACK_ENGINE_FINDING_ENGINE_H_
#define PUMPTRACK_ENGINE_FINDING_ENGINE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "engine/active_policy.h"
#include "engine/finding_events.h"
#include "engine/fleet_index.h"
#include "engine/fleet_metrics.h"
#include "engine/maintenance_deadlines.h"
#include "pumptrack/v1/custody.pb.h"
#include "pumptrack/v1/finding.pb.h"
#include "pumptrack/v1/policy.pb.h"
#include "rocksdb/write_batch.h"
#include "rules/advisory_check.h"
#include "rules/checks.h"
#include "rules/custody.h"
#include "rules/policy.h"
#include "storage/database.h"
#include "storage/device_store.h"
#include "storage/device_summary.h"
#include "storage/finding_store.h"

namespace pumptrack::engine {

struct FindingEngineOptions {
  // Replaces every missing threshold of the policy when positive (pumptrackd --missing_after).
  absl::Duration missing_after_override = absl::ZeroDuration();
  // Service clock.
  std::function<absl::Time()> clock = [] { return absl::Now(); };
  // Events a WatchFindings subscriber may fall behind by before it gets a RESYNC.
  std::size_t watcher_capacity = 1024;
};

// Turns device state into findings and keeps them current. It owns finding reconciliation (opening, refreshing and
// resolving each subject's findings from the rules' violations) and the staging of those changes; it holds the parts
// with their own responsibility and delegates to them:
// - ActivePolicy: the policy in force and its provenance;
// - FleetIndex: the compact fleet index (missing-deadline queue, risk aggregation, availability search, fleet gauges);
// - FindingEventBus: the committed changes, for WatchFindings.
//
// Threading: the Stage* calls belong to the one thread that writes device state (the ingest writer), each inside a
// FindingTransaction: every staged change is held aside until the transaction commits, after the write that carries
// it is durable, and dropped when it ends uncommitted. Everything else is thread-safe.
class FindingEngine {
 public:
  // Loads the open findings and the fleet (for missing detection, risk and metrics) from storage. `metrics` may be
  // null. Devices are given until max(last seen, now) + threshold before they count as missing, so a restart never
  // flags the fleet.
  static absl::StatusOr<std::unique_ptr<FindingEngine>> Create(storage::DeviceStore* devices,
                                                               storage::FindingStore* findings, FleetMetrics* metrics,
                                                               FindingEngineOptions options);

  // --- Policy (thread-safe) ---
  std::shared_ptr<const rules::CompiledPolicy> policy() const { return policy_.get(); }
  v1::PolicyInfo policy_info() const { return policy_.info(); }
  // Puts `policy` in force for every later evaluation, with its provenance (applied_by, applied_at, source), and
  // recomputes missing deadlines. Stored devices are re-evaluated separately (see FindingsRuntime::ReevaluateAll).
  void InstallPolicy(std::shared_ptr<const rules::CompiledPolicy> policy, const v1::PolicyInfo& provenance);
  // The same, applied now by `applied_by` from no particular source (tests, tools).
  void InstallPolicy(std::shared_ptr<const rules::CompiledPolicy> policy, std::string applied_by);

  // --- Advisories (thread-safe) ---
  // Puts `advisories` (every stored advisory) in force for every later evaluation, compiled against the policy's
  // advisory_products (recompiled whenever a policy is installed). Devices are re-evaluated separately (see
  // AdvisoryRuntime).
  void InstallAdvisories(std::vector<v1::Advisory> advisories);
  std::shared_ptr<const rules::CompiledAdvisories> advisories() const;
  // Devices with an open (or acknowledged) VULNERABLE finding of this advisory, as committed.
  int AffectedDevices(absl::string_view tracking_id) const;
  // Up to `limit` (asset tag, finding number) pairs of the devices AffectedDevices counts, in asset tag order, after
  // `after` (empty: from the start). `more` (may be null) is set when more follow.
  std::vector<std::pair<std::string, std::uint64_t>> AffectedPage(absl::string_view tracking_id,
                                                                  absl::string_view after, int limit, bool* more) const;
  // The devices of these advisory targets (see FleetIndex::DevicesWithTargets).
  std::vector<std::string> DevicesWithTargets(const std::vector<std::string>& targets) const {
    return fleet_.DevicesWithTargets(targets);
  }
  // The advisory profiles of these targets' devices with their device counts (see FleetIndex::ProfilesWithTargets).
  std::vector<std::pair<rules::AdvisoryProfile, std::size_t>> ProfilesWithTargets(
      const std::vector<std::string>& targets) const {
    return fleet_.ProfilesWithTargets(targets);
  }

  // --- Writer thread, inside a FindingTransaction ---
  // The hook for DeviceStore::Apply: evaluates the report and stages finding changes.
  absl::Status StageReport(const v1::Device* before, const v1::Device& after, rocksdb::WriteBatch& batch);
  // Re-evaluates a stored device against the advisories of `tracking_ids` only (an import: no other rule can have
  // changed): opens, refreshes or resolves their VULNERABLE findings and leaves every other finding as it is. Stages
  // nothing for a device that has none of their findings and matches none of them.
  absl::Status StageAdvisoryReevaluation(const v1::Device& device, const absl::flat_hash_set<std::string>& tracking_ids,
                                         rocksdb::WriteBatch& batch);
  // Re-evaluates a stored device under the current policy (one-off rules and missing are left as they are), adding
  // `extra` violations found outside the rules (a check-in's seal mismatch).
  absl::Status StageReevaluation(const v1::Device& device, rocksdb::WriteBatch& batch,
                                 const std::vector<rules::Violation>& extra = {});
  // Opens, refreshes or resolves each unit's PAR_LOW finding from the committed count of available pumps (and
  // resolves those of units the policy no longer gives a PAR level).
  absl::Status StageParLevels(rocksdb::WriteBatch& batch);
  // The device's open findings as committed (empty if none).
  std::vector<v1::Finding> OpenFindingsOf(const std::string& asset_tag) const;
  // Opens the MISSING finding if the device has stayed silent past its threshold; false if it has not.
  absl::StatusOr<bool> StageMissingIfSilent(const v1::Device& device, rocksdb::WriteBatch& batch);
  // Records an acknowledgement; resolves one-off findings. NOT_FOUND, or FAILED_PRECONDITION once resolved.
  absl::StatusOr<v1::Finding> StageAcknowledge(absl::string_view id, absl::string_view actor, absl::string_view note,
                                               rocksdb::WriteBatch& batch);

  // --- Thread-safe: the fleet index ---
  std::vector<std::string> TakeExpired(absl::Time now, std::size_t limit = SIZE_MAX) {
    return fleet_.TakeExpired(now, limit);
  }
  void RequeueAll() { fleet_.RequeueAll(); }
  std::optional<absl::Time> NextDeadline() const { return fleet_.NextDeadline(); }
  // Each pump's next maintenance change (rules::NextMaintenanceChange), set from every evaluation as it commits.
  MaintenanceDeadlines& maintenance_deadlines() { return maintenance_deadlines_; }
  std::vector<RiskGroupSummary> Risk(v1::GetRiskRequest::GroupBy group_by, int limit) const {
    return fleet_.Risk(group_by, limit);
  }
  std::pair<std::uint32_t, std::uint32_t> RiskOf(absl::string_view asset_tag) const { return fleet_.RiskOf(asset_tag); }
  std::uint32_t AvailableIn(absl::string_view facility, absl::string_view unit) const {
    return fleet_.AvailableIn(facility, unit);
  }
  using AvailablePump = FleetIndex::AvailablePump;
  std::vector<AvailablePump> FindAvailable(const v1::Unit& near, int count) const {
    return fleet_.FindAvailable(near, count);
  }
  std::size_t tracked_devices() const { return fleet_.tracked_devices(); }
  std::size_t index_bytes() const { return fleet_.index_bytes(); }

  FindingEventBus& events() { return events_; }
  absl::Time clock() const { return options_.clock(); }

 private:
  friend class FindingTransaction;

  // One write's staged changes, applied on Commit.
  struct Staged {
    absl::flat_hash_map<std::string, std::vector<v1::Finding>> open;
    absl::flat_hash_map<std::string, DeviceUpdate> devices;
    std::vector<v1::FindingEvent> events;
    // Per evaluated device: its next maintenance change, for maintenance_deadlines_.
    absl::flat_hash_map<std::string, std::optional<absl::Time>> maintenance_next;
    // Set by BeginStaging: the number of the next new finding, and the service time of this write.
    std::uint64_t next_number = 0;
    absl::Time now;
  };

  FindingEngine(storage::DeviceStore* devices, storage::FindingStore* findings, FleetMetrics* metrics,
                FindingEngineOptions options);

  // Starts a staging session on its first Stage* call: reads the clock once for the whole write.
  void BeginStaging();
  // Makes the staged changes visible (events, metrics, fleet index) once their write is durable.
  void Commit();
  // Drops the staged changes after a failed write.
  void Abort();
  // The device's open findings as staged so far in this write (or as committed).
  std::vector<v1::Finding>& StagedOpen(const std::string& tag);
  // Reconciles the device's open findings with `violations`: opens, refreshes and resolves.
  absl::Status Reconcile(const v1::Device& device, const std::vector<rules::Violation>& violations, bool reported,
                         rocksdb::WriteBatch& batch);
  // The same for the findings of one subject (storage::FindingSubject): a device, or a unit (empty asset_tag).
  // `facility` and `unit` are where the subject is.
  // When `scope` is set, only findings it accepts are opened, refreshed or resolved; the others are left as they are.
  absl::Status ReconcileSubject(const std::string& subject, const std::string& asset_tag, const std::string& facility,
                                const std::string& unit, const std::vector<rules::Violation>& violations, bool reported,
                                rocksdb::WriteBatch& batch,
                                std::optional<absl::FunctionRef<bool(const v1::Finding&)>> scope = std::nullopt);
  void StageDeviceUpdate(const v1::Device& device, bool reported);
  // Moves the per-advisory affected counts from a subject's committed open findings to its new ones.
  void CountAffected(const std::vector<v1::Finding>* before, const std::vector<v1::Finding>& after);
  // `violations` plus the VULNERABLE ones of the advisories in force.
  std::vector<rules::Violation> WithAdvisories(std::vector<rules::Violation> violations,
                                               const v1::Device& device) const;
  // Risk, counts and flags of a device's open findings.
  static void Summarize(const std::vector<v1::Finding>& open, DeviceUpdate& update);
  // A stored device as the fleet index takes it at start-up (Create), with its open findings summarized.
  DeviceUpdate LoadedUpdate(const storage::DeviceSummary& device) const;

  storage::DeviceStore* const devices_;
  storage::FindingStore* const findings_;
  FleetMetrics* const metrics_;
  const FindingEngineOptions options_;
  const absl::Time started_;

  ActivePolicy policy_;
  FleetIndex fleet_;
  MaintenanceDeadlines maintenance_deadlines_;

  mutable absl::Mutex advisories_mu_;
  std::shared_ptr<const std::vector<v1::Advisory>> advisory_list_ ABSL_GUARDED_BY(advisories_mu_) =
      std::make_shared<const std::vector<v1::Advisory>>();
  std::shared_ptr<const rules::CompiledAdvisories> advisories_ ABSL_GUARDED_BY(advisories_mu_) =
      rules::CompiledAdvisories::Empty();
  // Tracking id -> asset tag -> number of its open VULNERABLE finding of it (see AffectedDevices, AffectedPage).
  absl::flat_hash_map<std::string, absl::btree_map<std::string, std::uint64_t>> affected_
      ABSL_GUARDED_BY(advisories_mu_);

  // Writer thread only.
  absl::flat_hash_map<std::string, std::vector<v1::Finding>> open_;
  // The subjects in open_ that are units (PAR_LOW), so the PAR sweep never walks every device's findings.
  absl::flat_hash_set<std::string> open_units_;
  std::uint64_t next_number_ = 1;
  Staged staged_;

  FindingEventBus events_;
};

// One write's finding changes (RAII). Open it on the writer thread before the first Stage* call of a write, and
// Commit it once the write that carries the staged changes is durable; destroyed uncommitted, it drops them, so an
// early return can never leave changes staged for the next write. At most one is open at a time.
class FindingTransaction {
 public:
  // `engine` may be null (the ingest pipeline without findings): then Commit and WriteAndCommit only write.
  explicit FindingTransaction(FindingEngine* engine) : engine_(engine) {}
  ~FindingTransaction() {
    if (engine_ != nullptr && !committed_) engine_->Abort();
  }
  FindingTransaction(const FindingTransaction&) = delete;
  FindingTransaction& operator=(const FindingTransaction&) = delete;

  // Makes the staged changes visible. Call after the write that carries them is durable; once.
  void Commit();
  // Writes `batch` synced (when it holds anything), then commits. When the write fails, returns its error and the
  // staged changes are dropped.
  absl::Status WriteAndCommit(storage::Database& database, rocksdb::WriteBatch& batch);

 private:
  FindingEngine* const engine_;
  bool committed_ = false;
};

}  // namespace pumptrack::engine

#endif  // PUMPTRACK_ENGINE_FINDING_ENGINE_H_
