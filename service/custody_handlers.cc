#include "service/custody_handlers.h"

#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "common/status_macros.h"
#include "service/inventory_handlers.h"
#include "service/page_token.h"
#include "service/validation.h"

namespace pumptrack::service {
namespace {

constexpr std::size_t kMaxTextBytes = 1024;
constexpr absl::Duration kMinDueIn = absl::Minutes(1);
constexpr absl::Duration kMaxDueIn = absl::Hours(24 * 30);
constexpr int kDefaultAvailableCount = 5;
constexpr int kMaxAvailableCount = 100;

absl::Status CheckTag(absl::string_view tag) {
  if (IsValidAssetTag(tag)) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("asset_tag: ", ids::kAssetTagRule));
}

// A unit id or seal id: 1-64 printable characters.
absl::Status CheckName(absl::string_view field, absl::string_view value) {
  if (value.empty() || value.size() > 64) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": must be 1-64 characters"));
  }
  if (!IsCleanText(value)) return absl::InvalidArgumentError(absl::StrCat(field, ": must be printable text"));
  return absl::OkStatus();
}

// Free text a person writes; never patient data, but nothing stops them, so it is at least bounded and printable.
absl::Status CheckText(absl::string_view field, absl::string_view value, bool required) {
  if ((required && value.empty()) || value.size() > kMaxTextBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": must be ", required ? "1" : "0", "-", kMaxTextBytes, " bytes"));
  }
  if (!IsCleanText(value)) return absl::InvalidArgumentError(absl::StrCat(field, ": must be printable text"));
  return absl::OkStatus();
}

absl::StatusOr<absl::Duration> CheckDueIn(const v1::CheckOutRequest& request) {
  if (!request.has_due_in()) return absl::InvalidArgumentError("due_in: is required");
  const google::protobuf::Duration& d = request.due_in();
  const bool well_formed = d.nanos() > -1000000000 && d.nanos() < 1000000000 && !(d.seconds() > 0 && d.nanos() < 0) &&
                           !(d.seconds() < 0 && d.nanos() > 0);
  const absl::Duration due_in = absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
  if (!well_formed || due_in < kMinDueIn || due_in > kMaxDueIn) {
    return absl::InvalidArgumentError("due_in: must be between 1 minute and 30 days");
  }
  return due_in;
}

absl::StatusOr<v1::CustodyResult> Simple(v1::CustodyAction action, const std::string& tag, absl::string_view field,
                                         const std::string& text, const engine::Caller& caller,
                                         engine::CustodyRuntime& runtime) {
  RETURN_IF_ERROR(CheckTag(tag));
  RETURN_IF_ERROR(CheckText(field, text, /*required=*/false));
  engine::CustodyRequest request;
  request.asset_tag = tag;
  request.action = action;
  request.reason = text;
  return runtime.Act(request, caller.actor);
}

}  // namespace

absl::StatusOr<v1::CustodyResult> CheckOut(const v1::CheckOutRequest& request, const engine::Caller& caller,
                                           engine::CustodyRuntime& runtime) {
  RETURN_IF_ERROR(CheckTag(request.asset_tag()));
  RETURN_IF_ERROR(CheckName("destination_unit", request.destination_unit()));
  RETURN_IF_ERROR(CheckText("reason", request.reason(), /*required=*/true));
  ASSIGN_OR_RETURN(absl::Duration due_in, CheckDueIn(request));
  engine::CustodyRequest check_out;
  check_out.asset_tag = request.asset_tag();
  check_out.action = v1::CUSTODY_ACTION_CHECK_OUT;
  check_out.unit = request.destination_unit();
  check_out.reason = request.reason();
  check_out.due_in = due_in;
  check_out.permanent_transfer = request.permanent_transfer();
  return runtime.Act(check_out, caller.actor);
}

