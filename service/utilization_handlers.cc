#include "service/utilization_handlers.h"

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "service/inventory_handlers.h"
#include "service/page_token.h"
#include "storage/proto_time.h"

namespace pumptrack::service {
namespace {

// Not before 2000-01-01 (as observations) and not after 9999-12-31 (google.protobuf.Timestamp's range).
constexpr std::int64_t kMinSeconds = 946684800;
constexpr std::int64_t kMaxSeconds = 253402300799;

absl::Status CheckTime(absl::string_view field, const google::protobuf::Timestamp& t) {
  if (t.seconds() < kMinSeconds || t.seconds() > kMaxSeconds || t.nanos() < 0 || t.nanos() > 999999999) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": must be a time from 2000-01-01 to 9999-12-31"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<v1::GetUtilizationResponse> GetUtilization(const v1::GetUtilizationRequest& request,
                                                          const engine::UtilizationRollup& rollup, absl::Time now) {
  if (!request.has_since()) return absl::InvalidArgumentError("since: is required");
  if (absl::Status status = CheckTime("since", request.since()); !status.ok()) return status;
  const absl::Time since = storage::ToAbslTime(request.since());
  absl::Time until = now;
  if (request.has_until()) {
    if (absl::Status status = CheckTime("until", request.until()); !status.ok()) return status;
    until = storage::ToAbslTime(request.until());
  }
  if (until <= since) return absl::InvalidArgumentError("until: must be after since");
  if (until - since > kMaxUtilizationWindow) {
    return absl::InvalidArgumentError("since: the window may span at most 400 days");
  }
  if (!v1::UtilizationGrouping_IsValid(request.group_by())) {
    return absl::InvalidArgumentError("group_by: unknown grouping");
  }
  ASSIGN_OR_RETURN(const int page_size, ResolvePageSize(request.page_size()));
  const bool by_device = request.group_by() == v1::UTILIZATION_GROUPING_DEVICE;
  if (!by_device && !request.page_token().empty()) {
    return absl::InvalidArgumentError("page_token: paging applies to group_by DEVICE only");
  }
  if (!by_device) return rollup.Query(since, until, now, request.group_by());
  // A token is bound to the window's start and the grouping; `until` may be pinned by the caller after page one.
  const std::uint64_t fingerprint = FilterFingerprint(
      {"utilization", absl::StrCat(request.since().seconds(), ".", request.since().nanos()), "device"});
  std::string after;
  if (!request.page_token().empty()) {
    ASSIGN_OR_RETURN(after, DecodePageToken(request.page_token(), fingerprint));
    if (after.empty()) return absl::InvalidArgumentError("page_token: is malformed");
  }
  std::string next_after;
  ASSIGN_OR_RETURN(v1::GetUtilizationResponse response,
                   rollup.Query(since, until, now, request.group_by(), after, page_size, &next_after));
  if (!next_after.empty()) response.set_next_page_token(EncodePageToken(fingerprint, next_after));
  return response;
}

}  // namespace pumptrack::service
