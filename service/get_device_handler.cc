#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "common/status_macros.h"
#include "service/inventory_handlers.h"
#include "service/validation.h"
#include "storage/proto_time.h"

namespace pumptrack::service {

absl::StatusOr<v1::Device> LookUpDevice(const v1::DeviceKey& key, const storage::DeviceStore& devices) {
  switch (key.key_case()) {
    case v1::DeviceKey::kAssetTag:
      if (!IsValidAssetTag(key.asset_tag())) {
        return absl::InvalidArgumentError(absl::StrCat("device.asset_tag: ", ids::kAssetTagRule));
      }
      return devices.GetDevice(key.asset_tag());
    case v1::DeviceKey::kSerialNumber:
      if (key.serial_number().empty() || key.serial_number().size() > 64) {
        return absl::InvalidArgumentError("device.serial_number: must be 1-64 characters");
      }
      return devices.GetDeviceBySerial(key.serial_number());
    case v1::DeviceKey::KEY_NOT_SET:
      break;
  }
  return absl::InvalidArgumentError("device: set asset_tag or serial_number");
}

absl::StatusOr<int> ResolvePageSize(int page_size) {
  if (page_size == 0) return kDefaultPageSize;
  if (page_size < 0 || page_size > kMaxPageSize) {
    return absl::InvalidArgumentError(absl::StrCat("page_size: must be within 0-", kMaxPageSize));
  }
  return page_size;
}

absl::StatusOr<TimeRange> ResolveTimeRange(const google::protobuf::Timestamp* start_time,
                                           const google::protobuf::Timestamp* end_time, TimeRange defaults) {
  TimeRange range = defaults;
  if (start_time != nullptr) {
    ASSIGN_OR_RETURN(absl::Time start, storage::ParseTimestamp(*start_time, "start_time"));
    range.start = start;
  }
  if (end_time != nullptr) {
    ASSIGN_OR_RETURN(absl::Time end, storage::ParseTimestamp(*end_time, "end_time"));
    range.end = end;
  }
  if (range.end <= range.start) return absl::InvalidArgumentError("end_time: must be after start_time");
  return range;
}

absl::StatusOr<v1::Device> GetDevice(const v1::GetDeviceRequest& request, const storage::DeviceStore& devices) {
  return LookUpDevice(request.device(), devices);
}

}  // namespace pumptrack::service
