#ifndef PUMPTRACK_STORAGE_ADVISORY_STORE_H_
#define PUMPTRACK_STORAGE_ADVISORY_STORE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "pumptrack/v1/advisory.pb.h"
#include "rocksdb/write_batch.h"
#include "storage/database.h"

namespace pumptrack::storage {

struct AdvisoryPage {
  std::vector<v1::Advisory> advisories;
  // Resume after this tracking id; empty when the listing is complete.
  std::string next_after;
};

// The imported security advisories, one revision per advisory (the newest imported), in the advisories column family
// keyed by document.tracking.id (keys::AdvisoryKey). Writes go into the caller's batch, with the audit entry of the
// import, so an advisory is never stored without its entry; a backup carries the family like every other. Knows
// nothing of CSAF: the caller parses and orders revisions (advisories::CompareAdvisoryRevisions). Thread-safe.
class AdvisoryStore {
 public:
  // `database` must outlive the store.
  explicit AdvisoryStore(Database* database) : database_(database) {}

  // The stored revision of `tracking_id`, or nullopt. DATA_LOSS if the stored value does not parse.
  absl::StatusOr<std::optional<v1::Advisory>> Get(absl::string_view tracking_id) const;
  // Up to `limit` advisories with tracking id > `after` (all when `after` is empty), ordered by tracking id.
  absl::StatusOr<AdvisoryPage> List(absl::string_view after, int limit) const;
  // Every stored advisory, ordered by tracking id.
  absl::StatusOr<std::vector<v1::Advisory>> LoadAll() const;
  // Stages `advisory` (replacing any stored revision of its tracking id). INVALID_ARGUMENT for an empty tracking id.
  absl::Status Stage(const v1::Advisory& advisory, rocksdb::WriteBatch& batch) const;

  // --- Pending re-evaluations (meta family): an import's work on the fleet, kept until it is done ---
  // Stages `reevaluation` under `sequence` (in the import's batch, so the two are stored together).
  absl::Status StageReevaluation(std::uint64_t sequence, const v1::AdvisoryReevaluation& reevaluation,
                                 rocksdb::WriteBatch& batch) const;
  // Removes the re-evaluation `sequence` (a synced write); removing one that is not stored is OK.
  absl::Status DeleteReevaluation(std::uint64_t sequence) const;
  // Every stored re-evaluation with its sequence, in sequence order. DATA_LOSS for a key or value that does not parse.
  absl::StatusOr<std::vector<std::pair<std::uint64_t, v1::AdvisoryReevaluation>>> LoadReevaluations() const;

 private:
  Database* const database_;
};

}  // namespace pumptrack::storage

#endif  // PUMPTRACK_STORAGE_ADVISORY_STORE_H_
