#include "absl/strings/str_cat.h"
#include "service/inventory_handlers.h"
#include "service/page_token.h"
#include "storage/proto_time.h"

namespace pumptrack::service {
absl::StatusOr<v1::GetDeviceHistoryResponse> GetDeviceHistory(const v1::GetDeviceHistoryRequest& request,
                                                              const storage::DeviceStore& devices, absl::Time now) {
  absl::StatusOr<int> page_size = ResolvePageSize(request.page_size());
  if (!page_size.ok()) return page_size.status();
  absl::Time start = absl::UnixEpoch();
  absl::Time end = now + absl::Hours(24);  // tolerate agents whose clocks run ahead
  if (request.has_start_time()) {
    absl::StatusOr<absl::Time> bound = storage::ParseTimestamp(request.start_time(), "start_time");
    if (!bound.ok()) return bound.status();
    start = *bound;
  }
  if (request.has_end_time()) {
    absl::StatusOr<absl::Time> bound = storage::ParseTimestamp(request.end_time(), "end_time");
    if (!bound.ok()) return bound.status();
    end = *bound;
  }
  if (end <= start) return absl::InvalidArgumentError("end_time: must be after start_time");

  absl::StatusOr<v1::Device> device = LookUpDevice(request.device(), devices);
  if (!device.ok()) return device.status();
  const std::string& tag = device->identity().asset_tag();
  const std::uint64_t fingerprint = FilterFingerprint(
      {tag, absl::StrCat(absl::ToUnixMicros(start)), request.has_end_time() ? absl::StrCat(absl::ToUnixMicros(end)) : ""});
  std::string cursor;
  if (!request.page_token().empty()) {
    absl::StatusOr<std::string> decoded = DecodePageToken(request.page_token(), fingerprint);
    if (!decoded.ok()) return decoded.status();
    cursor = *std::move(decoded);
  }

  absl::StatusOr<storage::HistoryPage> page = devices.GetHistory(tag, start, end, cursor, *page_size);
  if (!page.ok()) return page.status();
  v1::GetDeviceHistoryResponse response;
  for (v1::HistoryEntry& entry : page->entries) *response.add_entries() = std::move(entry);
  if (!page->next_cursor.empty()) response.set_next_page_token(EncodePageToken(fingerprint, page->next_cursor));
  return response;
}

}  // namespace pumptrack::service
