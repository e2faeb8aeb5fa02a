#ifndef PUMPTRACK_ENGINE_CUSTODY_RUNTIME_H_
#define PUMPTRACK_ENGINE_CUSTODY_RUNTIME_H_

#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "engine/finding_engine.h"
#include "engine/fleet_metrics.h"
#include "engine/ingest_pipeline.h"
#include "pumptrack/v1/custody.pb.h"
#include "storage/audit_log.h"
#include "storage/custody_store.h"
#include "storage/database.h"
#include "storage/device_store.h"

namespace pumptrack::engine {

// What a person asks of a pump's custody; which fields matter depends on the action.
struct CustodyRequest {
  std::string asset_tag;
  v1::CustodyAction action = v1::CUSTODY_ACTION_UNSPECIFIED;
  // CHECK_OUT: the destination; CHECK_IN: where it is handed over. A unit id of the policy's site.
  std::string unit;
  // The person's reason or notes.
  std::string reason;
  // CHECK_OUT.
  absl::Duration due_in = absl::ZeroDuration();
  bool permanent_transfer = false;
  // CHECK_IN.
  std::string observed_seal_id;
};

// Custody actions, the overdue check and PAR levels. Every action runs as a task on the ingest writer (the one thread
// that writes device state), so actions on one pump are serialized with each other and with its reports: of two
// racing check-outs exactly one succeeds. Each action writes the pump's new custody, its chain-of-custody event, its
// re-evaluated findings and the audit entry in one batch. Thread-safe.
class CustodyRuntime {
 public:
  // Everything must outlive the runtime; `metrics` may be null. Call Load before serving.
  CustodyRuntime(storage::Database* database, storage::DeviceStore* devices, storage::CustodyStore* custody,
                 storage::AuditLog* audit, FindingEngine* engine, IngestPipeline* ingest, FleetMetrics* metrics);
  // Stops (see Stop).
  ~CustodyRuntime();
  CustodyRuntime(const CustodyRuntime&) = delete;
  CustodyRuntime& operator=(const CustodyRuntime&) = delete;

  // Loads the open check-outs. With `sweep_interval` > 0, starts a thread that calls Sweep that often.
  absl::Status Load(absl::Duration sweep_interval);

  // Applies `request` for `actor` (whose role the caller checked). NOT_FOUND for a pump never seen,
  // INVALID_ARGUMENT for a unit the site does not list, FAILED_PRECONDITION for a transition the state table refuses
  // (or a release while blocking findings are open).
  absl::StatusOr<v1::CustodyResult> Act(const CustodyRequest& request, const storage::Actor& actor);

  absl::StatusOr<storage::CustodyHistoryPage> History(absl::string_view asset_tag, std::uint64_t after,
                                                      int limit) const;
  // Open check-outs, soonest due first.
  absl::StatusOr<std::vector<v1::CheckedOutPump>> ListCheckouts(bool overdue_only) const;
  // INVALID_ARGUMENT for a unit the site does not list.
  absl::StatusOr<v1::FindAvailableResponse> FindAvailable(absl::string_view near_unit, int count) const;

  // Re-evaluates every check-out that has become overdue (raising OVERDUE) and every unit's PAR level. The sweeper
  // calls it; tests call it directly.
  absl::Status Sweep();

  // Stops the sweeper. Idempotent; call before the ingest pipeline stops.
  void Stop();

 private:
  struct Checkout {
    absl::Time due;
    bool overdue_flagged = false;
  };

  // Writer thread: the whole action, from reading the device to the durable write.
  absl::StatusOr<v1::CustodyResult> ActOnWriter(const CustodyRequest& request, const storage::Actor& actor);
  absl::Status SweepOverdue(absl::Time now);
  absl::Status SweepParLevels();
  void SweeperLoop(absl::Duration interval);
  void PublishCheckoutMetrics() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  storage::Database* const database_;
  storage::DeviceStore* const devices_;
  storage::CustodyStore* const custody_;
  storage::AuditLog* const audit_;
  FindingEngine* const engine_;
  IngestPipeline* const ingest_;
  FleetMetrics* const metrics_;

  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Checkout> checkouts_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread sweeper_;
};

}  // namespace pumptrack::engine

#endif  // PUMPTRACK_ENGINE_CUSTODY_RUNTIME_H_
