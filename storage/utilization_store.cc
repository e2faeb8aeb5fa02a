#include "storage/utilization_store.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "storage/keys.h"
#include "storage/rocksdb_status.h"

namespace pumptrack::storage {
namespace {

// Checkpoint value: [state byte][5 x big-endian cumulative millis][len][facility][len][unit][len][model].
void AppendShortString(std::string& out, absl::string_view value) {
  const absl::string_view clipped = value.substr(0, 255);
  out.push_back(static_cast<char>(static_cast<std::uint8_t>(clipped.size())));
  out.append(clipped.data(), clipped.size());
}

std::optional<std::string> ConsumeShortString(absl::string_view& in) {
  if (in.empty()) return std::nullopt;
  const std::size_t length = static_cast<std::uint8_t>(in.front());
  if (in.size() < 1 + length) return std::nullopt;
  std::string value(in.substr(1, length));
  in.remove_prefix(1 + length);
  return value;
}

bool StartsWith(const rocksdb::Slice& key, absl::string_view prefix) {
  return key.size() >= prefix.size() && absl::string_view(key.data(), prefix.size()) == prefix;
}

constexpr std::int64_t kMillisPerHour = 3'600'000;
constexpr std::int64_t kMillisPerDay = 24 * kMillisPerHour;
constexpr std::size_t kHourEntryBytes = 6;  // [big-endian millis into the hour][from][to]
constexpr std::size_t kDayEntryBytes = 2;   // [from][to]

std::int64_t FloorDiv(std::int64_t value, std::int64_t divisor) {
  return value >= 0 ? value / divisor : (value - divisor + 1) / divisor;
}

int InfusingDelta(const GroupChange& change) {
  constexpr std::uint8_t kInfusing = 1;  // v1::OPERATING_STATE_INFUSING
  return (change.to == kInfusing ? 1 : 0) - (change.from == kInfusing ? 1 : 0);
}

void ApplyChange(StateMillis& level, const GroupChange& change) {
  if (change.from < level.size()) --level[change.from];
  if (change.to < level.size()) ++level[change.to];
}

}  // namespace

StateMillis UtilizationCheckpoint::CumulativeAt(std::int64_t millis) const {
  StateMillis result = cumulative;
  if (millis > at_millis && state >= 0 && state < static_cast<int>(result.size())) result[state] += millis - at_millis;
  return result;
}

std::string EncodeCheckpoint(const UtilizationCheckpoint& checkpoint) {
  std::string value;
  value.reserve(1 + 8 * checkpoint.cumulative.size() + 3 + checkpoint.facility.size() + checkpoint.unit.size() +
                checkpoint.model.size());
  value.push_back(static_cast<char>(checkpoint.state));
  for (std::int64_t millis : checkpoint.cumulative) keys::AppendBigEndian64(value, static_cast<std::uint64_t>(millis));
  AppendShortString(value, checkpoint.facility);
  AppendShortString(value, checkpoint.unit);
  AppendShortString(value, checkpoint.model);
  return value;
}

absl::StatusOr<UtilizationCheckpoint> DecodeCheckpoint(std::int64_t at_millis, absl::string_view value) {
  UtilizationCheckpoint checkpoint;
  checkpoint.at_millis = at_millis;
  auto corrupt = [&] {
    return absl::DataLossError(absl::StrCat("malformed utilization checkpoint (", value.size(), " bytes)"));
  };
  absl::string_view in = value;
  if (in.empty()) return corrupt();
  checkpoint.state = static_cast<std::uint8_t>(in.front());
  in.remove_prefix(1);
  for (std::int64_t& millis : checkpoint.cumulative) {
    const std::optional<std::uint64_t> read = keys::ConsumeBigEndian64(in);
    if (!read.has_value()) return corrupt();
    millis = static_cast<std::int64_t>(*read);
  }
  std::optional<std::string> facility = ConsumeShortString(in);
  std::optional<std::string> unit = facility ? ConsumeShortString(in) : std::nullopt;
  std::optional<std::string> model = unit ? ConsumeShortString(in) : std::nullopt;
  if (!model.has_value() || !in.empty()) return corrupt();
  checkpoint.facility = *std::move(facility);
  checkpoint.unit = *std::move(unit);
  checkpoint.model = *std::move(model);
  return checkpoint;
}

namespace {

// One entry of a group's hour bucket (kHourEntryBytes at `entry`), timed from the hour's start.
GroupChange DecodeHourEntry(const std::uint8_t* entry, std::int64_t hour_start) {
  const std::uint32_t offset = (std::uint32_t{entry[0]} << 24) | (std::uint32_t{entry[1]} << 16) |
                               (std::uint32_t{entry[2]} << 8) | std::uint32_t{entry[3]};
  return GroupChange{.at_millis = hour_start + offset, .from = entry[4], .to = entry[5]};
}

// A group key ([v]g<kind><first><second>...) read after its `kind_prefix_size` bytes: the group's two names and the
// key prefix they end at; nullopt when malformed (or nothing follows the names).
struct GroupKeyNames {
  std::string first;
  std::string second;
  std::string prefix;
};
std::optional<GroupKeyNames> ParseGroupKey(const rocksdb::Slice& key, std::size_t kind_prefix_size) {
  absl::string_view rest(key.data() + kind_prefix_size, key.size() - kind_prefix_size);
  std::optional<std::string> first = ConsumeShortString(rest);
  std::optional<std::string> second = first ? ConsumeShortString(rest) : std::nullopt;
  if (!second.has_value() || rest.empty()) return std::nullopt;
  return GroupKeyNames{.first = *std::move(first),
                       .second = *std::move(second),
                       .prefix = std::string(key.data(), key.size() - rest.size())};
}

// Folds a group's transitions hour by hour, in hour order. An hour needs no order within it for the time per state:
// the level at its start times the hour plus, per transition, the rest of the hour in the state entered minus the
// same in the state left (clipped to the window). Only the peak depends on order, and only through the transitions
// into and out of infusing: those are sorted (as 4-byte keys), and only when the hour could raise the peak (its level
// at the start plus its starts exceeds the peak so far). An hour in which a state's count could drop below zero (only
// in data whose transitions are not paired, such as pumps tracked before the group buckets existed) is walked in
// time order as before, where such stretches count as zero, so the figures are the same either way.
class GroupFold {
 public:
  GroupFold(const StateMillis& level, std::int64_t start_millis, std::int64_t from, std::int64_t to, bool peak)
      : level_(level),
        from_(from),
        to_(to),
        peak_(peak),
        peak_from_(FloorDiv(from, kMillisPerHour) * kMillisPerHour),
        peak_to_((FloorDiv(to - 1, kMillisPerHour) + 1) * kMillisPerHour),
        t_(std::max(start_millis, from)) {}

