#ifndef PUMPTRACK_ENGINE_ADVISORY_RUNTIME_H_
#define PUMPTRACK_ENGINE_ADVISORY_RUNTIME_H_

#include <atomic>
#include <cstdint>
#include <optional>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
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
};

// Imported security advisories: stores new revisions (audited), puts them in force in the finding engine and
// re-evaluates the devices they concern; answers lists and look-ups. Imports and re-evaluations run as tasks on the
// ingest writer, the one thread that writes fleet state, so the revision check and the writes cannot race with
// reports. Thread-safe.
class AdvisoryRuntime {
 public:
  // Everything must outlive the runtime.
  AdvisoryRuntime(storage::Database* database, storage::DeviceStore* devices, storage::AuditLog* audit,
                  FindingEngine* engine, IngestPipeline* ingest, AdvisoryRuntimeOptions options = {})
      : options_(options),
        database_(database),
        devices_(devices),
        audit_(audit),
        engine_(engine),
        ingest_(ingest),
        store_(database),
        findings_(database) {}

  // Puts every stored advisory in force in the finding engine (start-up: before the first evaluation, so the
  // re-evaluation after loading the policy keeps VULNERABLE findings). DATA_LOSS if a stored advisory does not parse.
  absl::Status Load();

  // Stores `advisories` (already parsed and validated) in one write with one audit entry ("advisories.import"; target
  // the tracking ids, before/after the replaced and new revisions): all or nothing. A revision replaces the stored
  // revision of its tracking id only when it is newer (advisories::CompareAdvisoryRevisions); an older one is
  // FAILED_PRECONDITION and the same revision ALREADY_EXISTS, both naming it (`what` prefixes messages per advisory,
  // e.g. "files[1] (icsma-23-193-01.json)"), and then nothing is stored. Two revisions of one advisory in a call are
  // ordered the same way as against the stored one. Once stored, the advisories are put in force and the devices of
  // the models and component models their mapped products name (and those the replaced revisions named) are
  // re-evaluated against the imported advisories only (no other rule can have changed), a chunk at a time in asset
  // tag order, before this returns; no other device is read.
  absl::StatusOr<std::vector<v1::AdvisorySummary>> Import(const std::vector<v1::Advisory>& advisories,
                                                          const std::vector<std::string>& what,
                                                          const storage::Actor& actor, absl::Time now);

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

 private:
  // Re-evaluates the devices of `targets` (FleetIndex::DevicesWithTargets) against the advisories of
  // `tracking_ids`, a chunk per writer task.
  absl::Status Reevaluate(const std::vector<std::string>& targets,
                          const absl::flat_hash_set<std::string>& tracking_ids);

  const AdvisoryRuntimeOptions options_;

  storage::Database* const database_;
  storage::DeviceStore* const devices_;
  storage::AuditLog* const audit_;
  FindingEngine* const engine_;
  IngestPipeline* const ingest_;
  storage::AdvisoryStore store_;
  storage::FindingStore findings_;
  std::atomic<std::uint64_t> reevaluated_{0};
};

}  // namespace pumptrack::engine

#endif  // PUMPTRACK_ENGINE_ADVISORY_RUNTIME_H_
