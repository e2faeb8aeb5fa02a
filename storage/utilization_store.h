#ifndef PUMPTRACK_STORAGE_UTILIZATION_STORE_H_
#define PUMPTRACK_STORAGE_UTILIZATION_STORE_H_

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

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
// difference of two such cumulative readings, so a query reads two per device whatever the window.
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

// A unit's changes in the number of its pumps infusing within one hour: +1 when one starts (or arrives infusing), -1
// when one stops (or leaves), at milliseconds into the hour, in time order. Kept in memory by the roll-up for the
// newest hour of each unit (the Prometheus gauge); versions before session 10 also stored one per unit and hour
// (keys::UtilizationPeakKey), which is no longer written or read.
struct PeakBucket {
  std::vector<std::pair<std::int32_t, std::int8_t>> changes;  // (milliseconds into the hour, +1 or -1)

  void Add(std::int32_t offset_millis, std::int8_t delta);
  // The hour's net change, and the highest level reached relative to the level at its start (at least 0). Changes
  // at the same millisecond count stops first.
  std::int64_t Net() const;
  std::int64_t MaxRise() const;
};

// Pre-aggregated groups: every pump's transitions into, within and out of a unit (facility, unit) or a model, kept per
// group and hour (and per group and day, for the level at a window's start), so a window query for units or models
// reads each group's buckets with one iterator instead of two lookups per pump.
enum class UtilizationGroupKind : char { kUnit = 'u', kModel = 'm' };
// One pump's transition within a group: from a state (kNoState: it joined the group, first seen or moved in) to a
// state (kNoState: it left the group), at a Unix millisecond.
inline constexpr std::uint8_t kNoState = 0xff;
struct GroupChange {
  std::int64_t at_millis = 0;
  std::uint8_t from = kNoState;
  std::uint8_t to = kNoState;
};
// A group's figures over a window [from, to).
struct GroupWindow {
  std::string first;   // facility (unit) or model
  std::string second;  // unit; empty for a model
  StateMillis time{};  // pump-time per state
  // Pumps in the group at the window's start plus those that joined it inside the window (a pump joining twice
  // counts twice).
  std::int64_t devices = 0;
  // The most pumps infusing at once within the window's whole hours: [hour start of from, end of the hour of to - 1),
  // counting those infusing since before; transitions at the same millisecond count stops first.
  std::int64_t peak_infusing = 0;
};
// Pure: a group's window from its level at `start_millis` (pumps per state, before any change at start_millis) and its
// changes at or after start_millis, in any order; `peak`: compute peak_infusing (units). Exposed for the tests.
GroupWindow FoldGroup(const StateMillis& level_at_start, std::int64_t start_millis, std::vector<GroupChange> changes,
                      std::int64_t from, std::int64_t to, bool peak = true);

// The "utilization" column family: per-device operating-state checkpoints and per-group (unit, model) hour and day
// buckets of transitions (docs/UTILIZATION.md). Stages into the caller's batch (the writer's, with the state change
// itself); reads from any thread.
class UtilizationStore {
 public:
  explicit UtilizationStore(Database* database) : database_(database) {}

  absl::Status StageCheckpoint(absl::string_view asset_tag, const UtilizationCheckpoint& checkpoint,
                               rocksdb::WriteBatch& batch) const;

  // Appends `change` to the group's hour and day buckets (merge operands: no read on the writer).
  absl::Status StageGroupChange(UtilizationGroupKind kind, absl::string_view first, absl::string_view second,
                                const GroupChange& change, rocksdb::WriteBatch& batch) const;

  // Calls `visit` with every group of `kind` that had a pump within [from, to), in key order (one iterator, one
  // consistent snapshot): the level at the window's day start from the day buckets, then the hour buckets from that
  // day's first hour to the hour of to - 1.
  absl::Status ForEachGroupWindow(UtilizationGroupKind kind, std::int64_t from, std::int64_t to,
                                  const std::function<absl::Status(GroupWindow window)>& visit) const;

  // Calls `visit` with every group of `kind`, in key order, and its newest hour with a transition into or out of
  // infusing: the hour (since the epoch) and that hour's changes in the number of its pumps infusing. Groups without
  // such an hour are skipped.
  absl::Status ForEachGroupLatestInfusingHour(
      UtilizationGroupKind kind,
      const std::function<absl::Status(const std::string& first, const std::string& second, std::int64_t hour,
                                       const PeakBucket& bucket)>& visit) const;

  // A device's two readings around a window: its latest checkpoint at or before the window's start (none when it was
  // first seen later) and its latest at or before the window's end.
  struct DeviceWindow {
    std::string asset_tag;
    std::optional<UtilizationCheckpoint> start;
    UtilizationCheckpoint end;
  };
  // Calls `visit` with every device that has a checkpoint at or before `to`, in asset-tag order, from the first tag
  // after `after` (empty: the first), until `visit` sets `*stop`; stops at its first error and returns it. One forward
  // pass over the checkpoints with one iterator (one consistent snapshot): no seek per device, so each block is read
  // and decompressed once, and the pass does not fill the block cache.
  absl::Status ForEachDeviceWindow(
      std::int64_t from, std::int64_t to, absl::string_view after,
      const std::function<absl::Status(const DeviceWindow& device, bool* stop)>& visit) const;

 private:
  Database* database_;
};

// Value encodings, exposed for the tests.
std::string EncodeCheckpoint(const UtilizationCheckpoint& checkpoint);
absl::StatusOr<UtilizationCheckpoint> DecodeCheckpoint(std::int64_t at_millis, absl::string_view value);

}  // namespace pumptrack::storage

#endif  // PUMPTRACK_STORAGE_UTILIZATION_STORE_H_
