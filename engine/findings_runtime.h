#ifndef PUMPTRACK_ENGINE_FINDINGS_RUNTIME_H_
#define PUMPTRACK_ENGINE_FINDINGS_RUNTIME_H_

#include <cstdint>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "engine/finding_engine.h"
#include "engine/ingest_pipeline.h"
#include "pumptrack/v1/device.pb.h"
#include "pumptrack/v1/finding.pb.h"
#include "pumptrack/v1/policy.pb.h"
#include "storage/audit_log.h"
#include "storage/database.h"
#include "storage/device_store.h"
#include "storage/policy_store.h"

namespace pumptrack::engine {

// Everything that changes findings outside a report: missing detection, re-evaluation after a policy change, policy
// changes, acknowledgements and new homes. Each change runs as a task on the ingest writer (the one thread that
// writes device state and findings) and is written with its audit entry in one batch. Thread-safe.
class FindingsRuntime {
 public:
  // Everything must outlive the runtime. Starts the missing detector and the re-evaluation thread.
  FindingsRuntime(storage::Database* database, storage::DeviceStore* devices, storage::AuditLog* audit,
                  FindingEngine* engine, IngestPipeline* ingest);
  // Stops (see Stop).
  ~FindingsRuntime();
  FindingsRuntime(const FindingsRuntime&) = delete;
  FindingsRuntime& operator=(const FindingsRuntime&) = delete;

  // Puts the policy in force at start-up: `path` when given (its text wins over a stored one; source FILE, applied by
  // "file:<path>" now; not stored), else the policy last applied through SetPolicy or a reload with the provenance
  // stored with it, else none. Then re-evaluates every device in the background.
  absl::Status LoadInitialPolicy(const std::string& path);
  // Reloads `path` (SIGHUP): stored (audited) with source RELOAD, applied by "file:<path>". An invalid file is refused
  // and the current policy stays.
  absl::StatusOr<v1::PolicyInfo> ReloadPolicyFile(const std::string& path);
  // Validates, stores (audited, with source SET and the actor as applied_by) and applies a policy, then re-evaluates
  // every device in the background.
  absl::StatusOr<v1::PolicyInfo> SetPolicy(absl::string_view text, const storage::Actor& actor);

  absl::StatusOr<v1::Finding> Acknowledge(absl::string_view id, absl::string_view note, const storage::Actor& actor);
  // The device's home becomes `unit` of the policy's site (INVALID_ARGUMENT for an unknown unit); its findings are
  // re-evaluated at once.
  absl::StatusOr<v1::Device> SetHome(absl::string_view asset_tag, absl::string_view unit, const storage::Actor& actor);

  // Flags every device whose missing deadline has passed. The detector thread calls it several times a second;
  // tests call it directly.
  absl::Status SweepMissing();
  // Re-evaluates every stored device, a page at a time, interleaved with ingest. Starts over if already running.
  void ReevaluateAll();
  // Blocks until no re-evaluation is pending (tests, tools).
  void WaitForReevaluation();

  // Stops the background threads. Idempotent; call before the ingest pipeline stops.
  void Stop();

 private:
  // Stores `policy` with its provenance (applied by `actor` now, from `source`) and the audit entry in one batch, then
  // puts it in force.
  absl::Status ApplyPolicy(std::shared_ptr<const rules::CompiledPolicy> policy, const storage::Actor& actor,
                           v1::PolicySource source);
  void DetectorLoop();
  void ReevaluatorLoop();
  // Re-evaluates one page of devices after `after_tag`; returns the last tag handled, or empty at the end.
  absl::StatusOr<std::string> ReevaluatePage(const std::string& after_tag);

  storage::Database* const database_;
  storage::DeviceStore* const devices_;
  storage::AuditLog* const audit_;
  storage::PolicyStore policies_;
  FindingEngine* const engine_;
  IngestPipeline* const ingest_;

  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // Bumped by every ReevaluateAll; the re-evaluator restarts when it changes.
  std::uint64_t reevaluation_requested_ ABSL_GUARDED_BY(mu_) = 0;
  std::uint64_t reevaluation_done_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Mutex policy_change_mu_;  // one policy change at a time

  std::thread detector_;
  std::thread reevaluator_;
};

}  // namespace pumptrack::engine

#endif  // PUMPTRACK_ENGINE_FINDINGS_RUNTIME_H_