absl::StatusOr<v1::CustodyResult> CheckIn(const v1::CheckInRequest& request, const engine::Caller& caller,
                                          engine::CustodyRuntime& runtime) {
  RETURN_IF_ERROR(CheckTag(request.asset_tag()));
  RETURN_IF_ERROR(CheckName("unit", request.unit()));
  RETURN_IF_ERROR(CheckName("observed_seal_id", request.observed_seal_id()));
  RETURN_IF_ERROR(CheckText("notes", request.notes(), /*required=*/false));
  engine::CustodyRequest check_in;
  check_in.asset_tag = request.asset_tag();
  check_in.action = v1::CUSTODY_ACTION_CHECK_IN;
  check_in.unit = request.unit();
  check_in.reason = request.notes();
  check_in.observed_seal_id = request.observed_seal_id();
  return runtime.Act(check_in, caller.actor);
}

absl::StatusOr<v1::CustodyResult> Quarantine(const v1::QuarantineRequest& request, const engine::Caller& caller,
                                             engine::CustodyRuntime& runtime) {
  return Simple(v1::CUSTODY_ACTION_QUARANTINE, request.asset_tag(), "reason", request.reason(), caller, runtime);
}

absl::StatusOr<v1::CustodyResult> Release(const v1::ReleaseRequest& request, const engine::Caller& caller,
                                          engine::CustodyRuntime& runtime) {
  return Simple(v1::CUSTODY_ACTION_RELEASE, request.asset_tag(), "notes", request.notes(), caller, runtime);
}

absl::StatusOr<v1::CustodyResult> SetMaintenance(const v1::SetMaintenanceRequest& request, const engine::Caller& caller,
                                                 engine::CustodyRuntime& runtime) {
  return Simple(v1::CUSTODY_ACTION_SET_MAINTENANCE, request.asset_tag(), "reason", request.reason(), caller, runtime);
}

absl::StatusOr<v1::CustodyResult> Retire(const v1::RetireRequest& request, const engine::Caller& caller,
                                         engine::CustodyRuntime& runtime) {
  return Simple(v1::CUSTODY_ACTION_RETIRE, request.asset_tag(), "reason", request.reason(), caller, runtime);
}

absl::StatusOr<v1::GetCustodyHistoryResponse> GetCustodyHistory(const v1::GetCustodyHistoryRequest& request,
                                                                const engine::CustodyRuntime& runtime) {
  RETURN_IF_ERROR(CheckTag(request.asset_tag()));
  ASSIGN_OR_RETURN(int page_size, ResolvePageSize(request.page_size()));
  const std::uint64_t fingerprint = FilterFingerprint({request.asset_tag()});
  ASSIGN_OR_RETURN(std::uint64_t after, DecodeNumericPageToken(request.page_token(), fingerprint));
  ASSIGN_OR_RETURN(storage::CustodyHistoryPage page, runtime.History(request.asset_tag(), after, page_size));
  v1::GetCustodyHistoryResponse response;
  for (v1::CustodyEvent& event : page.events) *response.add_events() = std::move(event);
  if (page.next_after != 0) {
    response.set_next_page_token(EncodePageToken(fingerprint, absl::StrCat(page.next_after)));
  }
  return response;
}

absl::StatusOr<v1::ListCustodyResponse> ListCustody(const v1::ListCustodyRequest& request,
                                                    const engine::CustodyRuntime& runtime) {
  ASSIGN_OR_RETURN(std::vector<v1::CheckedOutPump> pumps, runtime.ListCheckouts(request.overdue_only()));
  v1::ListCustodyResponse response;
  for (v1::CheckedOutPump& pump : pumps) *response.add_checkouts() = std::move(pump);
  return response;
}

absl::StatusOr<v1::FindAvailableResponse> FindAvailable(const v1::FindAvailableRequest& request,
                                                        const engine::CustodyRuntime& runtime) {
  RETURN_IF_ERROR(CheckName("near_unit", request.near_unit()));
  if (request.count() < 0 || request.count() > kMaxAvailableCount) {
    return absl::InvalidArgumentError(absl::StrCat("count: must be within 0-", kMaxAvailableCount));
  }
  return runtime.FindAvailable(request.near_unit(), request.count() == 0 ? kDefaultAvailableCount : request.count());
}

}  // namespace pumptrack::service
