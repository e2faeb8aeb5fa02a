#ifndef PUMPTRACK_ENGINE_ADVISORY_RUNTIME_H_
#define PUMPTRACK_ENGINE_ADVISORY_RUNTIME_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "engine/finding_engine.h"
#include "engine/ingest_pipeline.h"
#include "pumptrack/v1/advisory.pb.h"
#include "storage/advisory_store.h"
#include "storage/audit_log.h"
#include "storage/database.h"
#include "storage/device_store.h"
#include "storage/finding_store.h"

namespace pumptrack::engine {

struct AdvisoryRuntimeOptions {
  // Devices re-evaluated per writer task on an import: read with one MultiGet, written with one synced batch. Larger
  // is faster; each task holds the writer (and so reports) for its whole chunk.
  std::size_t chunk_devices = 2048;
  // After a background re-evaluation fails (e.g. the disk is full), the wait before it is tried again doubles from
  // this, up to `retry_max`.
  absl::Duration retry_initial = absl::Seconds(1);
  absl::Duration retry_max = absl::Minutes(1);
};

// Imported security advisories: stores new revisions (audited), puts them in force in the finding engine and
// re-evaluates the devices they concern; answers lists and look-ups. Imports and re-evaluations run as tasks on the
// ingest writer, the one thread that writes fleet state, so the revision check and the writes cannot race with
// reports.
//
// An import stores its advisories together with a durable re-evaluation record (v1::AdvisoryReevaluation) naming
// them; the record is removed once every pump they concern has been re-evaluated. The caller's thread does that work
// (an import that waits), or the runtime's own background thread (findings_in_background); a record left by a crash
// or a stop is resumed in the background after Load. So a stored advisory always ends with its VULNERABLE findings.
// Thread-safe.
class AdvisoryRuntime {
 public:
  // Everything must outlive the runtime. Starts the background thread.
  AdvisoryRuntime(storage::Database* database, storage::DeviceStore* devices, storage::AuditLog* audit,
                  FindingEngine* engine, IngestPipeline* ingest, AdvisoryRuntimeOptions options = {});
  // Stops (see Stop).
  ~AdvisoryRuntime();
  AdvisoryRuntime(const AdvisoryRuntime&) = delete;
  AdvisoryRuntime& operator=(const AdvisoryRuntime&) = delete;

  // Puts every stored advisory in force in the finding engine (start-up: before the first evaluation, so the
  // re-evaluation after loading the policy keeps VULNERABLE findings) and reads the stored re-evaluation records.
  // DATA_LOSS if a stored advisory or record does not parse.
  absl::Status Load();
  // Hands the re-evaluations Load read to the background thread. Call once the policy is in force: which devices an
  // advisory concerns depends on its product mapping.
  void Resume();

  // Stops the background thread after the chunk it is writing (before the ingest pipeline stops); what is left of
  // its re-evaluations stays recorded for the next start. Idempotent.
  void Stop() ABSL_LOCKS_EXCLUDED(jobs_mu_);

  // Stores `advisories` (already parsed and validated) in one write with one audit entry ("advisories.import"; target
  // the tracking ids, before/after the replaced and new revisions) and their re-evaluation record: all or nothing. A
  // revision replaces the stored revision of its tracking id only when it is newer
  // (advisories::CompareAdvisoryRevisions); an older one is FAILED_PRECONDITION and the same revision ALREADY_EXISTS,
  // both naming it (`what` prefixes messages per advisory, e.g. "files[1] (icsma-23-193-01.json)"), and then nothing
  // is stored. Two revisions of one advisory in a call are ordered the same way as against the stored one.
  //
  // Once stored, the advisories are in force and matched against the fleet in memory (each summary's
  // matched_devices). The devices to re-evaluate are those of the models and component models the advisories' mapped
  // products name, and those with an open VULNERABLE finding of them (which a replaced revision may have named); they
  // are re-evaluated against the imported advisories only (no other rule can have changed), a chunk per writer task
  // in asset tag order; no other device is read. `in_background` false: before this returns (on an error the rest
  // goes to the background thread and the error names what is stored); true: behind it, findings_pending counting
  // down.
  absl::StatusOr<std::vector<v1::AdvisorySummary>> Import(const std::vector<v1::Advisory>& advisories,
                                                          const std::vector<std::string>& what,
                                                          const storage::Actor& actor, absl::Time now,
                                                          bool in_background = false);

  // The stored revision of `tracking_id`; NOT_FOUND naming it if none.
  absl::StatusOr<v1::Advisory> Get(absl::string_view tracking_id) const;
  // A page of summaries after `after` (see storage::AdvisoryStore::List).
  absl::StatusOr<std::vector<v1::AdvisorySummary>> List(absl::string_view after, int limit,
                                                        std::string* next_after) const;

