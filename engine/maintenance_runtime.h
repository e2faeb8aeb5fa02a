#ifndef PUMPTRACK_ENGINE_MAINTENANCE_RUNTIME_H_
#define PUMPTRACK_ENGINE_MAINTENANCE_RUNTIME_H_

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "engine/finding_engine.h"
#include "engine/ingest_pipeline.h"
#include "pumptrack/v1/maintenance.pb.h"
#include "storage/audit_log.h"
#include "storage/database.h"
#include "storage/device_store.h"
#include "storage/maintenance_store.h"

namespace pumptrack::engine {

// One piece of work to record, validated at the edge (kind known, text bounded).
struct MaintenanceWork {
  std::string asset_tag;
  v1::MaintenanceKind kind = v1::MAINTENANCE_KIND_UNSPECIFIED;
  absl::Time performed_at;
  // Empty: the actor.
  std::string performed_by;
  std::string notes;
  std::optional<absl::Time> next_due_override;
  // Set: the work was on the pump's component with this serial number (one it reports), not on the pump.
  std::string component_serial;
};

// Maintenance records, the PM schedule's findings (MAINTENANCE_DUE / MAINTENANCE_OVERDUE, rules/maintenance.h) and
// the due list. Every record runs as a task on the ingest writer and writes the record, the pump's new
// MaintenanceStatus, its re-evaluated findings and the audit entry in one batch. A sweeper re-evaluates pumps whose
// phase changed with time alone (a silent pump still becomes due). Thread-safe.
class MaintenanceRuntime {
 public:
  // Everything must outlive the runtime.
  MaintenanceRuntime(storage::Database* database, storage::DeviceStore* devices, storage::MaintenanceStore* store,
                     storage::AuditLog* audit, FindingEngine* engine, IngestPipeline* ingest);
  ~MaintenanceRuntime();
  MaintenanceRuntime(const MaintenanceRuntime&) = delete;
  MaintenanceRuntime& operator=(const MaintenanceRuntime&) = delete;

  // With `sweep_interval` > 0, starts the sweeper thread: it seeds the deadline queue with SweepAll, then wakes at
  // the earliest maintenance deadline (at most `sweep_interval` from now, since a write can set an earlier one at any
  // time) and calls Sweep.
  void Start(absl::Duration sweep_interval);
  // Stops the sweeper. Idempotent; call before the ingest pipeline stops.
  void Stop();

  // Records `work` for `actor`. NOT_FOUND for a pump never seen, and "component_serial: ..." for a component the
  // pump does not report; INVALID_ARGUMENT "performed_at: ..." for a time after the service clock,
  // "next_due_override: ..." for an override not after performed_at, "component_serial: ..." for a
  // battery_replacement naming a component that is not a battery module.
  absl::StatusOr<v1::RecordMaintenanceResponse> Record(const MaintenanceWork& work, const storage::Actor& actor);

  // Records every item of `works` in one write and one audit entry, or none: the first item that Record would refuse
  // refuses them all, its status message prefixed with "records[i]: " (a duplicate is skipped, not refused).
  absl::StatusOr<v1::ImportMaintenanceResponse> Import(const std::vector<MaintenanceWork>& works,
                                                       const storage::Actor& actor);

  // NOT_FOUND for a pump never seen.
  absl::StatusOr<storage::MaintenanceHistoryPage> History(absl::string_view asset_tag, std::uint64_t after,
                                                          int limit) const;

  // Pumps (not retired) whose PM is overdue, or due before now + `within` (unset: inside their warning window),
  // last reported in `unit` (empty: anywhere); soonest first. Scans the fleet.
  absl::StatusOr<std::vector<v1::DuePump>> Due(std::optional<absl::Duration> within, absl::string_view unit) const;

  // Re-evaluates the pumps whose maintenance deadline (FindingEngine::maintenance_deadlines) has passed at the
  // service clock, a chunk of kSweepChunk per writer task: reads only those pumps. A pump whose open maintenance
  // findings already match its schedule (its deadline was superseded) is not re-evaluated; its next deadline is set
  // again either way. The sweeper calls it; tests call it directly.
  absl::Status Sweep();
  // Scans the fleet a page at a time, each page compared on the writer (the open findings are writer-only state):
  // re-evaluates every pump whose maintenance findings differ from its schedule at the service clock, and offers
  // every other pump's next deadline to the queue. Seeds the queue after a start (the sweeper calls it
  // first); the fleet scan the sweep was before the queue (bench/maintenance_benchmark.cc compares them).
  absl::Status SweepAll();
  // How many pumps Sweep has read since the start (the deadline queue's whole point is that this stays small).
  std::uint64_t swept_pumps() const { return swept_pumps_.load(); }

  // Pumps per writer task of Sweep.
  static constexpr std::size_t kSweepChunk = 1000;

 private:
  // Writer thread: validates `work` against `device` (updated in place) and stages its record. nullopt for a
  // duplicate of a stored record or of one in `staged`.
  absl::StatusOr<std::optional<v1::MaintenanceRecord>> StageRecord(const MaintenanceWork& work,
                                                                   const storage::Actor& actor, absl::Time now,
                                                                   v1::Device& device,
                                                                   const std::vector<v1::MaintenanceRecord>& staged,
                                                                   rocksdb::WriteBatch& batch);
  void SweeperLoop(absl::Duration interval);

  storage::Database* const database_;
  storage::DeviceStore* const devices_;
  storage::MaintenanceStore* const store_;
  storage::AuditLog* const audit_;
  FindingEngine* const engine_;
  IngestPipeline* const ingest_;

  std::atomic<std::uint64_t> swept_pumps_{0};
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread sweeper_;
};

}  // namespace pumptrack::engine

#endif  // PUMPTRACK_ENGINE_MAINTENANCE_RUNTIME_H_
