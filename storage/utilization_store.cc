#include "storage/utilization_store.h"

#include <algorithm>
#include <utility>

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
  auto corrupt = [&] { return absl::DataLossError(absl::StrCat("malformed utilization checkpoint (", value.size(),
                                                               " bytes)")); };
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

absl::Status UtilizationStore::StageCheckpoint(absl::string_view asset_tag, const UtilizationCheckpoint& checkpoint,
                                               rocksdb::WriteBatch& batch) const {
  return FromRocksDb(batch.Put(database_->Handle(ColumnFamily::kUtilization),
                               keys::UtilizationCheckpointKey(asset_tag, checkpoint.at_millis),
                               EncodeCheckpoint(checkpoint)),
                     "stage utilization checkpoint");
}

absl::Status UtilizationStore::StagePeak(absl::string_view facility, absl::string_view unit, std::int64_t hour,
                                         const PeakBucket& bucket, rocksdb::WriteBatch& batch) const {
  std::string value;
  keys::AppendBigEndian32(value, bucket.max);
  keys::AppendBigEndian32(value, bucket.last);
  return FromRocksDb(batch.Put(database_->Handle(ColumnFamily::kUtilization),
                               keys::UtilizationPeakKey(facility, unit, hour), value),
                     "stage utilization peak");
}

namespace {
absl::StatusOr<PeakBucket> DecodePeak(absl::string_view value) {
  PeakBucket bucket;
  const std::optional<std::uint32_t> max = keys::ConsumeBigEndian32(value);
  const std::optional<std::uint32_t> last = keys::ConsumeBigEndian32(value);
  if (!max.has_value() || !last.has_value() || !value.empty()) {
    return absl::DataLossError("malformed utilization peak bucket");
  }
  bucket.max = *max;
  bucket.last = *last;
  return bucket;
}
}  // namespace

absl::StatusOr<std::optional<PeakBucket>> UtilizationStore::GetPeak(absl::string_view facility,
                                                                    absl::string_view unit, std::int64_t hour) const {
  ASSIGN_OR_RETURN(std::optional<std::string> value,
                   database_->Get(ColumnFamily::kUtilization, keys::UtilizationPeakKey(facility, unit, hour)));
  if (!value.has_value()) return std::optional<PeakBucket>();
  ASSIGN_OR_RETURN(PeakBucket bucket, DecodePeak(*value));
  return std::optional<PeakBucket>(bucket);
}

UtilizationStore::Reader UtilizationStore::NewReader() const {
  rocksdb::ReadOptions options;
  options.fill_cache = true;
  return Reader(database_->NewIterator(ColumnFamily::kUtilization, options));
}

absl::StatusOr<std::optional<UtilizationCheckpoint>> UtilizationStore::Reader::CheckpointAt(
    absl::string_view asset_tag, std::int64_t millis) {
  const std::string prefix = keys::UtilizationCheckpointPrefix(asset_tag);
  iterator_->SeekForPrev(keys::UtilizationCheckpointKey(asset_tag, millis));
  if (!iterator_->Valid()) {
    RETURN_IF_ERROR(FromRocksDb(iterator_->status(), "read utilization checkpoint"));
    return std::optional<UtilizationCheckpoint>();
  }
  const rocksdb::Slice key = iterator_->key();
  if (!StartsWith(key, prefix) || key.size() != prefix.size() + 8) return std::optional<UtilizationCheckpoint>();
  ASSIGN_OR_RETURN(std::int64_t at, keys::ParseUtilizationCheckpointTime(absl::string_view(key.data(), key.size())));
  const rocksdb::Slice value = iterator_->value();
  ASSIGN_OR_RETURN(UtilizationCheckpoint checkpoint, DecodeCheckpoint(at, absl::string_view(value.data(), value.size())));
  return std::optional<UtilizationCheckpoint>(std::move(checkpoint));
}

absl::StatusOr<std::uint32_t> UtilizationStore::Reader::PeakIn(absl::string_view facility, absl::string_view unit,
                                                               std::int64_t from_hour, std::int64_t to_hour) {
  const std::string prefix = keys::UtilizationPeakPrefix(facility, unit);
  std::uint32_t peak = 0;
  // The level carried in: the last bucket before the window.
  iterator_->SeekForPrev(keys::UtilizationPeakKey(facility, unit, from_hour - 1));
  if (iterator_->Valid() && StartsWith(iterator_->key(), prefix) && iterator_->key().size() == prefix.size() + 8) {
    ASSIGN_OR_RETURN(PeakBucket before,
                     DecodePeak(absl::string_view(iterator_->value().data(), iterator_->value().size())));
    peak = before.last;
  }
  RETURN_IF_ERROR(FromRocksDb(iterator_->status(), "read utilization peaks"));
  const std::string end = keys::UtilizationPeakKey(facility, unit, to_hour);
  for (iterator_->Seek(keys::UtilizationPeakKey(facility, unit, from_hour)); iterator_->Valid(); iterator_->Next()) {
    const rocksdb::Slice key = iterator_->key();
    if (!StartsWith(key, prefix) || key.size() != prefix.size() + 8 || key.compare(end) > 0) break;
    ASSIGN_OR_RETURN(PeakBucket bucket,
                     DecodePeak(absl::string_view(iterator_->value().data(), iterator_->value().size())));
    peak = std::max(peak, bucket.max);
  }
  RETURN_IF_ERROR(FromRocksDb(iterator_->status(), "read utilization peaks"));
  return peak;
}

absl::StatusOr<std::optional<std::pair<std::int64_t, PeakBucket>>> UtilizationStore::Reader::LatestPeak(
    absl::string_view facility, absl::string_view unit) {
  using Result = std::optional<std::pair<std::int64_t, PeakBucket>>;
  const std::string prefix = keys::UtilizationPeakPrefix(facility, unit);
  iterator_->SeekForPrev(keys::PrefixSuccessor(prefix));
  if (!iterator_->Valid()) {
    RETURN_IF_ERROR(FromRocksDb(iterator_->status(), "read utilization peaks"));
    return Result();
  }
  const rocksdb::Slice key = iterator_->key();
  if (!StartsWith(key, prefix) || key.size() != prefix.size() + 8) return Result();
  ASSIGN_OR_RETURN(std::int64_t hour, keys::ParseUtilizationPeakHour(absl::string_view(key.data(), key.size())));
  ASSIGN_OR_RETURN(PeakBucket bucket,
                   DecodePeak(absl::string_view(iterator_->value().data(), iterator_->value().size())));
  return Result(std::make_pair(hour, bucket));
}

absl::Status UtilizationStore::ForEachDevice(
    const std::function<absl::Status(absl::string_view asset_tag)>& visit) const {
  std::unique_ptr<rocksdb::Iterator> it = database_->NewIterator(ColumnFamily::kUtilization, rocksdb::ReadOptions());
  const std::string all(std::string(1, keys::kKeyVersion) + "c");
  it->Seek(all);
  while (it->Valid() && StartsWith(it->key(), all)) {
    absl::string_view rest(it->key().data() + all.size(), it->key().size() - all.size());
    if (rest.empty() || rest.size() < 1u + static_cast<std::uint8_t>(rest.front())) {
      return absl::DataLossError("malformed utilization checkpoint key");
    }
    const std::string tag(rest.substr(1, static_cast<std::uint8_t>(rest.front())));
    RETURN_IF_ERROR(visit(tag));
    it->Seek(keys::PrefixSuccessor(keys::UtilizationCheckpointPrefix(tag)));
  }
  return FromRocksDb(it->status(), "list utilization devices");
}

}  // namespace pumptrack::storage