  // `changes`: every transition within [hour_start, hour_start + 1 h), in any order; may be reordered.
  void AddHour(std::int64_t hour_start, std::vector<GroupChange>& changes) {
    const std::int64_t hour_end = hour_start + kMillisPerHour;
    if (!peak_ && hour_start >= from_ && hour_end <= to_) {
      if (!devices_counted_) CountDevices();
      Accrue(hour_start);
      for (std::size_t s = 0; s < level_.size(); ++s) window_.time[s] += level_[s] * kMillisPerHour;
      for (const GroupChange& change : changes) {
        const std::int64_t rest = hour_end - change.at_millis;
        if (change.from < level_.size()) window_.time[change.from] -= rest;
        if (change.to < level_.size()) window_.time[change.to] += rest;
        if (change.from == kNoState) ++window_.devices;
        ApplyChange(level_, change);
      }
      t_ = hour_end;
      return;
    }
    if (SumHour(hour_start, changes)) return;
    std::sort(changes.begin(), changes.end(), [](const GroupChange& a, const GroupChange& b) {
      if (a.at_millis != b.at_millis) return a.at_millis < b.at_millis;
      return InfusingDelta(a) < InfusingDelta(b);  // stops before starts at the same millisecond
    });
    for (const GroupChange& change : changes) Walk(change);
  }

