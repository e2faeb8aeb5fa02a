#include "storage/keys.h"

#include <limits>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace pumptrack::storage::keys {
namespace {

constexpr std::uint64_t kMax64 = std::numeric_limits<std::uint64_t>::max();

void AppendLengthPrefixed(std::string& out, absl::string_view value) {
  // Callers validate far shorter limits; a longer value is truncated the same way on write and on lookup.
  out.push_back(static_cast<char>(static_cast<std::uint8_t>(value.size() > 255 ? 255 : value.size())));
  absl::string_view clipped = value.substr(0, 255);
  out.append(clipped.data(), clipped.size());
}

std::optional<absl::string_view> ConsumeLengthPrefixed(absl::string_view& in) {
  if (in.empty()) return std::nullopt;
  const std::size_t length = static_cast<std::uint8_t>(in.front());
  if (in.size() < 1 + length) return std::nullopt;
  absl::string_view value = in.substr(1, length);
  in.remove_prefix(1 + length);
  return value;
}

absl::Status CorruptKey(absl::string_view what, absl::string_view key) {
  return absl::DataLossError(absl::StrCat("malformed ", what, " key (", key.size(), " bytes)"));
}

std::uint64_t ClampedMicros(absl::Time t) {
  const std::int64_t micros = absl::ToUnixMicros(t);
  return micros < 0 ? 0 : static_cast<std::uint64_t>(micros);
}

}  // namespace

void AppendBigEndian32(std::string& out, std::uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((value >> shift) & 0xff));
}

void AppendBigEndian64(std::string& out, std::uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((value >> shift) & 0xff));
}

std::optional<std::uint32_t> ConsumeBigEndian32(absl::string_view& in) {
  if (in.size() < 4) return std::nullopt;
  std::uint32_t value = 0;
  for (int i = 0; i < 4; ++i) value = (value << 8) | static_cast<std::uint8_t>(in[i]);
  in.remove_prefix(4);
  return value;
}

std::optional<std::uint64_t> ConsumeBigEndian64(absl::string_view& in) {
  if (in.size() < 8) return std::nullopt;
  std::uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value = (value << 8) | static_cast<std::uint8_t>(in[i]);
  in.remove_prefix(8);
  return value;
}

std::string DeviceKey(absl::string_view asset_tag) {
  std::string key;
  key.reserve(1 + asset_tag.size());
  key.push_back(kKeyVersion);
  key.append(asset_tag.data(), asset_tag.size());
  return key;
}

absl::StatusOr<std::string> ParseDeviceKey(absl::string_view key) {
  if (key.size() < 2 || key.front() != kKeyVersion) return CorruptKey("device", key);
  return std::string(key.substr(1));
}

std::string SerialKey(absl::string_view serial_number) { return DeviceKey(serial_number); }

std::string DeviceIndexPrefix(IndexDimension dimension, absl::string_view value) {
  std::string key;
  key.reserve(3 + value.size());
  key.push_back(kKeyVersion);
  key.push_back(static_cast<char>(dimension));
  AppendLengthPrefixed(key, value);
  return key;
}

std::string DeviceIndexKey(IndexDimension dimension, absl::string_view value, absl::string_view asset_tag) {
  std::string key = DeviceIndexPrefix(dimension, value);
  key.append(asset_tag.data(), asset_tag.size());
  return key;
}

absl::StatusOr<std::string> ParseDeviceIndexKey(absl::string_view prefix, absl::string_view key) {
  if (key.size() <= prefix.size() || key.substr(0, prefix.size()) != prefix) return CorruptKey("device index", key);
  return std::string(key.substr(prefix.size()));
}

std::string HistoryPrefix(absl::string_view asset_tag) {
  std::string key;
  key.reserve(2 + asset_tag.size() + 16);
  key.push_back(kKeyVersion);
  AppendLengthPrefixed(key, asset_tag);
  return key;
}

std::string HistoryKey(absl::string_view asset_tag, absl::Time observed_at, std::uint64_t sequence,
                       absl::string_view agent_id) {
  std::string key = HistoryPrefix(asset_tag);
  AppendBigEndian64(key, kMax64 - ClampedMicros(observed_at));
  AppendBigEndian64(key, kMax64 - sequence);
  key.append(agent_id.data(), agent_id.size());
  return key;
}

