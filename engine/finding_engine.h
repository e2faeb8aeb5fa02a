#ifndef PUMPTRACK_ENGINE_FINDING_ENGINE_H_
#define PUMPTRACK_ENGINE_FINDING_ENGINE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <queue>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "pumptrack/v1/custody.pb.h"
#include "pumptrack/v1/finding.pb.h"
#include "pumptrack/v1/policy.pb.h"
#include "rocksdb/write_batch.h"
#include "rules/checks.h"
#include "rules/custody.h"
#include "rules/policy.h"
#include "engine/finding_events.h"
#include "engine/fleet_metrics.h"
#include "storage/device_store.h"
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

struct RiskGroupSummary {
  std::string key;
  std::uint32_t devices = 0;
  std::uint32_t devices_at_risk = 0;
  std::uint32_t max_score = 0;
  double mean_score = 0;
  std::uint32_t open_findings = 0;
};

// Turns device state into findings and keeps them current.
//
// Threading: the Stage*/Commit/Abort calls belong to the one thread that writes device state (the ingest writer);
// every staged change is held aside until Commit, after the write that carries it is durable, and dropped by Abort.
// Everything else is thread-safe.
class FindingEngine {
 public:
  // Loads the open findings and the fleet (for missing detection, risk and metrics) from storage. `metrics` may be
  // null. Devices are given until max(last seen, now) + threshold before they count as missing, so a restart never
  // flags the fleet.
  static absl::StatusOr<std::unique_ptr<FindingEngine>> Create(storage::DeviceStore* devices,
                                                               storage::FindingStore* findings, FleetMetrics* metrics,
                                                               FindingEngineOptions options);

  // --- Policy (thread-safe) ---
  std::shared_ptr<const rules::CompiledPolicy> policy() const;
  v1::PolicyInfo policy_info() const;
  // Puts `policy` in force for every later evaluation and recomputes missing deadlines. Stored devices are
  // re-evaluated separately (see Reevaluator).
  void InstallPolicy(std::shared_ptr<const rules::CompiledPolicy> policy, std::string applied_by);

  // --- Writer thread ---
  // The hook for DeviceStore::Apply: evaluates the report and stages finding changes.
  absl::Status StageReport(const v1::Device* before, const v1::Device& after, rocksdb::WriteBatch& batch);
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
  // Makes the staged changes visible (events, metrics, missing index) once their write is durable.
  void Commit();
  // Drops the staged changes after a failed write.
  void Abort();

  // --- Thread-safe ---
  // Devices whose missing deadline has passed at `now` and that are not already missing; each is returned once until
  // it reports again.
  std::vector<std::string> TakeExpired(absl::Time now);
  // Puts every device that is not missing back into the deadline index (after a failed missing sweep).
  void RequeueAll();
  // The earliest pending deadline, if any.
  std::optional<absl::Time> NextDeadline() const;
  std::vector<RiskGroupSummary> Risk(v1::GetRiskRequest::GroupBy group_by, int limit) const;
  // The device's risk score and open finding count.
  std::pair<std::uint32_t, std::uint32_t> RiskOf(absl::string_view asset_tag) const;
  // Available pumps (see IsAvailable) in the unit now.
  std::uint32_t AvailableIn(absl::string_view facility, absl::string_view unit) const;
  struct AvailablePump {
    std::string asset_tag;
    std::string facility;
    std::string unit;
    v1::Proximity proximity = v1::PROXIMITY_UNSPECIFIED;
    absl::Time heard;
  };
  // Up to `count` available pumps nearest `near` first, then most recently heard from, then by tag.
  std::vector<AvailablePump> FindAvailable(const v1::Unit& near, int count) const;
  FindingEventBus& events() { return events_; }
  absl::Time clock() const { return options_.clock(); }
  std::size_t tracked_devices() const;
  // Approximate bytes of the in-memory fleet index (devices and deadlines), for the performance figures.
  std::size_t index_bytes() const;

 private:
  // What the engine remembers of each device, compactly.
  struct Tracked {
    std::int64_t heard_s = 0;  // service clock seconds: max(last seen, service start)
    std::uint32_t place = 0;   // index into places_
    std::uint16_t open = 0;    // open findings
    std::uint8_t risk = 0;     // 0-100
    std::uint8_t state = 0;    // v1::OperatingState
    bool missing = false;      // an open missing.not_seen finding
    bool queued = false;       // has an entry in deadlines_
    std::uint8_t custody = 0;  // v1::CustodyState
    bool blocked = false;      // has an open finding that keeps it out of service (rules::BlocksService)
  };
  // Available to hand out: custody AVAILABLE, not missing, not blocked, idle or off.
  static bool IsAvailable(const Tracked& device);
  struct Place {
    std::string facility;
    std::string unit;
  };
  // Tag -> index into tags_/tracked_, hashing the tag through tags_ so each tag is stored once.
  struct TagHash {
    using is_transparent = void;
    const std::vector<std::string>* tags;
    std::size_t operator()(std::uint32_t id) const { return absl::Hash<absl::string_view>()((*tags)[id]); }
    std::size_t operator()(absl::string_view tag) const { return absl::Hash<absl::string_view>()(tag); }
  };
  struct TagEq {
    using is_transparent = void;
    const std::vector<std::string>* tags;
    absl::string_view View(std::uint32_t id) const { return (*tags)[id]; }
    absl::string_view View(absl::string_view tag) const { return tag; }
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const { return View(a) == View(b); }
  };
  using Deadline = std::pair<std::int64_t, std::uint32_t>;  // (deadline seconds, device id)