  GroupWindow Finish() {
    if (!peak_started_) window_.peak_infusing = level_[kInfusing];
    if (!devices_counted_) CountDevices();
    Accrue(to_);
    for (std::int64_t& millis : window_.time) millis = std::max<std::int64_t>(millis, 0);
    window_.peak_infusing = std::max<std::int64_t>(window_.peak_infusing, 0);
    window_.devices = std::max<std::int64_t>(window_.devices, 0);
    return std::move(window_);
  }

 private:
  static constexpr std::size_t kInfusing = 1;  // v1::OPERATING_STATE_INFUSING

  void CountDevices() {
    window_.devices = 0;
    for (std::int64_t pumps : level_) window_.devices += pumps;
    devices_counted_ = true;
  }

  void Accrue(std::int64_t until) {
    const std::int64_t end = std::min(until, to_);
    if (end <= t_) return;
    for (std::size_t s = 0; s < level_.size(); ++s)
      window_.time[s] += std::max<std::int64_t>(level_[s], 0) * (end - t_);
    t_ = end;
  }

  // The hour without walking it in time order; false (nothing done) when a state's count could drop below zero in it.
  bool SumHour(std::int64_t hour_start, const std::vector<GroupChange>& changes) {
    if (hour_start >= peak_to_) return true;  // the walk ignores changes past the window's last hour
    StateMillis leaves{};
    std::int64_t starts = 0;      // transitions into infusing
    std::int64_t net_before = 0;  // pumps joined minus left before the window's start
    std::int64_t joins = 0;       // pumps joined inside the window
    bool reaches_from = false;    // a transition at or after the window's start
    for (const GroupChange& change : changes) {
      if (change.from < leaves.size()) ++leaves[change.from];
      if (change.to == kInfusing && change.from != kInfusing) ++starts;
      if (change.at_millis < from_) {
        net_before += (change.to < level_.size() ? 1 : 0) - (change.from < level_.size() ? 1 : 0);
      } else {
        reaches_from = true;
        if (change.from == kNoState && change.at_millis < to_) ++joins;
      }
    }
    for (std::size_t s = 0; s < level_.size(); ++s) {
      if (level_[s] - leaves[s] < 0) return false;
    }

    // Peak: from the first transition at or after the start of the window's first hour; only the infusing ones
    // move it, in time order, stops before starts at the same millisecond.
    if (!changes.empty() && hour_start >= peak_from_) {
      if (!peak_started_) {
        window_.peak_infusing = level_[kInfusing];
        peak_started_ = true;
      }
      if (level_[kInfusing] + starts > window_.peak_infusing) {
        order_.clear();
        for (const GroupChange& change : changes) {
          const int delta = InfusingDelta(change);
          if (delta == 0) continue;
          order_.push_back((static_cast<std::uint32_t>(change.at_millis - hour_start) << 1) | (delta > 0 ? 1u : 0u));
        }
        std::sort(order_.begin(), order_.end());
        std::int64_t infusing = level_[kInfusing];
        for (std::uint32_t key : order_) {
          infusing += (key & 1u) != 0 ? 1 : -1;
          window_.peak_infusing = std::max(window_.peak_infusing, infusing);
        }
      }
    }

    if (!devices_counted_ && reaches_from) {
      CountDevices();
      window_.devices += net_before;
    }
    window_.devices += joins;

    // Time: the gap since the last hour with a change at the level before this hour, then this hour's part of the
    // window [t_, end) at its starting level, each transition adding its rest of that part to the state entered
    // and taking it from the state left (a transition before t_ counts for the whole part).
    Accrue(hour_start);
    const std::int64_t end = std::min(hour_start + kMillisPerHour, to_);
    if (t_ < end) {
      for (std::size_t s = 0; s < level_.size(); ++s) window_.time[s] += level_[s] * (end - t_);
      for (const GroupChange& change : changes) {
        if (change.at_millis >= end) continue;
        const std::int64_t rest = end - std::max(change.at_millis, t_);
        if (change.from < level_.size()) window_.time[change.from] -= rest;
        if (change.to < level_.size()) window_.time[change.to] += rest;
      }
      t_ = end;
    }
    for (const GroupChange& change : changes) ApplyChange(level_, change);
    return true;
  }