absl::StatusOr<HistoryKeyParts> ParseHistoryKey(absl::string_view key) {
  absl::string_view rest = key;
  if (rest.empty() || rest.front() != kKeyVersion) return CorruptKey("history", key);
  rest.remove_prefix(1);
  std::optional<absl::string_view> tag = ConsumeLengthPrefixed(rest);
  std::optional<std::uint64_t> inverted_micros = ConsumeBigEndian64(rest);
  std::optional<std::uint64_t> inverted_sequence = ConsumeBigEndian64(rest);
  if (!tag || tag->empty() || !inverted_micros || !inverted_sequence) return CorruptKey("history", key);
  const std::uint64_t micros = kMax64 - *inverted_micros;
  if (micros > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    return CorruptKey("history", key);
  }
  return HistoryKeyParts{std::string(*tag), absl::FromUnixMicros(static_cast<std::int64_t>(micros)),
                         kMax64 - *inverted_sequence, std::string(rest)};
}

std::string AuditKey(std::uint64_t index) {
  std::string key(1, kKeyVersion);
  AppendBigEndian64(key, index);
  return key;
}

absl::StatusOr<std::uint64_t> ParseAuditKey(absl::string_view key) {
  absl::string_view rest = key;
  if (rest.empty() || rest.front() != kKeyVersion) return CorruptKey("audit", key);
  rest.remove_prefix(1);
  std::optional<std::uint64_t> index = ConsumeBigEndian64(rest);
  if (!index || !rest.empty()) return CorruptKey("audit", key);
  return *index;
}

std::string FindingKey(std::uint64_t number) { return AuditKey(number); }

absl::StatusOr<std::uint64_t> ParseFindingKey(absl::string_view key) {
  absl::string_view rest = key;
  if (rest.empty() || rest.front() != kKeyVersion) return CorruptKey("finding", key);
  rest.remove_prefix(1);
  std::optional<std::uint64_t> number = ConsumeBigEndian64(rest);
  if (!number || !rest.empty()) return CorruptKey("finding", key);
  return *number;
}

std::string DeviceFindingsPrefix(absl::string_view asset_tag) { return HistoryPrefix(asset_tag); }

std::string DeviceFindingKey(absl::string_view asset_tag, std::uint64_t number) {
  std::string key = DeviceFindingsPrefix(asset_tag);
  AppendBigEndian64(key, number);
  return key;
}

absl::StatusOr<std::uint64_t> ParseDeviceFindingKey(absl::string_view key) {
  absl::string_view rest = key;
  if (rest.empty() || rest.front() != kKeyVersion) return CorruptKey("device finding", key);
  rest.remove_prefix(1);
  std::optional<absl::string_view> tag = ConsumeLengthPrefixed(rest);
  std::optional<std::uint64_t> number = ConsumeBigEndian64(rest);
  if (!tag || !number || !rest.empty()) return CorruptKey("device finding", key);
  return *number;
}

std::string OpenFindingsPrefix(absl::string_view asset_tag) { return HistoryPrefix(asset_tag); }

std::string OpenFindingKey(absl::string_view asset_tag, absl::string_view rule) {
  std::string key = OpenFindingsPrefix(asset_tag);
  key.append(rule.data(), rule.size());
  return key;
}

std::string CustodyEventKey(absl::string_view asset_tag, std::uint64_t index) {
  return DeviceFindingKey(asset_tag, index);
}

absl::StatusOr<std::uint64_t> ParseCustodyEventKey(absl::string_view key) {
  absl::StatusOr<std::uint64_t> index = ParseDeviceFindingKey(key);
  if (!index.ok()) return CorruptKey("custody event", key);
  return index;
}

std::string MaintenanceRecordKey(absl::string_view asset_tag, std::uint64_t index) {
  return DeviceFindingKey(asset_tag, index);
}

absl::StatusOr<std::uint64_t> ParseMaintenanceRecordKey(absl::string_view key) {
  absl::StatusOr<std::uint64_t> index = ParseDeviceFindingKey(key);
  if (!index.ok()) return CorruptKey("maintenance record", key);
  return index;
}

std::string TokenKey(absl::string_view secret_hash) { return DeviceKey(secret_hash); }

