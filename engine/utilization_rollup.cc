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

}  // namespace

UtilizationRollup::UtilizationRollup(storage::UtilizationStore* store, PolicyGetter policy,
                                     prometheus::Registry* registry)
    : store_(store), policy_(std::move(policy)) {
  if (registry != nullptr) {
    peak_family_ = &prometheus::BuildGauge()
                        .Name("pumptrack_unit_infusing_peak")
                        .Help(
                            "The most pumps of a unit infusing at once in the current hour (the figure a PAR level "
                            "is set from; see docs/UTILIZATION.md)")
                        .Register(*registry);
  }
}

absl::Status UtilizationRollup::Load() {
  cursors_.clear();
  units_.clear();
  storage::UtilizationStore::Reader reader = store_->NewReader();
  RETURN_IF_ERROR(store_->ForEachDevice([&](absl::string_view tag) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<storage::UtilizationCheckpoint> latest,
                     reader.CheckpointAt(tag, std::numeric_limits<std::int64_t>::max()));
    if (latest.has_value()) cursors_.emplace(std::string(tag), *std::move(latest));
    return absl::OkStatus();
  }));
  return store_->ForEachUnit([&](const std::string& facility, const std::string& unit, std::int64_t hour,
                                 const storage::PeakBucket& newest, std::int64_t infusing) -> absl::Status {
    UnitLevel& level = units_[UnitKey(facility, unit)];
    level = UnitLevel{.facility = facility, .unit = unit, .infusing = infusing, .hour = hour, .bucket = newest};
    PublishPeak(level);
    return absl::OkStatus();
  });
}

