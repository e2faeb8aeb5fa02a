#ifndef PUMPTRACK_STORAGE_KEYS_H_
#define PUMPTRACK_STORAGE_KEYS_H_

// Every RocksDB key pumptrack writes is built and parsed here, and nowhere else.
//
// Layout rules (on-disk format; never change an existing layout, add a new version byte instead):
// - every key starts with a one-byte key-format version (kKeyVersion);
// - integers are big-endian so byte order is numeric order;
// - variable-length strings that are followed by more key material carry a one-byte length prefix (they are at most
//   255 bytes; the service validates a much lower limit);
// - "inverted" integers are stored as (UINT64_MAX - value) so that forward iteration yields newest first.

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace pumptrack::storage::keys {

inline constexpr char kKeyVersion = 0x01;

// Meta family: the data directory's format version, stored as a big-endian uint32 value.
inline constexpr absl::string_view kFormatVersionKey = "format_version";

// Secondary-index dimensions for ListDevices. Values are part of the on-disk format.
enum class IndexDimension : std::uint8_t {
  kFacility = 1,
  kUnit = 2,
  kModel = 3,
  kFirmware = 4,
  kOperatingState = 5,
};

void AppendBigEndian32(std::string& out, std::uint32_t value);
void AppendBigEndian64(std::string& out, std::uint64_t value);
// Reads 4 or 8 big-endian bytes from the front of `in` and removes them. Returns nullopt if `in` is too short.
std::optional<std::uint32_t> ConsumeBigEndian32(absl::string_view& in);
std::optional<std::uint64_t> ConsumeBigEndian64(absl::string_view& in);

// Devices family: [version][asset tag].
std::string DeviceKey(absl::string_view asset_tag);
absl::StatusOr<std::string> ParseDeviceKey(absl::string_view key);

// Serial index family: [version][serial number].
std::string SerialKey(absl::string_view serial_number);

// Device index family: [version][dimension][len][value][asset tag].
std::string DeviceIndexPrefix(IndexDimension dimension, absl::string_view value);
std::string DeviceIndexKey(IndexDimension dimension, absl::string_view value, absl::string_view asset_tag);
// The asset tag of an index key that starts with `prefix` (as made by DeviceIndexPrefix).
absl::StatusOr<std::string> ParseDeviceIndexKey(absl::string_view prefix, absl::string_view key);

// History family: [version][len][asset tag][inverted observed-at micros][inverted sequence][agent id].
// Observation times before the Unix epoch are clamped to it; sub-microsecond parts are dropped. The agent id keeps
// entries of two agents with equal time and sequence apart (sequences are per agent).
std::string HistoryPrefix(absl::string_view asset_tag);
std::string HistoryKey(absl::string_view asset_tag, absl::Time observed_at, std::uint64_t sequence,
                       absl::string_view agent_id = "");

struct HistoryKeyParts {
  std::string asset_tag;
  absl::Time observed_at;
  std::uint64_t sequence = 0;
  std::string agent_id;
};
absl::StatusOr<HistoryKeyParts> ParseHistoryKey(absl::string_view key);

// Audit family: [version][big-endian index].
std::string AuditKey(std::uint64_t index);
absl::StatusOr<std::uint64_t> ParseAuditKey(absl::string_view key);

// Tokens family: [version][SHA-256 of the secret]. Agents family: [version][agent id].
std::string TokenKey(absl::string_view secret_hash);
std::string AgentKey(absl::string_view agent_id);

// Advisories family: key version + CSAF document.tracking.id (1–128 bytes).
std::string AdvisoryKey(absl::string_view tracking_id);
absl::StatusOr<std::string> ParseAdvisoryKey(absl::string_view key);

// Meta family: an import's pending re-evaluation (v1::AdvisoryReevaluation), by a big-endian sequence number after
// this prefix, so they list in the order they were imported.
inline constexpr absl::string_view kAdvisoryReevaluationPrefix = "advisory_reevaluation/";
std::string AdvisoryReevaluationKey(std::uint64_t sequence);
absl::StatusOr<std::uint64_t> ParseAdvisoryReevaluationKey(absl::string_view key);

// Meta family: the next finding number, a big-endian uint64 value.
inline constexpr absl::string_view kNextFindingKey = "next_finding";
// Meta family: the policy last applied through PolicyService.SetPolicy or a SIGHUP reload, in protobuf text format
// (see PolicyStore).
inline constexpr absl::string_view kPolicyKey = "policy";
// Meta family: who applied that policy, when and how: a serialized v1::PolicyInfo with only applied_by, applied_at and
// source set. Written in the same batch as kPolicyKey; absent for a policy stored before provenance was kept.
inline constexpr absl::string_view kPolicyProvenanceKey = "policy_provenance";

// Findings family: [version][big-endian finding number].
std::string FindingKey(std::uint64_t number);
absl::StatusOr<std::uint64_t> ParseFindingKey(absl::string_view key);
// Device findings family: [version][len][asset tag][big-endian finding number].
std::string DeviceFindingsPrefix(absl::string_view asset_tag);
std::string DeviceFindingKey(absl::string_view asset_tag, std::uint64_t number);
absl::StatusOr<std::uint64_t> ParseDeviceFindingKey(absl::string_view key);
// Open findings family: [version][len][asset tag][rule].
std::string OpenFindingsPrefix(absl::string_view asset_tag);
std::string OpenFindingKey(absl::string_view asset_tag, absl::string_view rule);

// Custody history family: [version][len][asset tag][big-endian event index]. Checkouts family: as DeviceKey.
std::string CustodyEventKey(absl::string_view asset_tag, std::uint64_t index);
absl::StatusOr<std::uint64_t> ParseCustodyEventKey(absl::string_view key);

// kMaintenance: (asset tag, big-endian record index), the same layout as CustodyEventKey; a pump's records sort in
// the order they were made under HistoryPrefix(asset tag).
std::string MaintenanceRecordKey(absl::string_view asset_tag, std::uint64_t index);
absl::StatusOr<std::uint64_t> ParseMaintenanceRecordKey(absl::string_view key);

// kUtilization: a device's operating-state checkpoints, [version]['c'][len][asset tag][big-endian milliseconds since
// the epoch], and a unit's hourly peak-use buckets, [version]['p'][len][facility][len][unit][big-endian hour since
// the epoch]. Times before the epoch are clamped to it.
std::string UtilizationCheckpointPrefix(absl::string_view asset_tag);
std::string UtilizationCheckpointKey(absl::string_view asset_tag, std::int64_t unix_millis);
absl::StatusOr<std::int64_t> ParseUtilizationCheckpointTime(absl::string_view key);
std::string UtilizationPeakPrefix(absl::string_view facility, absl::string_view unit);
std::string UtilizationPeakKey(absl::string_view facility, absl::string_view unit, std::int64_t hour);
absl::StatusOr<std::int64_t> ParseUtilizationPeakHour(absl::string_view key);
// kUtilization, pre-aggregated groups (a unit, kind 'u', or a model, kind 'm'): [version]['g'][kind][len][first]
// [len][second] is the group's prefix; under it ['d'][big-endian day since the epoch] holds the day's transitions and
// ['h'][big-endian hour since the epoch] the hour's, each a value RocksDB appends to (merge operator).
std::string UtilizationGroupPrefix(char kind, absl::string_view first, absl::string_view second);
std::string UtilizationGroupKey(absl::string_view group_prefix, char period, std::int64_t index);

// The smallest key greater than every key that starts with `prefix`; empty if there is none (all 0xff).
std::string PrefixSuccessor(absl::string_view prefix);

}  // namespace pumptrack::storage::keys

#endif  // PUMPTRACK_STORAGE_KEYS_H_
