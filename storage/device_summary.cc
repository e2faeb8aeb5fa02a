#include "storage/device_summary.h"

#include <cstdint>
#include <memory>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/wire_format_lite.h"
#include "storage/keys.h"
#include "storage/rocksdb_status.h"

namespace pumptrack::storage {
namespace {

using google::protobuf::internal::WireFormatLite;
using google::protobuf::io::CodedInputStream;

// Field numbers, from proto/pumptrack/v1/device.proto.
constexpr int kDeviceIdentity = 1;
constexpr int kDeviceLastObservation = 2;
constexpr int kIdentityModel = 4;
constexpr int kObservationComponents = 11;
constexpr int kComponentModel = 3;
constexpr int kComponentSoftwareVersion = 6;
constexpr int kComponentFirmwareVersion = 7;
constexpr int kObservationFirmwareVersion = 5;
constexpr int kDeviceLastSeenAt = 4;
constexpr int kDeviceCustody = 13;
constexpr int kObservationLocation = 4;
constexpr int kObservationOperatingState = 10;
constexpr int kLocationFacility = 1;
constexpr int kLocationUnit = 4;
constexpr int kTimestampSeconds = 1;
constexpr int kTimestampNanos = 2;
constexpr int kCustodyState = 1;

// Calls `read(field_number, in)` for each field of the message `in` is limited to whose wire type is `wanted(field)`;
// skips every other field. `read` returns false on malformed input.
template <typename Wanted, typename Read>
bool ForEachField(CodedInputStream& in, Wanted wanted, Read read) {
  while (const std::uint32_t tag = in.ReadTag()) {
    const int field = WireFormatLite::GetTagFieldNumber(tag);
    const bool mine = WireFormatLite::GetTagWireType(tag) == wanted(field);
    if (!(mine ? read(field, in) : WireFormatLite::SkipField(&in, tag))) return false;
  }
  return in.ConsumedEntireMessage();
}

// Reads an embedded message with `read_fields(in)` inside its length limit.
template <typename ReadFields>
bool ReadEmbedded(CodedInputStream& in, ReadFields read_fields) {
  std::uint32_t length = 0;
  // The enclosing limit is the buffer's end at the top: a length beyond it means the record was cut short.
  if (!in.ReadVarint32(&length) || static_cast<std::int64_t>(length) > in.BytesUntilLimit()) return false;
  const CodedInputStream::Limit limit = in.PushLimit(static_cast<int>(length));
  if (!read_fields(in)) return false;
  in.PopLimit(limit);
  return true;
}

bool ReadEnum(CodedInputStream& in, int& value) {
  std::uint32_t raw = 0;
  if (!in.ReadVarint32(&raw)) return false;
  value = static_cast<int>(raw);
  return true;
}

constexpr auto kVarint = WireFormatLite::WIRETYPE_VARINT;
constexpr auto kBytes = WireFormatLite::WIRETYPE_LENGTH_DELIMITED;

bool ReadLocation(CodedInputStream& in, DeviceSummary& summary) {
  return ForEachField(
      in, [](int) { return kBytes; },
      [&](int field, CodedInputStream& s) {
        if (field == kLocationFacility) return WireFormatLite::ReadString(&s, &summary.facility);
        if (field == kLocationUnit) return WireFormatLite::ReadString(&s, &summary.unit);
        return WireFormatLite::SkipField(&s, WireFormatLite::MakeTag(field, kBytes));
      });
}

// Reads a Component's model, firmware and software versions (all its fields are strings).
bool ReadComponent(CodedInputStream& in, std::string& model, std::string& firmware, std::string& software) {
  return ForEachField(
      in, [](int) { return kBytes; },
      [&](int field, CodedInputStream& s) {
        if (field == kComponentModel) return WireFormatLite::ReadString(&s, &model);
        if (field == kComponentFirmwareVersion) return WireFormatLite::ReadString(&s, &firmware);
        if (field == kComponentSoftwareVersion) return WireFormatLite::ReadString(&s, &software);
        return WireFormatLite::SkipField(&s, WireFormatLite::MakeTag(field, kBytes));
      });
}

// Reads the string field `wanted` of a message whose fields are all strings or messages (DeviceIdentity).
bool ReadStringField(CodedInputStream& in, int wanted, std::string& out) {
  return ForEachField(
      in, [](int) { return kBytes; },
      [&](int field, CodedInputStream& s) {
        if (field == wanted) return WireFormatLite::ReadString(&s, &out);
        return WireFormatLite::SkipField(&s, WireFormatLite::MakeTag(field, kBytes));
      });
}

bool ReadObservation(CodedInputStream& in, DeviceSummary& summary) {
  return ForEachField(
      in, [](int field) { return field == kObservationOperatingState ? kVarint : kBytes; },
      [&](int field, CodedInputStream& s) {
        if (field == kObservationLocation) {
          return ReadEmbedded(s, [&](CodedInputStream& m) { return ReadLocation(m, summary); });
        }
        if (field == kObservationFirmwareVersion) return WireFormatLite::ReadString(&s, &summary.firmware_version);
        if (field == kObservationComponents) {
          DeviceSummary::Component component;
          std::string firmware;
          std::string software;
          if (!ReadEmbedded(
                  s, [&](CodedInputStream& m) { return ReadComponent(m, component.model, firmware, software); })) {
            return false;
          }
          if (component.model.empty()) return true;
          component.version = firmware.empty() ? std::move(software) : std::move(firmware);
          summary.components.push_back(std::move(component));
          return true;
        }
        if (field == kObservationOperatingState) {
          int state = 0;
          if (!ReadEnum(s, state)) return false;
          summary.operating_state = static_cast<v1::OperatingState>(state);
          return true;
        }
        return WireFormatLite::SkipField(&s, WireFormatLite::MakeTag(field, kBytes));
      });
}

bool ReadTimestamp(CodedInputStream& in, absl::Time& time) {
  std::int64_t seconds = 0;
  std::int32_t nanos = 0;
  const bool ok = ForEachField(
      in, [](int) { return kVarint; },
      [&](int field, CodedInputStream& s) {
        std::uint64_t raw = 0;
        if (!s.ReadVarint64(&raw)) return false;
        if (field == kTimestampSeconds) seconds = static_cast<std::int64_t>(raw);
        if (field == kTimestampNanos) nanos = static_cast<std::int32_t>(raw);
        return true;
      });
  time = absl::FromUnixSeconds(seconds) + absl::Nanoseconds(nanos);
  return ok;
}

bool ReadCustody(CodedInputStream& in, DeviceSummary& summary) {
  return ForEachField(
      in, [](int field) { return field == kCustodyState ? kVarint : kBytes; },
      [&](int field, CodedInputStream& s) {
        if (field != kCustodyState) return WireFormatLite::SkipField(&s, WireFormatLite::MakeTag(field, kBytes));
        int state = 0;
        if (!ReadEnum(s, state)) return false;
        summary.custody = static_cast<v1::CustodyState>(state);
        return true;
      });
}

}  // namespace

absl::StatusOr<DeviceSummary> ParseDeviceSummary(absl::string_view bytes) {
  CodedInputStream in(reinterpret_cast<const std::uint8_t*>(bytes.data()), static_cast<int>(bytes.size()));
  DeviceSummary summary;
  const bool ok = ForEachField(
      in, [](int) { return kBytes; },
      [&](int field, CodedInputStream& s) {
        switch (field) {
          case kDeviceIdentity:
            return ReadEmbedded(s,
                                [&](CodedInputStream& m) { return ReadStringField(m, kIdentityModel, summary.model); });
          case kDeviceLastObservation:
            return ReadEmbedded(s, [&](CodedInputStream& m) { return ReadObservation(m, summary); });
          case kDeviceLastSeenAt:
            return ReadEmbedded(s, [&](CodedInputStream& m) { return ReadTimestamp(m, summary.last_seen); });
          case kDeviceCustody:
            return ReadEmbedded(s, [&](CodedInputStream& m) { return ReadCustody(m, summary); });
          default:
            return WireFormatLite::SkipField(&s, WireFormatLite::MakeTag(field, kBytes));
        }
      });
  if (!ok) return absl::DataLossError("stored device record does not parse");
  return summary;
}

absl::Status ForEachDeviceSummary(const Database& database,
                                  const std::function<absl::Status(const DeviceSummary&)>& visit) {
  rocksdb::ReadOptions options;
  options.fill_cache = false;  // one pass over everything: keep the block cache for serving
  std::unique_ptr<rocksdb::Iterator> it = database.NewIterator(ColumnFamily::kDevices, options);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    ASSIGN_OR_RETURN(std::string tag, keys::ParseDeviceKey(ToView(it->key())));
    absl::StatusOr<DeviceSummary> summary = ParseDeviceSummary(ToView(it->value()));
    if (!summary.ok()) {
      return absl::DataLossError(absl::StrCat("stored state of device ", tag, " does not parse"));
    }
    summary->asset_tag = std::move(tag);
    RETURN_IF_ERROR(visit(*summary));
  }
  return FromRocksDb(it->status(), "scan devices");
}

}  // namespace pumptrack::storage