const storage::UtilizationCheckpoint* UtilizationRollup::FindCursor(const std::string& tag) const {
  if (auto it = staged_cursors_.find(tag); it != staged_cursors_.end()) return &it->second;
  if (auto it = cursors_.find(tag); it != cursors_.end()) return &it->second;
  return nullptr;
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

absl::Status UtilizationRollup::AdjustUnit(const std::string& facility, const std::string& unit, int delta,
                                           std::int64_t at_millis, rocksdb::WriteBatch& batch) {
  if (unit.empty()) return absl::OkStatus();  // a pump seen in no unit has no unit to count in
  UnitLevel& level = StagedUnit(facility, unit);
  level.infusing += delta;
  const std::int64_t hour = HourOf(at_millis);
  const auto offset = static_cast<std::int32_t>(at_millis - hour * kMillisPerHour);
  const auto change = static_cast<std::int8_t>(delta);
  if (hour >= level.hour) {
    if (hour > level.hour) {
      level.hour = hour;
      level.bucket = storage::PeakBucket();
    }
    level.bucket.Add(offset, change);
    return store_->StagePeak(facility, unit, hour, level.bucket, batch);
  }
  // A change observed in an earlier hour than the unit's newest (agents' buffers, skewed clocks): it joins that
  // hour's list, so the peak comes out as if it had arrived in order.
  const std::pair<std::string, std::int64_t> old_key(UnitKey(facility, unit), hour);
  auto it = staged_old_buckets_.find(old_key);
  if (it == staged_old_buckets_.end()) {
    ASSIGN_OR_RETURN(std::optional<storage::PeakBucket> stored, store_->GetPeak(facility, unit, hour));
    it = staged_old_buckets_.emplace(old_key, stored.value_or(storage::PeakBucket())).first;
  }
  it->second.Add(offset, change);
  return store_->StagePeak(facility, unit, hour, it->second, batch);
}

absl::Status UtilizationRollup::Stage(const v1::Device& after, rocksdb::WriteBatch& batch) {
  const v1::Observation& observation = after.last_observation();
  const std::string& tag = after.identity().asset_tag();
  const int state = observation.operating_state();
  const std::string& facility = observation.location().facility();
  const std::string& unit = observation.location().unit();
  const std::string& model = after.identity().model();
  const storage::UtilizationCheckpoint* cursor = FindCursor(tag);
  if (cursor != nullptr && cursor->state == state && cursor->unit == unit && cursor->facility == facility &&
      cursor->model == model) {
    return absl::OkStatus();  // nothing the roll-up counts changed: the common case
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

  const bool was_infusing = cursor != nullptr && Infusing(cursor->state);
  const bool moved = cursor != nullptr && (cursor->facility != facility || cursor->unit != unit);
  if (was_infusing && (!Infusing(state) || moved)) {
    RETURN_IF_ERROR(AdjustUnit(cursor->facility, cursor->unit, -1, next.at_millis, batch));
  }
  if (Infusing(state) && (!was_infusing || moved)) {
    RETURN_IF_ERROR(AdjustUnit(facility, unit, +1, next.at_millis, batch));
  }
  staged_cursors_[tag] = std::move(next);
  return absl::OkStatus();
}

void UtilizationRollup::Commit() {
  for (auto& [tag, cursor] : staged_cursors_) cursors_[tag] = std::move(cursor);
  for (auto& [key, level] : staged_units_) {
    PublishPeak(level);
    units_[key] = std::move(level);
  }
  staged_cursors_.clear();
  staged_units_.clear();
  staged_old_buckets_.clear();
}

void UtilizationRollup::Abort() {
  staged_cursors_.clear();
  staged_units_.clear();
  staged_old_buckets_.clear();
}

void UtilizationRollup::PublishPeak(const UnitLevel& level) {
  if (peak_family_ == nullptr) return;
  prometheus::Gauge*& gauge = peak_series_[UnitKey(level.facility, level.unit)];
  if (gauge == nullptr) gauge = &peak_family_->Add({{"facility", level.facility}, {"unit", level.unit}});
  const std::int64_t at_start = level.infusing - level.bucket.Net();
  gauge->Set(static_cast<double>(std::max<std::int64_t>(0, at_start + level.bucket.MaxRise())));
}

absl::StatusOr<v1::GetUtilizationResponse> UtilizationRollup::Query(absl::Time since, absl::Time until, absl::Time now,
                                                                    v1::UtilizationGrouping group_by) const {
  if (group_by == v1::UTILIZATION_GROUPING_UNSPECIFIED) group_by = v1::UTILIZATION_GROUPING_UNIT;
  until = std::min(until, now);
  v1::GetUtilizationResponse response;
  *response.mutable_since() = storage::ToProtoTimestamp(since);
  *response.mutable_until() = storage::ToProtoTimestamp(until);
  const std::int64_t from = absl::ToUnixMillis(since);
  const std::int64_t to = absl::ToUnixMillis(until);
  if (to <= from) return response;

  // Rows by (facility, unit, model, asset tag), the fields the grouping keeps.
  std::map<std::tuple<std::string, std::string, std::string, std::string>, v1::UtilizationRow> rows;
  storage::UtilizationStore::Reader reader = store_->NewReader();
  RETURN_IF_ERROR(store_->ForEachDevice([&](absl::string_view tag) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<storage::UtilizationCheckpoint> end, reader.CheckpointAt(tag, to));
    if (!end.has_value()) return absl::OkStatus();  // first seen after the window
    storage::StateMillis total = end->CumulativeAt(to);
    ASSIGN_OR_RETURN(std::optional<storage::UtilizationCheckpoint> start, reader.CheckpointAt(tag, from));
    if (start.has_value()) {
      const storage::StateMillis before = start->CumulativeAt(from);
      for (std::size_t s = 0; s < total.size(); ++s) total[s] -= before[s];
    }
    std::tuple<std::string, std::string, std::string, std::string> key;
    switch (group_by) {
      case v1::UTILIZATION_GROUPING_MODEL:
        key = {"", "", end->model, ""};
        break;
      case v1::UTILIZATION_GROUPING_DEVICE:
        key = {end->facility, end->unit, end->model, std::string(tag)};
        break;
      default:
        key = {end->facility, end->unit, "", ""};
        break;
    }
    v1::UtilizationRow& row = rows[key];
    row.set_facility(std::get<0>(key));
    row.set_unit(std::get<1>(key));
    row.set_model(std::get<2>(key));
    row.set_asset_tag(std::get<3>(key));
    row.set_devices(row.devices() + 1);
    AddTime(*row.mutable_time(), total);
    return absl::OkStatus();
  }));

  absl::flat_hash_map<std::string, std::uint32_t> par_levels;
  std::shared_ptr<const rules::CompiledPolicy> policy;
  if (policy_ && group_by == v1::UTILIZATION_GROUPING_UNIT) policy = policy_();
  if (policy != nullptr) {
    for (const v1::Unit& unit : policy->proto().site().units()) {
      par_levels[UnitKey(unit.facility(), unit.id())] = unit.par_level();
    }
  }
  for (auto& [key, row] : rows) {
    const v1::StateTime& t = row.time();
    const std::int64_t known = t.infusing_ms() + t.idle_ms() + t.alarm_ms() + t.off_ms();
    row.set_infusing_share(known > 0 ? static_cast<double>(t.infusing_ms()) / static_cast<double>(known) : 0.0);
    if (group_by == v1::UTILIZATION_GROUPING_UNIT && !row.unit().empty()) {
      ASSIGN_OR_RETURN(std::uint32_t peak, reader.PeakIn(row.facility(), row.unit(), HourOf(from), HourOf(to - 1)));
      row.set_peak_infusing(peak);
      if (auto it = par_levels.find(UnitKey(row.facility(), row.unit())); it != par_levels.end()) {
        row.set_par_level(it->second);
      }
    }
    *response.add_rows() = std::move(row);
  }
  return response;
}

}  // namespace pumptrack::engine