std::string AgentKey(absl::string_view agent_id) { return DeviceKey(agent_id); }

std::string AdvisoryKey(absl::string_view tracking_id) { return DeviceKey(tracking_id); }

absl::StatusOr<std::string> ParseAdvisoryKey(absl::string_view key) {
  if (key.size() < 2 || key.front() != kKeyVersion) return CorruptKey("advisory", key);
  return std::string(key.substr(1));
}

std::string AdvisoryReevaluationKey(std::uint64_t sequence) {
  std::string key(kAdvisoryReevaluationPrefix);
  AppendBigEndian64(key, sequence);
  return key;
}

absl::StatusOr<std::uint64_t> ParseAdvisoryReevaluationKey(absl::string_view key) {
  absl::string_view rest = key;
  std::optional<std::uint64_t> sequence;
  if (absl::ConsumePrefix(&rest, kAdvisoryReevaluationPrefix)) sequence = ConsumeBigEndian64(rest);
  if (!sequence.has_value() || !rest.empty()) return CorruptKey("advisory re-evaluation", key);
  return *sequence;
}

std::string UtilizationCheckpointPrefix(absl::string_view asset_tag) {
  std::string key(1, kKeyVersion);
  key.push_back('c');
  AppendLengthPrefixed(key, asset_tag);
  return key;
}

std::string UtilizationCheckpointKey(absl::string_view asset_tag, std::int64_t unix_millis) {
  std::string key = UtilizationCheckpointPrefix(asset_tag);
  AppendBigEndian64(key, unix_millis < 0 ? 0 : static_cast<std::uint64_t>(unix_millis));
  return key;
}

absl::StatusOr<std::int64_t> ParseUtilizationCheckpointTime(absl::string_view key) {
  if (key.size() < 10 || key[0] != kKeyVersion || key[1] != 'c') return CorruptKey("utilization checkpoint", key);
  absl::string_view rest = key.substr(key.size() - 8);
  const std::optional<std::uint64_t> millis = ConsumeBigEndian64(rest);
  if (!millis.has_value()) return CorruptKey("utilization checkpoint", key);
  return static_cast<std::int64_t>(*millis);
}

std::string UtilizationPeakPrefix(absl::string_view facility, absl::string_view unit) {
  std::string key(1, kKeyVersion);
  key.push_back('p');
  AppendLengthPrefixed(key, facility);
  AppendLengthPrefixed(key, unit);
  return key;
}

std::string UtilizationPeakKey(absl::string_view facility, absl::string_view unit, std::int64_t hour) {
  std::string key = UtilizationPeakPrefix(facility, unit);
  AppendBigEndian64(key, hour < 0 ? 0 : static_cast<std::uint64_t>(hour));
  return key;
}

absl::StatusOr<std::int64_t> ParseUtilizationPeakHour(absl::string_view key) {
  if (key.size() < 12 || key[0] != kKeyVersion || key[1] != 'p') return CorruptKey("utilization peak", key);
  absl::string_view rest = key.substr(key.size() - 8);
  const std::optional<std::uint64_t> hour = ConsumeBigEndian64(rest);
  if (!hour.has_value()) return CorruptKey("utilization peak", key);
  return static_cast<std::int64_t>(*hour);
}

std::string UtilizationGroupPrefix(char kind, absl::string_view first, absl::string_view second) {
  std::string key(1, kKeyVersion);
  key.push_back('g');
  key.push_back(kind);
  AppendLengthPrefixed(key, first);
  AppendLengthPrefixed(key, second);
  return key;
}

std::string UtilizationGroupKey(absl::string_view group_prefix, char period, std::int64_t index) {
  std::string key(group_prefix);
  key.push_back(period);
  AppendBigEndian64(key, index < 0 ? 0 : static_cast<std::uint64_t>(index));
  return key;
}

std::string PrefixSuccessor(absl::string_view prefix) {
  std::string successor(prefix);
  while (!successor.empty()) {
    if (static_cast<std::uint8_t>(successor.back()) != 0xff) {
      successor.back() = static_cast<char>(static_cast<std::uint8_t>(successor.back()) + 1);
      return successor;
    }
    successor.pop_back();
  }
  return successor;
}

}  // namespace pumptrack::storage::keys