  // A device's state as staged, applied to tracked_ on Commit.
  struct DeviceUpdate {
    Place place;
    v1::OperatingState state = v1::OPERATING_STATE_UNSPECIFIED;
    std::optional<absl::Time> heard;  // set when the device reported
    std::uint32_t risk = 0;
    std::uint32_t open = 0;
    bool missing = false;
    v1::CustodyState custody = v1::CUSTODY_STATE_AVAILABLE;
    bool blocked = false;
  };
  struct Staged {
    absl::flat_hash_map<std::string, std::vector<v1::Finding>> open;
    absl::flat_hash_map<std::string, DeviceUpdate> devices;
    std::vector<v1::FindingEvent> events;
    // Set by BeginStaging: the number of the next new finding, and the service time of this write.
    std::uint64_t next_number = 0;
    absl::Time now;
  };

  FindingEngine(storage::DeviceStore* devices, storage::FindingStore* findings, FleetMetrics* metrics,
                FindingEngineOptions options);

  // Starts a staging session on its first Stage* call: reads the clock once for the whole write.
  void BeginStaging();
  // The device's open findings as staged so far in this write (or as committed).
  std::vector<v1::Finding>& StagedOpen(const std::string& tag);
  // Reconciles the device's open findings with `violations`: opens, refreshes and resolves.
  absl::Status Reconcile(const v1::Device& device, const std::vector<rules::Violation>& violations, bool reported,
                         rocksdb::WriteBatch& batch);
  // The same for the findings of one subject (storage::FindingSubject): a device, or a unit (empty asset_tag).
  // `facility` and `unit` are where the subject is.
  absl::Status ReconcileSubject(const std::string& subject, const std::string& asset_tag, const std::string& facility,
                                const std::string& unit, const std::vector<rules::Violation>& violations,
                                bool reported, rocksdb::WriteBatch& batch);
  void StageDeviceUpdate(const v1::Device& device, bool reported);
  // Risk, counts and flags of a device's open findings.
  static void Summarize(const std::vector<v1::Finding>& open, DeviceUpdate& update);
  Place PlaceOf(const v1::Location& location) const;
  Place PlaceOf(const std::string& facility, const std::string& unit) const;
  // Adds the whole fleet index to the metrics (after loading, which does not publish per device).
  void PublishFleetMetrics() ABSL_EXCLUSIVE_LOCKS_REQUIRED(fleet_mu_);
  std::uint32_t InternPlace(const Place& place) ABSL_EXCLUSIVE_LOCKS_REQUIRED(fleet_mu_);
  std::int64_t DeadlineOf(const Tracked& device) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(fleet_mu_);
  void Track(const std::string& tag, const DeviceUpdate& update) ABSL_EXCLUSIVE_LOCKS_REQUIRED(fleet_mu_);
  void RebuildDeadlines() ABSL_EXCLUSIVE_LOCKS_REQUIRED(fleet_mu_);

  storage::DeviceStore* const devices_;
  storage::FindingStore* const findings_;
  FleetMetrics* const metrics_;
  const FindingEngineOptions options_;
  const absl::Time started_;

  mutable absl::Mutex policy_mu_;
  std::shared_ptr<const rules::CompiledPolicy> policy_ ABSL_GUARDED_BY(policy_mu_);
  v1::PolicyInfo policy_info_ ABSL_GUARDED_BY(policy_mu_);

  // Writer thread only.
  absl::flat_hash_map<std::string, std::vector<v1::Finding>> open_;
  // The subjects in open_ that are units (PAR_LOW), so the PAR sweep never walks every device's findings.
  absl::flat_hash_set<std::string> open_units_;
  std::uint64_t next_number_ = 1;
  Staged staged_;

  mutable absl::Mutex fleet_mu_;
  std::vector<std::string> tags_ ABSL_GUARDED_BY(fleet_mu_);
  std::vector<Tracked> tracked_ ABSL_GUARDED_BY(fleet_mu_);
  absl::flat_hash_set<std::uint32_t, TagHash, TagEq> ids_ ABSL_GUARDED_BY(fleet_mu_);
  std::vector<Place> places_ ABSL_GUARDED_BY(fleet_mu_);
  std::vector<std::uint32_t> available_ ABSL_GUARDED_BY(fleet_mu_);  // per place
  bool loading_ ABSL_GUARDED_BY(fleet_mu_) = false;  // Create's scan: Track leaves the metrics to PublishFleetMetrics
  absl::flat_hash_map<std::string, std::uint32_t> place_ids_ ABSL_GUARDED_BY(fleet_mu_);
  std::priority_queue<Deadline, std::vector<Deadline>, std::greater<>> deadlines_ ABSL_GUARDED_BY(fleet_mu_);

  FindingEventBus events_;
};

// Writes `batch` synced (when it holds anything), then commits `engine`'s staged changes; aborts them when the write
// fails. On the writer thread, at the end of a task that staged changes.
absl::Status WriteAndCommit(storage::Database& database, FindingEngine& engine, rocksdb::WriteBatch& batch);

}  // namespace pumptrack::engine

#endif  // PUMPTRACK_ENGINE_FINDING_ENGINE_H_
