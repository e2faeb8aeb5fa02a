#ifndef PUMPTRACK_STORAGE_UTILIZATION_STORE_H_
#define PUMPTRACK_STORAGE_UTILIZATION_STORE_H_

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "rocksdb/iterator.h"
#include "rocksdb/write_batch.h"
#include "storage/database.h"

namespace pumptrack::storage {

// Time per operating state, indexed by the pumptrack.v1.OperatingState number (0 = not reported, 1 infusing,
// 2 idle, 3 alarm, 4 off), in milliseconds.
using StateMillis = std::array<std::int64_t, 5>;

// A device's utilization at one of its operating-state (or unit, or model) changes: the state it entered at `at`,
// where it was, and the time it had spent in each state before, since it was first seen. The time in a window is the
// difference of two such cumulative readings, so a query costs two lookups per device whatever the window.
struct UtilizationCheckpoint {
  std::int64_t at_millis = 0;  // Unix milliseconds (agent clock: the observation's observed_at)
  int state = 0;               // the v1::OperatingState entered at `at_millis`
  StateMillis cumulative{};    // time per state before `at_millis`
  std::string facility;
  std::string unit;
  std::string model;

  // The cumulative time per state at `millis` (>= at_millis): the checkpoint's plus the time since in `state`.
  StateMillis CumulativeAt(std::int64_t millis) const;
};

// A unit's pumps infusing at once within one hour: the most at any moment of it, and how many at its end (the level
// carried into the following hours until the next change).
struct PeakBucket {
  std::uint32_t max = 0;
  std::uint32_t last = 0;
};

// The "utilization" column family: per-device operating-state checkpoints and per-unit hourly peak-use buckets
// (docs/UTILIZATION.md). Stages into the caller's batch (the writer's, with the state change itself); reads from any
// thread.
class UtilizationStore {
 public:
  explicit UtilizationStore(Database* database) : database_(database) {}

  absl::Status StageCheckpoint(absl::string_view asset_tag, const UtilizationCheckpoint& checkpoint,
                               rocksdb::WriteBatch& batch) const;
  absl::Status StagePeak(absl::string_view facility, absl::string_view unit, std::int64_t hour,
                         const PeakBucket& bucket, rocksdb::WriteBatch& batch) const;

  // The bucket stored for (facility, unit, hour), if any.
  absl::StatusOr<std::optional<PeakBucket>> GetPeak(absl::string_view facility, absl::string_view unit,
                                                    std::int64_t hour) const;

  // Reads with one iterator (one consistent snapshot): use one per query, from one thread.
  class Reader {
   public:
    // The device's latest checkpoint at or before `millis`; nullopt when it has none that early.
    absl::StatusOr<std::optional<UtilizationCheckpoint>> CheckpointAt(absl::string_view asset_tag,
                                                                      std::int64_t millis);
    // The most pumps of the unit infusing at once within hours [from_hour, to_hour], counting those infusing since
    // before from_hour.
    absl::StatusOr<std::uint32_t> PeakIn(absl::string_view facility, absl::string_view unit, std::int64_t from_hour,
                                         std::int64_t to_hour);
    // The unit's newest bucket and its hour; nullopt when it has none.
    absl::StatusOr<std::optional<std::pair<std::int64_t, PeakBucket>>> LatestPeak(absl::string_view facility,
                                                                                   absl::string_view unit);

   private:
    friend class UtilizationStore;
    explicit Reader(std::unique_ptr<rocksdb::Iterator> iterator) : iterator_(std::move(iterator)) {}
    std::unique_ptr<rocksdb::Iterator> iterator_;
  };
  Reader NewReader() const;

  // Calls `visit` with the asset tag of every device that has a checkpoint, in asset-tag order; stops at its first
  // error and returns it.
  absl::Status ForEachDevice(const std::function<absl::Status(absl::string_view asset_tag)>& visit) const;

 private:
  Database* database_;
};

// Value encodings, exposed for the tests.
std::string EncodeCheckpoint(const UtilizationCheckpoint& checkpoint);
absl::StatusOr<UtilizationCheckpoint> DecodeCheckpoint(std::int64_t at_millis, absl::string_view value);

}  // namespace pumptrack::storage

#endif  // PUMPTRACK_STORAGE_UTILIZATION_STORE_H_
