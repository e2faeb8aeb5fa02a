#ifndef PUMPTRACK_SERVICE_INVENTORY_HANDLERS_H_
#define PUMPTRACK_SERVICE_INVENTORY_HANDLERS_H_

// InventoryService's handlers: pure functions of a request and the device store, run on the query worker pool.
// Each validates its request first and names the offending field in INVALID_ARGUMENT.

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/ids.h"
#include "pumptrack/v1/inventory_service.pb.h"
#include "storage/device_store.h"

namespace pumptrack::service {

using ids::kDefaultPageSize;
using ids::kMaxPageSize;

absl::StatusOr<v1::Device> GetDevice(const v1::GetDeviceRequest& request, const storage::DeviceStore& devices);

absl::StatusOr<v1::ListDevicesResponse> ListDevices(const v1::ListDevicesRequest& request,
                                                    const storage::DeviceStore& devices);

absl::StatusOr<v1::LocateResponse> Locate(const v1::LocateRequest& request, const storage::DeviceStore& devices);

// `now` bounds an open-ended range.
absl::StatusOr<v1::GetDeviceHistoryResponse> GetDeviceHistory(const v1::GetDeviceHistoryRequest& request,
                                                              const storage::DeviceStore& devices, absl::Time now);

// The device named by `key` ("device" in error messages). INVALID_ARGUMENT when neither or a malformed key is given,
// NOT_FOUND when unknown.
absl::StatusOr<v1::Device> LookUpDevice(const v1::DeviceKey& key, const storage::DeviceStore& devices);

// Resolves a request's page_size: 0 means the default; negative or above the maximum is INVALID_ARGUMENT.
absl::StatusOr<int> ResolvePageSize(int page_size);

struct TimeRange {
  absl::Time start;  // inclusive
  absl::Time end;    // exclusive
};

// A request's optional start_time and end_time, each taken from `defaults` when unset. INVALID_ARGUMENT naming the
// field for a malformed timestamp, or end_time for an empty range.
absl::StatusOr<TimeRange> ResolveTimeRange(const google::protobuf::Timestamp* start_time,
                                           const google::protobuf::Timestamp* end_time, TimeRange defaults);

template <typename Request>
absl::StatusOr<TimeRange> ResolveTimeRange(const Request& request, TimeRange defaults) {
  return ResolveTimeRange(request.has_start_time() ? &request.start_time() : nullptr,
                          request.has_end_time() ? &request.end_time() : nullptr, defaults);
}

}  // namespace pumptrack::service

#endif  // PUMPTRACK_SERVICE_INVENTORY_HANDLERS_H_
