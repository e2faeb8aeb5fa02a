#ifndef PUMPTRACK_ENGINE_UTILIZATION_ROLLUP_H_
#define PUMPTRACK_ENGINE_UTILIZATION_ROLLUP_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "engine/string_ids.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"
#include "pumptrack/v1/device.pb.h"
#include "pumptrack/v1/report.pb.h"
#include "rocksdb/write_batch.h"
#include "rules/policy.h"
#include "storage/utilization_store.h"

namespace pumptrack::engine {

// The policy in force (for the units' PAR levels).
using PolicyGetter = std::function<std::shared_ptr<const rules::CompiledPolicy>()>;

// The utilization roll-up (docs/UTILIZATION.md), kept as operating-state changes are applied: on the ingest writer,
// every accepted report passes Stage with the device's new state; a change of operating state, unit or model adds
// one checkpoint (the time the pump has spent in each state so far) and appends the transition to its unit's and its
// model's hour and day buckets (merge operands), in the report's own write batch. A report that changes none of
// these costs one hash lookup. Devices are queried from their checkpoints (two readings per device, whatever the
// window), units and models from the group buckets. The per-unit peak gauge is kept in memory from the same
// transitions.
//
// Stage, Commit, Abort and Load run on the writer (or before it starts); Query from any thread.
class UtilizationRollup {
 public:
  // `store` must outlive the roll-up; `policy` (PAR levels) may be empty. `registry`, when set, gets the
  // per-unit gauge pumptrack_unit_infusing_peak (the most pumps infusing at once in the current hour).
  UtilizationRollup(storage::UtilizationStore* store, PolicyGetter policy, prometheus::Registry* registry = nullptr);

  UtilizationRollup(const UtilizationRollup&) = delete;
  UtilizationRollup& operator=(const UtilizationRollup&) = delete;

  // Reads each device's latest checkpoint and, for the gauge, each unit's newest hour with a pump starting or
  // stopping infusing (from the unit's group buckets). Call once before the writer starts; it does not call `policy`
  // (the server loads it beside the fleet index). `expected_devices` sizes the table (0 if unknown).
  absl::Status Load(std::size_t expected_devices = 0);

  // Writer: stages what the change from the device's previous state to `after` adds to the roll-up.
  absl::Status Stage(const v1::Device& after, rocksdb::WriteBatch& batch);
  // Writer: the staged changes are durable / were not written.
  void Commit();
  void Abort();

  // Time per state over [since, until) (until clamped to `now`), grouped. Any thread. Units and models are read from
  // the pre-aggregated group buckets (one iterator); devices from their checkpoints, in asset-tag order: with
  // `page_size` > 0 at most that many rows after the tag `page_after`, and `*next_after` (when set) gets the last tag
  // read if more may follow, else "".
  absl::StatusOr<v1::GetUtilizationResponse> Query(absl::Time since, absl::Time until, absl::Time now,
                                                   v1::UtilizationGrouping group_by, absl::string_view page_after = "",
                                                   int page_size = 0, std::string* next_after = nullptr) const;

 private:
  // A unit's pumps infusing after every change so far and the changes of its newest hour with one (in memory, for
  // the gauge).
  struct UnitLevel {
    std::string facility;
    std::string unit;
    std::int64_t infusing = 0;
    std::int64_t hour = -1;
    storage::PeakBucket bucket;
  };

  // A device's latest committed checkpoint as the writer keeps it: the checkpoint with its facility, unit and model
  // interned (64 bytes against 152, for every pump of the fleet).
  struct Cursor {
    std::int64_t at_millis = 0;
    storage::StateMillis cumulative{};
    std::uint32_t facility = 0;  // index into names_, as are unit and model
    std::uint32_t unit = 0;
    std::uint32_t model = 0;
    int state = 0;
  };

  Cursor Compact(const storage::UtilizationCheckpoint& checkpoint);
  void SetCursor(const std::string& tag, const Cursor& cursor);
  storage::UtilizationCheckpoint Expand(const Cursor& cursor) const;
  UnitLevel& StagedUnit(const std::string& facility, const std::string& unit);
  void AdjustUnit(const std::string& facility, const std::string& unit, int delta, std::int64_t at_millis);
  void PublishPeak(const UnitLevel& level);
  absl::Status StageGroups(const storage::UtilizationCheckpoint* before, const storage::UtilizationCheckpoint& after,
                           rocksdb::WriteBatch& batch) const;
  absl::Status QueryGroups(std::int64_t from, std::int64_t to, v1::UtilizationGrouping group_by,
                           v1::GetUtilizationResponse& response) const;

  storage::UtilizationStore* const store_;
  const PolicyGetter policy_;
  prometheus::Family<prometheus::Gauge>* peak_family_ = nullptr;

  // Writer-only: each device's latest checkpoint and each unit's level, committed and staged in the current write.
  StringIds device_ids_;
  std::vector<Cursor> cursors_;  // by device id
  absl::flat_hash_map<std::string, storage::UtilizationCheckpoint> staged_cursors_;
  // Every facility, unit and model name a cursor holds, once; id 0 is "" (see the constructor).
  StringIds names_;
  absl::flat_hash_map<std::string, UnitLevel> units_;
  absl::flat_hash_map<std::string, UnitLevel> staged_units_;
  absl::flat_hash_map<std::string, prometheus::Gauge*> peak_series_;
};

}  // namespace pumptrack::engine

#endif  // PUMPTRACK_ENGINE_UTILIZATION_ROLLUP_H_
