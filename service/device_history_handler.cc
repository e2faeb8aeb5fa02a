#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "service/inventory_handlers.h"
#include "service/page_token.h"

namespace pumptrack::service {
absl::StatusOr<v1::GetDeviceHistoryResponse> GetDeviceHistory(const v1::GetDeviceHistoryRequest& request,
                                                              const storage::DeviceStore& devices, absl::Time now) {
  ASSIGN_OR_RETURN(int page_size, ResolvePageSize(request.page_size()));
  // Open ends: the beginning of retention, and a day ahead to tolerate agents whose clocks run ahead.
  ASSIGN_OR_RETURN(TimeRange range, ResolveTimeRange(request, {absl::UnixEpoch(), now + absl::Hours(24)}));
  const absl::Time start = range.start;
  const absl::Time end = range.end;

  ASSIGN_OR_RETURN(v1::Device device, LookUpDevice(request.device(), devices));
  const std::string& tag = device.identity().asset_tag();
  const std::uint64_t fingerprint =
      FilterFingerprint({tag, absl::StrCat(absl::ToUnixMicros(start)),
                         request.has_end_time() ? absl::StrCat(absl::ToUnixMicros(end)) : ""});
  std::string cursor;
  if (!request.page_token().empty()) {
    ASSIGN_OR_RETURN(std::string decoded, DecodePageToken(request.page_token(), fingerprint));
    cursor = std::move(decoded);
  }

  ASSIGN_OR_RETURN(storage::HistoryPage page, devices.GetHistory(tag, start, end, cursor, page_size));
  v1::GetDeviceHistoryResponse response;
  for (v1::HistoryEntry& entry : page.entries) *response.add_entries() = std::move(entry);
  if (!page.next_cursor.empty()) response.set_next_page_token(EncodePageToken(fingerprint, page.next_cursor));
  return response;
}

}  // namespace pumptrack::service
