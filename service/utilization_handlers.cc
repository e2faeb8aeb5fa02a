#include "service/utilization_handlers.h"

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
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
  return rollup.Query(since, until, now, request.group_by());
}

}  // namespace pumptrack::service