  // Read path (any thread, never the writer): up to `limit` pumps with an open VULNERABLE finding of `tracking_id`,
  // in asset tag order after `after`, each with its last location, custody, finding and what matched (evaluated
  // against the advisories in force). `next_after` is the last asset tag when more follow, else empty; `total` the
  // number affected in all. NOT_FOUND naming the advisory when it is not imported. A pump whose finding resolves
  // between the index read and the record read is left out of the page.
  absl::StatusOr<std::vector<v1::AffectedDevice>> ListAffected(absl::string_view tracking_id, absl::string_view after,
                                                               int limit, std::string* next_after, int* total) const;
  // Read path: up to `limit` imported products no advisory_products entry of the policy in force maps, ordered by
  // (tracking id, vendor, product) after the cursor `after` (empty: from the start), each with the policy's models
  // that look alike (rules::SimilarModels). `next_after` is the cursor of the last one when more follow, else empty.
  std::vector<v1::UnmappedAdvisoryProduct> ListUnmapped(absl::string_view after, int limit,
                                                        std::string* next_after) const;

  // Devices read and re-evaluated by imports since start-up (each device once per import).
  std::uint64_t reevaluated_devices() const { return reevaluated_.load(std::memory_order_relaxed); }
  // Devices still to re-evaluate for `tracking_id` (0 when its findings are complete).
  int FindingsPending(absl::string_view tracking_id) const ABSL_LOCKS_EXCLUDED(jobs_mu_);

 private:
  // One import's re-evaluation: the devices to read, in asset tag order, and how far it has come.
  struct Reevaluation {
    std::uint64_t sequence = 0;  // of its durable record
    absl::flat_hash_set<std::string> tracking_ids;
    bool planned = false;  // `tags` listed (Plan)
    std::vector<std::string> tags;
    std::size_t done = 0;
    // What this re-evaluation adds to pending_ for each of its tracking ids: the estimate of Describe until planned.
    std::int64_t counted = 0;
  };

  // The re-evaluation of `tracking_ids` under record `sequence`, not yet planned, counted as pending with the
  // devices of the advisories' targets (from the fleet index's profile counts, without listing them): the answer to
  // an import must not wait for a million asset tags to be listed and sorted.
  Reevaluation Describe(std::uint64_t sequence, absl::flat_hash_set<std::string> tracking_ids)
      ABSL_LOCKS_EXCLUDED(jobs_mu_);
  // Lists `job`'s devices as the fleet stands now (any thread; Run does it first) and corrects its pending count.
  void Plan(Reevaluation& job) ABSL_LOCKS_EXCLUDED(jobs_mu_);
  // Re-evaluates the rest of `job`, a chunk per writer task, then removes its record. `interruptible`: returns
  // CANCELLED between chunks once Stop is called.
  absl::Status Run(Reevaluation& job, bool interruptible) ABSL_LOCKS_EXCLUDED(jobs_mu_);
  void Enqueue(Reevaluation job) ABSL_LOCKS_EXCLUDED(jobs_mu_);
  // The background thread: runs queued re-evaluations in order, retrying a failed one after a growing wait.
  void WorkLoop();
  // The next queued re-evaluation, after waiting `delay` (unless stopping); nullopt once stopping.
  std::optional<Reevaluation> NextJob(absl::Duration delay) ABSL_LOCKS_EXCLUDED(jobs_mu_);
  bool stopping() const ABSL_LOCKS_EXCLUDED(jobs_mu_);
  // Pumps matched by `tracking_id` now: each advisory profile of its targets matched once (see FleetIndex).
  int MatchedDevices(const rules::CompiledAdvisories& compiled, const std::string& tracking_id) const;
  v1::AdvisorySummary Summary(const v1::Advisory& advisory, const rules::CompiledAdvisories& compiled) const;

  const AdvisoryRuntimeOptions options_;

  storage::Database* const database_;
  storage::DeviceStore* const devices_;
  storage::AuditLog* const audit_;
  FindingEngine* const engine_;
  IngestPipeline* const ingest_;
  storage::AdvisoryStore store_;
  storage::FindingStore findings_;
  std::atomic<std::uint64_t> reevaluated_{0};
  // The sequence of the next re-evaluation record (set by Load past every stored one; taken on the writer).
  std::atomic<std::uint64_t> next_sequence_{1};
  // Read by Load, for Resume: start-up only, before any import, so not guarded.
  std::vector<std::pair<std::uint64_t, v1::AdvisoryReevaluation>> stored_reevaluations_;

  mutable absl::Mutex jobs_mu_;
  absl::CondVar jobs_cv_;
  std::deque<Reevaluation> queue_ ABSL_GUARDED_BY(jobs_mu_);
  bool stopping_ ABSL_GUARDED_BY(jobs_mu_) = false;
  // Tracking id -> devices its pending re-evaluations (queued, running, or run by an importing caller) have left.
  absl::flat_hash_map<std::string, std::int64_t> pending_ ABSL_GUARDED_BY(jobs_mu_);
  std::thread worker_;
};

}  // namespace pumptrack::engine

#endif  // PUMPTRACK_ENGINE_ADVISORY_RUNTIME_H_
