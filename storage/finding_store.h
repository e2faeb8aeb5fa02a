#ifndef PUMPTRACK_STORAGE_FINDING_STORE_H_
#define PUMPTRACK_STORAGE_FINDING_STORE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "pumptrack/v1/finding.pb.h"
#include "rocksdb/write_batch.h"
#include "storage/database.h"

namespace pumptrack::storage {

// Exact-match filters for ListFindings; empty strings and UNSPECIFIED enums match everything, except that an
// unspecified state matches open and acknowledged findings only.
struct FindingFilter {
  v1::FindingKind kind = v1::FINDING_KIND_UNSPECIFIED;
  v1::Severity severity = v1::SEVERITY_UNSPECIFIED;
  v1::FindingState state = v1::FINDING_STATE_UNSPECIFIED;
  std::string facility;
  std::string unit;
  std::string asset_tag;
};

struct FindingPage {
  std::vector<v1::Finding> findings;
  // Resume with findings numbered below this; 0 when the listing is complete.
  std::uint64_t next_below = 0;
};

// "F-<number>" and back. INVALID_ARGUMENT for an id of another form.
std::string FindingId(std::uint64_t number);
absl::StatusOr<std::uint64_t> ParseFindingId(absl::string_view id);

// Whom a finding is about, as the open and per-device indexes key it: the device's asset tag, or for a unit's
// finding (PAR_LOW, no asset tag) "unit:<facility>/<unit>", which is never a valid asset tag.
std::string FindingSubject(const v1::Finding& finding);
inline constexpr absl::string_view kUnitSubjectPrefix = "unit:";

// Findings: every finding ever raised (open, acknowledged, resolved), an index of each device's findings, and an
// index of the open finding of each (device, rule). Stage* calls add to a caller's batch, so findings are written
// atomically with the device change that caused them. Reads may come from any thread.
class FindingStore {
 public:
  explicit FindingStore(Database* database) : database_(database) {}

  // Stages `finding` (whose id carries its number): the record, the device index and, while it is open or
  // acknowledged, the (device, rule) open index; once resolved, the open index entry is removed.
  absl::Status Stage(const v1::Finding& finding, rocksdb::WriteBatch& batch) const;
  // Stages the number the next new finding will get.
  absl::Status StageNextNumber(std::uint64_t next, rocksdb::WriteBatch& batch) const;

  // The number the next new finding gets (1 in a new data directory).
  absl::StatusOr<std::uint64_t> LoadNextNumber() const;
  // Every open or acknowledged finding, in (device, rule) order. For start-up.
  absl::StatusOr<std::vector<v1::Finding>> LoadOpen() const;

  // NOT_FOUND for an unknown id.
  absl::StatusOr<v1::Finding> Get(absl::string_view id) const;
  // Up to `limit` findings matching `filter` numbered below `below` (0 = from the newest), newest first. A page may
  // hold fewer than `limit` while more remain (the scan per call is bounded); continue while next_below is set.
  absl::StatusOr<FindingPage> List(const FindingFilter& filter, std::uint64_t below, int limit) const;

 private:
  absl::StatusOr<v1::Finding> GetByNumber(std::uint64_t number) const;

  Database* database_;
};

}  // namespace pumptrack::storage

#endif  // PUMPTRACK_STORAGE_FINDING_STORE_H_
