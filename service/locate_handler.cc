#include "common/status_macros.h"
#include "service/inventory_handlers.h"

namespace pumptrack::service {

absl::StatusOr<v1::LocateResponse> Locate(const v1::LocateRequest& request, const storage::DeviceStore& devices) {
  ASSIGN_OR_RETURN(v1::Device device, LookUpDevice(request.device(), devices));
  v1::LocateResponse response;
  *response.mutable_identity() = device.identity();
  *response.mutable_location() = device.last_observation().location();
  *response.mutable_since() = device.location_since();
  *response.mutable_observed_at() = device.last_observation().observed_at();
  *response.mutable_last_seen_at() = device.last_seen_at();
  return response;
}

}  // namespace pumptrack::service
