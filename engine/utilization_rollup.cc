#include "engine/utilization_rollup.h"

#include <algorithm>
#include <limits>
#include <map>
#include <optional>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "rules/policy.h"
#include "storage/proto_time.h"

namespace pumptrack::engine {
namespace {

constexpr std::int64_t kMillisPerHour = 3'600'000;

std::int64_t HourOf(std::int64_t millis) {
  return millis >= 0 ? millis / kMillisPerHour : (millis - kMillisPerHour + 1) / kMillisPerHour;
}

std::string UnitKey(const std::string& facility, const std::string& unit) {
  return absl::StrCat(facility, "\x1f", unit);
}

bool Infusing(int state) { return state == v1::OPERATING_STATE_INFUSING; }

void AddTime(v1::StateTime& time, const storage::StateMillis& millis) {
  time.set_unknown_ms(time.unknown_ms() + millis[v1::OPERATING_STATE_UNSPECIFIED]);
  time.set_infusing_ms(time.infusing_ms() + millis[v1::OPERATING_STATE_INFUSING]);
  time.set_idle_ms(time.idle_ms() + millis[v1::OPERATING_STATE_IDLE]);
  time.set_alarm_ms(time.alarm_ms() + millis[v1::OPERATING_STATE_ALARM]);
  time.set_off_ms(time.off_ms() + millis[v1::OPERATING_STATE_OFF]);
}

void SetShare(v1::UtilizationRow& row) {
  const v1::StateTime& t = row.time();
  const std::int64_t known = t.infusing_ms() + t.idle_ms() + t.alarm_ms() + t.off_ms();
  row.set_infusing_share(known > 0 ? static_cast<double>(t.infusing_ms()) / static_cast<double>(known) : 0.0);
}

}  // namespace

UtilizationRollup::UtilizationRollup(storage::UtilizationStore* store, PolicyGetter policy,
                                     prometheus::Registry* registry)
    : store_(store), policy_(std::move(policy)) {
  names_.Intern("");  // id 0: no facility, unit or model
  if (registry != nullptr) {
    peak_family_ = &prometheus::BuildGauge()
                        .Name("pumptrack_unit_infusing_peak")
                        .Help(
                            "The most pumps of a unit infusing at once in the current hour (the figure a PAR level "
                            "is set from; see docs/UTILIZATION.md)")
                        .Register(*registry);
  }
}

absl::Status UtilizationRollup::Load(std::size_t expected_devices) {
  device_ids_.clear();
  cursors_.clear();
  device_ids_.reserve(expected_devices);
  cursors_.reserve(expected_devices);
  units_.clear();
  constexpr std::int64_t kEnd = std::numeric_limits<std::int64_t>::max();
  RETURN_IF_ERROR(store_->ForEachDeviceWindow(
      kEnd, kEnd, "", [&](const storage::UtilizationStore::DeviceWindow& device, bool*) -> absl::Status {
        SetCursor(device.asset_tag, Compact(device.end));
        return absl::OkStatus();
      }));
  // Each unit's pumps infusing now, from its pumps' latest checkpoints.
  for (const Cursor& cursor : cursors_) {
    if (cursor.unit == 0 || !Infusing(cursor.state)) continue;
    const std::string& facility = names_[cursor.facility];
    const std::string& unit = names_[cursor.unit];
    UnitLevel& level = units_[UnitKey(facility, unit)];
    level.facility = facility;
    level.unit = unit;
    ++level.infusing;
  }
  // The gauge's hour: each unit's newest hour with a start or stop, from its group buckets.
  const auto newest_hour = [&](const std::string& facility, const std::string& unit, std::int64_t hour,
                               const storage::PeakBucket& bucket) -> absl::Status {
    if (unit.empty()) return absl::OkStatus();  // pumps seen in no unit have no gauge
    UnitLevel& level = units_[UnitKey(facility, unit)];
    level.facility = facility;
    level.unit = unit;
    level.hour = hour;
    level.bucket = bucket;
    return absl::OkStatus();
  };
  RETURN_IF_ERROR(store_->ForEachGroupLatestInfusingHour(storage::UtilizationGroupKind::kUnit, newest_hour));
  for (const auto& [key, level] : units_) PublishPeak(level);
  return absl::OkStatus();
}

void UtilizationRollup::SetCursor(const std::string& tag, const Cursor& cursor) {
  const auto [id, is_new] = device_ids_.Intern(tag);
  if (is_new) {
    cursors_.push_back(cursor);
  } else {
    cursors_[id] = cursor;
  }
}

UtilizationRollup::Cursor UtilizationRollup::Compact(const storage::UtilizationCheckpoint& checkpoint) {
  return Cursor{.at_millis = checkpoint.at_millis,
                .cumulative = checkpoint.cumulative,
                .facility = names_.Intern(checkpoint.facility).first,
                .unit = names_.Intern(checkpoint.unit).first,
                .model = names_.Intern(checkpoint.model).first,
                .state = checkpoint.state};
}

storage::UtilizationCheckpoint UtilizationRollup::Expand(const Cursor& cursor) const {
  storage::UtilizationCheckpoint checkpoint;
  checkpoint.at_millis = cursor.at_millis;
  checkpoint.state = cursor.state;
  checkpoint.cumulative = cursor.cumulative;
  checkpoint.facility = names_[cursor.facility];
  checkpoint.unit = names_[cursor.unit];
  checkpoint.model = names_[cursor.model];
  return checkpoint;
}

UtilizationRollup::UnitLevel& UtilizationRollup::StagedUnit(const std::string& facility, const std::string& unit) {
  const std::string key = UnitKey(facility, unit);
  auto [it, inserted] = staged_units_.try_emplace(key);
  if (inserted) {
    if (auto committed = units_.find(key); committed != units_.end()) {
      it->second = committed->second;
    } else {
      it->second.facility = facility;
      it->second.unit = unit;
    }
  }
  return it->second;
}

void UtilizationRollup::AdjustUnit(const std::string& facility, const std::string& unit, int delta,
                                   std::int64_t at_millis) {
  if (unit.empty()) return;  // a pump seen in no unit has no unit to count in
  UnitLevel& level = StagedUnit(facility, unit);
  level.infusing += delta;
  const std::int64_t hour = HourOf(at_millis);
  // A change in an earlier hour than the unit's newest (agents' buffers, skewed clocks) only moves the level: the
  // gauge shows the newest hour. Queries take peaks from the group buckets, which hold every hour's changes.
  if (hour < level.hour) return;
  if (hour > level.hour) {
    level.hour = hour;
    level.bucket = storage::PeakBucket();
  }
  level.bucket.Add(static_cast<std::int32_t>(at_millis - hour * kMillisPerHour), static_cast<std::int8_t>(delta));
}

absl::Status UtilizationRollup::Stage(const v1::Device& after, rocksdb::WriteBatch& batch) {
  const v1::Observation& observation = after.last_observation();
  const std::string& tag = after.identity().asset_tag();
  const int state = observation.operating_state();
  const std::string& facility = observation.location().facility();
  const std::string& unit = observation.location().unit();
  const std::string& model = after.identity().model();
  // The device's latest checkpoint: staged earlier in this write, or committed (expanded only when it changes).
  const storage::UtilizationCheckpoint* cursor = nullptr;
  std::optional<storage::UtilizationCheckpoint> committed;
  if (auto staged = staged_cursors_.find(tag); staged != staged_cursors_.end()) {
    cursor = &staged->second;
  } else if (std::optional<std::uint32_t> id = device_ids_.Find(tag)) {
    const Cursor& c = cursors_[*id];
    if (c.state == state && names_[c.unit] == unit && names_[c.facility] == facility && names_[c.model] == model) {
      return absl::OkStatus();  // nothing the roll-up counts changed: the common case
    }
    cursor = &committed.emplace(Expand(c));
  }
  if (cursor != nullptr && cursor->state == state && cursor->unit == unit && cursor->facility == facility &&
      cursor->model == model) {
    return absl::OkStatus();  // the same for a device reported twice in one write
  }
  storage::UtilizationCheckpoint next;
  next.at_millis = absl::ToUnixMillis(storage::ToAbslTime(observation.observed_at()));
  // The pipeline accepts an observation as the newest by sequence; one stamped earlier than the device's last change
  // (a skewed clock) takes effect at that change, never rewriting time already counted.
  if (cursor != nullptr && next.at_millis < cursor->at_millis) next.at_millis = cursor->at_millis;
  if (cursor != nullptr) next.cumulative = cursor->CumulativeAt(next.at_millis);
  next.state = state;
  next.facility = facility;
  next.unit = unit;
  next.model = model;
  RETURN_IF_ERROR(store_->StageCheckpoint(tag, next, batch));
  RETURN_IF_ERROR(StageGroups(cursor, next, batch));

  const bool was_infusing = cursor != nullptr && Infusing(cursor->state);
  const bool moved = cursor != nullptr && (cursor->facility != facility || cursor->unit != unit);
  if (was_infusing && (!Infusing(state) || moved)) AdjustUnit(cursor->facility, cursor->unit, -1, next.at_millis);
  if (Infusing(state) && (!was_infusing || moved)) AdjustUnit(facility, unit, +1, next.at_millis);
  staged_cursors_[tag] = std::move(next);
  return absl::OkStatus();
}

void UtilizationRollup::Commit() {
  for (const auto& [tag, checkpoint] : staged_cursors_) SetCursor(tag, Compact(checkpoint));
  for (auto& [key, level] : staged_units_) {
    PublishPeak(level);
    units_[key] = std::move(level);
  }
  staged_cursors_.clear();
  staged_units_.clear();
}

void UtilizationRollup::Abort() {
  staged_cursors_.clear();
  staged_units_.clear();
}

void UtilizationRollup::PublishPeak(const UnitLevel& level) {
  if (peak_family_ == nullptr) return;
  prometheus::Gauge*& gauge = peak_series_[UnitKey(level.facility, level.unit)];
  if (gauge == nullptr) gauge = &peak_family_->Add({{"facility", level.facility}, {"unit", level.unit}});
  const std::int64_t at_start = level.infusing - level.bucket.Net();
  gauge->Set(static_cast<double>(std::max<std::int64_t>(0, at_start + level.bucket.MaxRise())));
}

absl::Status UtilizationRollup::StageGroups(const storage::UtilizationCheckpoint* before,
                                            const storage::UtilizationCheckpoint& after,
                                            rocksdb::WriteBatch& batch) const {
  // A state this version does not know counts as not reported.
  const auto code = [](int state) {
    return static_cast<std::uint8_t>(state >= 0 && state < static_cast<int>(storage::StateMillis().size()) ? state : 0);
  };
  const std::uint8_t to = code(after.state);
  const std::int64_t at = after.at_millis;
  const auto stage = [&](storage::UtilizationGroupKind kind, absl::string_view first_before,
                         absl::string_view second_before, absl::string_view first_after,
                         absl::string_view second_after) -> absl::Status {
    if (before == nullptr) {
      return store_->StageGroupChange(kind, first_after, second_after, {at, storage::kNoState, to}, batch);
    }
    const std::uint8_t from = code(before->state);
    if (first_before == first_after && second_before == second_after) {
      if (from == to) return absl::OkStatus();
      return store_->StageGroupChange(kind, first_after, second_after, {at, from, to}, batch);
    }
    RETURN_IF_ERROR(store_->StageGroupChange(kind, first_before, second_before, {at, from, storage::kNoState}, batch));
    return store_->StageGroupChange(kind, first_after, second_after, {at, storage::kNoState, to}, batch);
  };
  RETURN_IF_ERROR(stage(storage::UtilizationGroupKind::kUnit, before != nullptr ? before->facility : "",
                        before != nullptr ? before->unit : "", after.facility, after.unit));
  return stage(storage::UtilizationGroupKind::kModel, before != nullptr ? before->model : "", "", after.model, "");
}

absl::Status UtilizationRollup::QueryGroups(std::int64_t from, std::int64_t to, v1::UtilizationGrouping group_by,
                                            v1::GetUtilizationResponse& response) const {
  const bool by_unit = group_by == v1::UTILIZATION_GROUPING_UNIT;
  absl::flat_hash_map<std::string, std::uint32_t> par_levels;
  std::shared_ptr<const rules::CompiledPolicy> policy;
  if (policy_ && by_unit) policy = policy_();
  if (policy != nullptr) {
    for (const v1::Unit& unit : policy->proto().site().units()) {
      par_levels[UnitKey(unit.facility(), unit.id())] = unit.par_level();
    }
  }
  std::map<std::pair<std::string, std::string>, v1::UtilizationRow> rows;  // sorted by facility, unit / model
  RETURN_IF_ERROR(store_->ForEachGroupWindow(
      by_unit ? storage::UtilizationGroupKind::kUnit : storage::UtilizationGroupKind::kModel, from, to,
      [&](storage::GroupWindow window) -> absl::Status {
        v1::UtilizationRow row;
        if (by_unit) {
          row.set_facility(window.first);
          row.set_unit(window.second);
        } else {
          row.set_model(window.first);
        }
        row.set_devices(static_cast<std::uint32_t>(window.devices));
        AddTime(*row.mutable_time(), window.time);
        SetShare(row);
        if (by_unit && !row.unit().empty()) {
          row.set_peak_infusing(static_cast<std::uint32_t>(window.peak_infusing));
          if (auto it = par_levels.find(UnitKey(row.facility(), row.unit())); it != par_levels.end()) {
            row.set_par_level(it->second);
          }
        }
        rows.emplace(std::make_pair(std::move(window.first), std::move(window.second)), std::move(row));
        return absl::OkStatus();
      }));
  for (auto& [key, row] : rows) *response.add_rows() = std::move(row);
  return absl::OkStatus();
}

absl::StatusOr<v1::GetUtilizationResponse> UtilizationRollup::Query(absl::Time since, absl::Time until, absl::Time now,
                                                                    v1::UtilizationGrouping group_by,
                                                                    absl::string_view page_after, int page_size,
                                                                    std::string* next_after) const {
  if (group_by == v1::UTILIZATION_GROUPING_UNSPECIFIED) group_by = v1::UTILIZATION_GROUPING_UNIT;
  if (next_after != nullptr) next_after->clear();
  until = std::min(until, now);
  v1::GetUtilizationResponse response;
  *response.mutable_since() = storage::ToProtoTimestamp(since);
  *response.mutable_until() = storage::ToProtoTimestamp(until);
  const std::int64_t from = absl::ToUnixMillis(since);
  const std::int64_t to = absl::ToUnixMillis(until);
  if (to <= from) return response;
  if (group_by != v1::UTILIZATION_GROUPING_DEVICE) {
    RETURN_IF_ERROR(QueryGroups(from, to, group_by, response));
    return response;
  }

  // Devices, in asset-tag order: the difference of their readings at the window's ends.
  std::string last_tag;
  RETURN_IF_ERROR(store_->ForEachDeviceWindow(
      from, to, page_after, [&](const storage::UtilizationStore::DeviceWindow& device, bool* stop) -> absl::Status {
        if (page_size > 0 && response.rows_size() >= page_size) {  // a row follows this page
          if (next_after != nullptr) *next_after = last_tag;
          *stop = true;
          return absl::OkStatus();
        }
        storage::StateMillis total = device.end.CumulativeAt(to);
        if (device.start.has_value()) {
          const storage::StateMillis before = device.start->CumulativeAt(from);
          for (std::size_t s = 0; s < total.size(); ++s) total[s] -= before[s];
        }
        v1::UtilizationRow& row = *response.add_rows();
        row.set_facility(device.end.facility);
        row.set_unit(device.end.unit);
        row.set_model(device.end.model);
        row.set_asset_tag(device.asset_tag);
        row.set_devices(1);
        AddTime(*row.mutable_time(), total);
        SetShare(row);
        last_tag = device.asset_tag;
        return absl::OkStatus();
      }));
  return response;
}

}  // namespace pumptrack::engine