  void Walk(const GroupChange& change) {
    if (change.at_millis >= peak_to_) return;
    if (!peak_started_ && change.at_millis >= peak_from_) {
      window_.peak_infusing = level_[kInfusing];
      peak_started_ = true;
    }
    if (!devices_counted_ && change.at_millis >= from_) CountDevices();
    Accrue(change.at_millis);
    if (change.from == kNoState && change.at_millis >= from_ && change.at_millis < to_) ++window_.devices;
    ApplyChange(level_, change);
    if (peak_started_) window_.peak_infusing = std::max(window_.peak_infusing, level_[kInfusing]);
  }

  StateMillis level_;
  const std::int64_t from_;
  const std::int64_t to_;
  const bool peak_;
  const std::int64_t peak_from_;
  const std::int64_t peak_to_;
  std::int64_t t_;  // time is counted up to here
  bool peak_started_ = false;
  bool devices_counted_ = false;
  GroupWindow window_;
  std::vector<std::uint32_t> order_;  // an hour's infusing transitions: (millisecond in the hour << 1) | start
};

}  // namespace

GroupWindow FoldGroup(const StateMillis& level_at_start, std::int64_t start_millis, std::vector<GroupChange> changes,
                      std::int64_t from, std::int64_t to, bool peak) {
  std::sort(changes.begin(), changes.end(),
            [](const GroupChange& a, const GroupChange& b) { return a.at_millis < b.at_millis; });
  GroupFold fold(level_at_start, start_millis, from, to, peak);
  std::vector<GroupChange> hour;
  for (std::size_t i = 0; i < changes.size();) {
    const std::int64_t hour_start = FloorDiv(changes[i].at_millis, kMillisPerHour) * kMillisPerHour;
    hour.clear();
    for (; i < changes.size() && changes[i].at_millis < hour_start + kMillisPerHour; ++i) hour.push_back(changes[i]);
    fold.AddHour(hour_start, hour);
  }
  return fold.Finish();
}

absl::Status UtilizationStore::StageGroupChange(UtilizationGroupKind kind, absl::string_view first,
                                                absl::string_view second, const GroupChange& change,
                                                rocksdb::WriteBatch& batch) const {
  const std::int64_t at = std::max<std::int64_t>(change.at_millis, 0);
  const std::int64_t hour = at / kMillisPerHour;
  const std::string prefix = keys::UtilizationGroupPrefix(static_cast<char>(kind), first, second);
  std::string hour_entry;
  hour_entry.reserve(kHourEntryBytes);
  keys::AppendBigEndian32(hour_entry, static_cast<std::uint32_t>(at - hour * kMillisPerHour));
  hour_entry.push_back(static_cast<char>(change.from));
  hour_entry.push_back(static_cast<char>(change.to));
  rocksdb::ColumnFamilyHandle* handle = database_->Handle(ColumnFamily::kUtilization);
  RETURN_IF_ERROR(
      FromRocksDb(batch.Merge(handle, keys::UtilizationGroupKey(prefix, 'h', hour), hour_entry), "stage group hour"));
  const char day_entry[kDayEntryBytes] = {static_cast<char>(change.from), static_cast<char>(change.to)};
  return FromRocksDb(batch.Merge(handle, keys::UtilizationGroupKey(prefix, 'd', at / kMillisPerDay),
                                 rocksdb::Slice(day_entry, kDayEntryBytes)),
                     "stage group day");
}

absl::Status UtilizationStore::ForEachGroupWindow(UtilizationGroupKind kind, std::int64_t from, std::int64_t to,
                                                  const std::function<absl::Status(GroupWindow window)>& visit) const {
  if (to <= from) return absl::OkStatus();
  const auto corrupt = [] { return absl::DataLossError("malformed utilization group bucket"); };
  std::unique_ptr<rocksdb::Iterator> it = database_->NewIterator(ColumnFamily::kUtilization, rocksdb::ReadOptions());
  const std::string all = {keys::kKeyVersion, 'g', static_cast<char>(kind)};
  const std::int64_t from_day = FloorDiv(std::max<std::int64_t>(from, 0), kMillisPerDay);
  const std::int64_t day_start = from_day * kMillisPerDay;
  const std::int64_t last_hour = FloorDiv(to - 1, kMillisPerHour);
  std::vector<GroupChange> changes;
  it->Seek(all);
  while (it->Valid() && StartsWith(it->key(), all)) {
    std::optional<GroupKeyNames> names = ParseGroupKey(it->key(), all.size());
    if (!names.has_value()) return corrupt();
    const std::string& prefix = names->prefix;

    // The level at the window's day start: every earlier day's transitions.
    StateMillis level{};
    const std::string days = prefix + 'd';
    const std::string days_end = keys::UtilizationGroupKey(prefix, 'd', from_day);
    for (it->Seek(days); it->Valid() && StartsWith(it->key(), days) && it->key().compare(days_end) < 0; it->Next()) {
      const rocksdb::Slice value = it->value();
      if (value.size() % kDayEntryBytes != 0) return corrupt();
      for (std::size_t i = 0; i < value.size(); i += kDayEntryBytes) {
        ApplyChange(level, GroupChange{.from = static_cast<std::uint8_t>(value[i]),
                                       .to = static_cast<std::uint8_t>(value[i + 1])});
      }
    }
    // The transitions from that day's start to the end of the window's last hour, folded hour by hour.
    GroupFold fold(level, day_start, from, to, /*peak=*/kind == UtilizationGroupKind::kUnit);
    const std::string hours = prefix + 'h';
    const std::string hours_end = keys::UtilizationGroupKey(prefix, 'h', last_hour);
    for (it->Seek(keys::UtilizationGroupKey(prefix, 'h', day_start / kMillisPerHour));
         it->Valid() && StartsWith(it->key(), hours) && it->key().compare(hours_end) <= 0; it->Next()) {
      absl::string_view key(it->key().data(), it->key().size());
      if (key.size() != hours.size() + 8) return corrupt();
      absl::string_view hour_bytes = key.substr(hours.size());
      const std::optional<std::uint64_t> hour = keys::ConsumeBigEndian64(hour_bytes);
      const rocksdb::Slice value = it->value();
      if (!hour.has_value() || value.size() % kHourEntryBytes != 0) return corrupt();
      const std::int64_t hour_start = static_cast<std::int64_t>(*hour) * kMillisPerHour;
      changes.resize(value.size() / kHourEntryBytes);
      const auto* entry = reinterpret_cast<const std::uint8_t*>(value.data());
      for (GroupChange& change : changes) {
        change = DecodeHourEntry(entry, hour_start);
        entry += kHourEntryBytes;
      }
      fold.AddHour(hour_start, changes);
    }
    RETURN_IF_ERROR(FromRocksDb(it->status(), "read utilization groups"));
    GroupWindow window = fold.Finish();
    if (window.devices > 0) {
      window.first = std::move(names->first);
      window.second = std::move(names->second);
      RETURN_IF_ERROR(visit(std::move(window)));
    }
    const std::string next = keys::PrefixSuccessor(prefix);
    if (next.empty()) break;
    it->Seek(next);
  }
  return FromRocksDb(it->status(), "list utilization groups");
}

absl::Status UtilizationStore::StageCheckpoint(absl::string_view asset_tag, const UtilizationCheckpoint& checkpoint,
                                               rocksdb::WriteBatch& batch) const {
  return FromRocksDb(
      batch.Put(database_->Handle(ColumnFamily::kUtilization),
                keys::UtilizationCheckpointKey(asset_tag, checkpoint.at_millis), EncodeCheckpoint(checkpoint)),
      "stage utilization checkpoint");
}

void PeakBucket::Add(std::int32_t offset_millis, std::int8_t delta) {
  const std::pair<std::int32_t, std::int8_t> change(offset_millis, delta);
  changes.insert(std::upper_bound(changes.begin(), changes.end(), change), change);
}

std::int64_t PeakBucket::Net() const {
  std::int64_t net = 0;
  for (const auto& change : changes) net += change.second;
  return net;
}

std::int64_t PeakBucket::MaxRise() const {
  std::int64_t level = 0;
  std::int64_t rise = 0;
  for (const auto& change : changes) {  // sorted by time, -1 before +1 at the same millisecond
    level += change.second;
    rise = std::max(rise, level);
  }
  return rise;
}

absl::Status UtilizationStore::ForEachGroupLatestInfusingHour(
    UtilizationGroupKind kind,
    const std::function<absl::Status(const std::string& first, const std::string& second, std::int64_t hour,
                                     const PeakBucket& bucket)>& visit) const {
  const auto corrupt = [] { return absl::DataLossError("malformed utilization group bucket"); };
  std::unique_ptr<rocksdb::Iterator> it = database_->NewIterator(ColumnFamily::kUtilization, rocksdb::ReadOptions());
  const std::string all = {keys::kKeyVersion, 'g', static_cast<char>(kind)};
  it->Seek(all);
  while (it->Valid() && StartsWith(it->key(), all)) {
    std::optional<GroupKeyNames> names = ParseGroupKey(it->key(), all.size());
    if (!names.has_value()) return corrupt();
    const std::string& prefix = names->prefix;
    const std::string hours = prefix + 'h';
    // From the newest hour back to the first with a transition into or out of infusing (usually the newest).
    for (it->SeekForPrev(keys::UtilizationGroupKey(prefix, 'h', std::numeric_limits<std::int64_t>::max()));
         it->Valid() && StartsWith(it->key(), hours); it->Prev()) {
      absl::string_view hour_bytes(it->key().data() + hours.size(), it->key().size() - hours.size());
      const std::optional<std::uint64_t> hour = keys::ConsumeBigEndian64(hour_bytes);
      const rocksdb::Slice value = it->value();
      if (!hour.has_value() || !hour_bytes.empty() || value.size() % kHourEntryBytes != 0) return corrupt();
      PeakBucket bucket;
      for (std::size_t i = 0; i < value.size(); i += kHourEntryBytes) {
        const GroupChange change = DecodeHourEntry(reinterpret_cast<const std::uint8_t*>(value.data() + i), 0);
        const int delta = InfusingDelta(change);
        if (delta != 0) bucket.Add(static_cast<std::int32_t>(change.at_millis), static_cast<std::int8_t>(delta));
      }
      if (!bucket.changes.empty()) {
        RETURN_IF_ERROR(visit(names->first, names->second, static_cast<std::int64_t>(*hour), bucket));
        break;
      }
    }
    RETURN_IF_ERROR(FromRocksDb(it->status(), "read utilization group hours"));
    const std::string next = keys::PrefixSuccessor(prefix);
    if (next.empty()) break;
    it->Seek(next);
  }
  return FromRocksDb(it->status(), "list utilization groups");
}

namespace {

// The time of a checkpoint key whose layout the caller has checked; DATA_LOSS for a time no writer stores (keys clamp
// to 0 .. int64 max), which would sort after every valid key of its device.
absl::StatusOr<std::int64_t> TimeOfCheckpointKey(absl::string_view key) {
  absl::string_view time_bytes = key.substr(key.size() - 8);
  const std::uint64_t millis = *keys::ConsumeBigEndian64(time_bytes);
  if (millis > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    return absl::DataLossError("malformed utilization checkpoint key (time out of range)");
  }
  return static_cast<std::int64_t>(millis);
}

std::string AppendTime(const std::string& prefix, std::int64_t millis) {
  std::string key = prefix;
  keys::AppendBigEndian64(key, static_cast<std::uint64_t>(millis));
  return key;
}

// The checkpoints of one device met by the forward pass: the raw values of its latest at or before the window's start
// and end (the pass copies a value per checkpoint and decodes only these two).
struct DeviceReadings {
  std::string prefix;  // the device's checkpoint key prefix
  std::int64_t start_at = -1;
  std::string start_value;
  std::int64_t end_at = -1;
  std::string end_value;
};

}  // namespace

absl::Status UtilizationStore::ForEachDeviceWindow(
    std::int64_t from, std::int64_t to, absl::string_view after,
    const std::function<absl::Status(const DeviceWindow& device, bool* stop)>& visit) const {
  // Keys clamp times before the epoch to 0 (keys::UtilizationCheckpointKey); so do the bounds.
  from = std::max<std::int64_t>(from, 0);
  to = std::max<std::int64_t>(to, 0);
  const std::string all(std::string(1, keys::kKeyVersion) + "c");
  const std::string end_of_all = keys::PrefixSuccessor(all);
  const rocksdb::Slice upper_bound(end_of_all);
  rocksdb::ReadOptions options;
  options.fill_cache = false;
  options.iterate_upper_bound = &upper_bound;
  std::unique_ptr<rocksdb::Iterator> it = database_->NewIterator(ColumnFamily::kUtilization, options);
  if (after.empty()) {
    it->Seek(all);
  } else {
    const std::string next = keys::PrefixSuccessor(keys::UtilizationCheckpointPrefix(after));
    if (next.empty()) return absl::OkStatus();
    it->Seek(next);
  }

  DeviceReadings readings;
  bool stop = false;
  // Hands the finished device to `visit` when it has a checkpoint at or before `to`.
  const auto emit = [&]() -> absl::Status {
    if (readings.prefix.empty() || readings.end_at < 0) return absl::OkStatus();
    DeviceWindow device;
    const absl::string_view prefix(readings.prefix);
    device.asset_tag = std::string(prefix.substr(all.size() + 1));
    ASSIGN_OR_RETURN(device.end, DecodeCheckpoint(readings.end_at, readings.end_value));
    if (readings.start_at >= 0) {
      ASSIGN_OR_RETURN(device.start, DecodeCheckpoint(readings.start_at, readings.start_value));
    }
    return visit(device, &stop);
  };
  // The pass steps through at most kMaxSteps checkpoints of a device before each window end, then seeks to the
  // device's last one at or before that end: a device with a long history costs a few seeks, and the blocks between
  // are never read. Measured on 100k pumps with 60 checkpoints each (docs/PERFORMANCE.md, session 12): up to 4 steps
  // 0.9-1.3 s, 16 steps 1.3-1.4 s, stepping through every checkpoint 1.8-2.0 s.
  constexpr int kMaxSteps = 2;
  int steps = 0;
  const auto record = [&](std::int64_t at, bool start) {
    const rocksdb::Slice value = it->value();
    if (start) {
      readings.start_at = at;
      readings.start_value.assign(value.data(), value.size());
    }
    readings.end_at = at;
    readings.end_value.assign(value.data(), value.size());
  };
  while (it->Valid()) {
    const absl::string_view key(it->key().data(), it->key().size());
    // [version]c[tag length][tag][8-byte big-endian millis]
    if (key.size() < all.size() + 1 + 8 ||
        key.size() != all.size() + 1 + static_cast<std::uint8_t>(key[all.size()]) + 8) {
      return absl::DataLossError("malformed utilization checkpoint key");
    }
    const absl::string_view prefix = key.substr(0, key.size() - 8);
    if (prefix != readings.prefix) {
      RETURN_IF_ERROR(emit());
      if (stop) return absl::OkStatus();
      readings.prefix.assign(prefix.data(), prefix.size());
      readings.start_at = readings.end_at = -1;
      steps = 0;
    }
    ASSIGN_OR_RETURN(const std::int64_t at, TimeOfCheckpointKey(key));
    if (at > to) {  // the rest of this device's checkpoints are after the window
      it->Seek(keys::PrefixSuccessor(readings.prefix));
      continue;
    }
    const bool start = at <= from;
    if (++steps <= kMaxSteps) {
      record(at, start);
      it->Next();
      continue;
    }
    // Many readings before the bound: jump to the device's last one at or before it.
    const std::int64_t bound = start ? from : to;
    it->SeekForPrev(AppendTime(readings.prefix, bound));
    if (!it->Valid()) break;
    // The current key (this device's, at or before the bound) is at or before the target, so the seek lands on it or
    // on a later one of the same device.
    const absl::string_view landed(it->key().data(), it->key().size());
    if (landed.size() != readings.prefix.size() + 8 || !absl::StartsWith(landed, readings.prefix)) {
      return absl::DataLossError("malformed utilization checkpoint key");
    }
    ASSIGN_OR_RETURN(const std::int64_t landed_at, TimeOfCheckpointKey(landed));
    record(landed_at, start);
    steps = 0;
    if (start) {
      it->Next();
    } else {
      it->Seek(keys::PrefixSuccessor(readings.prefix));
    }
  }
  RETURN_IF_ERROR(FromRocksDb(it->status(), "read utilization checkpoints"));
  return emit();
}

}  // namespace pumptrack::storage
