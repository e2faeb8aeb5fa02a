#include "common/status_macros.h"
#include "service/inventory_handlers.h"
#include "service/page_token.h"

namespace pumptrack::service {

absl::StatusOr<v1::ListDevicesResponse> ListDevices(const v1::ListDevicesRequest& request,
                                                    const storage::DeviceStore& devices) {
  ASSIGN_OR_RETURN(int page_size, ResolvePageSize(request.page_size()));
  if (!v1::OperatingState_IsValid(request.operating_state())) {
    return absl::InvalidArgumentError("operating_state: unknown enum value");
  }
  storage::DeviceFilter filter{request.facility(), request.unit(), request.model(), request.firmware_version(),
                               request.operating_state()};
  const std::string state_name = v1::OperatingState_Name(request.operating_state());
  const std::uint64_t fingerprint =
      FilterFingerprint({filter.facility, filter.unit, filter.model, filter.firmware_version, state_name});
  std::string after_tag;
  if (!request.page_token().empty()) {
    ASSIGN_OR_RETURN(std::string cursor, DecodePageToken(request.page_token(), fingerprint));
    after_tag = std::move(cursor);
  }

  ASSIGN_OR_RETURN(storage::DevicePage page, devices.ListDevices(filter, after_tag, page_size));
  v1::ListDevicesResponse response;
  for (v1::Device& device : page.devices) *response.add_devices() = std::move(device);
  if (!page.next_after_tag.empty()) {
    response.set_next_page_token(EncodePageToken(fingerprint, page.next_after_tag));
  }
  return response;
}

}  // namespace pumptrack::service
