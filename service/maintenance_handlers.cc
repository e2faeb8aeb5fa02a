#include "service/maintenance_handlers.h"

#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "common/status_macros.h"
#include "service/inventory_handlers.h"
#include "service/page_token.h"
#include "service/validation.h"
#include "storage/proto_time.h"

namespace pumptrack::service {
namespace {

constexpr std::size_t kMaxNotesBytes = 1024;
constexpr std::size_t kMaxPerformedByBytes = 128;
// Component.serial_number's limit.
constexpr std::size_t kMaxComponentSerialBytes = 64;
// google.protobuf.Timestamp's valid range: 0001-01-01 to 9999-12-31.
constexpr std::int64_t kMinTimestampSeconds = -62135596800;
constexpr std::int64_t kMaxTimestampSeconds = 253402300799;

absl::Status CheckTimestamp(absl::string_view field, const google::protobuf::Timestamp& t) {
  if (t.seconds() < kMinTimestampSeconds || t.seconds() > kMaxTimestampSeconds || t.nanos() < 0 ||
      t.nanos() > 999999999) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": is not a valid time"));
  }
  return absl::OkStatus();
}

absl::Status CheckText(absl::string_view field, absl::string_view value, std::size_t max) {
  if (value.size() > max) return absl::InvalidArgumentError(absl::StrCat(field, ": at most ", max, " bytes"));
  if (!IsCleanText(value)) return absl::InvalidArgumentError(absl::StrCat(field, ": must be printable text"));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<engine::MaintenanceWork> ValidateMaintenanceWork(const v1::RecordMaintenanceRequest& request,
                                                                absl::string_view prefix) {
  const auto field = [&](absl::string_view name) { return absl::StrCat(prefix, name); };
  if (!IsValidAssetTag(request.asset_tag())) {
    return absl::InvalidArgumentError(absl::StrCat(field("asset_tag"), ": ", ids::kAssetTagRule));
  }
  if (request.kind() == v1::MAINTENANCE_KIND_UNSPECIFIED || !v1::MaintenanceKind_IsValid(request.kind())) {
    return absl::InvalidArgumentError(
        absl::StrCat(field("kind"), ": must be pm, repair, inspection or battery_replacement"));
  }
  if (!request.has_performed_at())
    return absl::InvalidArgumentError(absl::StrCat(field("performed_at"), ": is required"));
  RETURN_IF_ERROR(CheckTimestamp(field("performed_at"), request.performed_at()));
  RETURN_IF_ERROR(CheckText(field("performed_by"), request.performed_by(), kMaxPerformedByBytes));
  RETURN_IF_ERROR(CheckText(field("notes"), request.notes(), kMaxNotesBytes));
  RETURN_IF_ERROR(CheckText(field("component_serial"), request.component_serial(), kMaxComponentSerialBytes));
  engine::MaintenanceWork work;
  work.component_serial = request.component_serial();
  work.asset_tag = request.asset_tag();
  work.kind = request.kind();
  work.performed_at = storage::ToAbslTime(request.performed_at());
  work.performed_by = request.performed_by();
  work.notes = request.notes();
  if (request.has_next_due_override()) {
    RETURN_IF_ERROR(CheckTimestamp(field("next_due_override"), request.next_due_override()));
    work.next_due_override = storage::ToAbslTime(request.next_due_override());
    if (*work.next_due_override <= work.performed_at) {
      return absl::InvalidArgumentError(absl::StrCat(field("next_due_override"), ": must be after performed_at"));
    }
  }
  return work;
}

absl::StatusOr<v1::RecordMaintenanceResponse> RecordMaintenance(const v1::RecordMaintenanceRequest& request,
                                                                const engine::Caller& caller,
                                                                engine::MaintenanceRuntime& runtime) {
  ASSIGN_OR_RETURN(engine::MaintenanceWork work, ValidateMaintenanceWork(request));
  return runtime.Record(work, caller.actor);
}

absl::StatusOr<v1::ImportMaintenanceResponse> ImportMaintenance(const v1::ImportMaintenanceRequest& request,
                                                                const engine::Caller& caller,
                                                                engine::MaintenanceRuntime& runtime) {
  if (request.records_size() == 0) return absl::InvalidArgumentError("records: at least one is required");
  if (request.records_size() > kMaxImportRecords) {
    return absl::InvalidArgumentError(
        absl::StrCat("records: ", request.records_size(), " records; at most ", kMaxImportRecords, " per import"));
  }
  std::vector<engine::MaintenanceWork> works;
  works.reserve(request.records_size());
  for (int i = 0; i < request.records_size(); ++i) {
    ASSIGN_OR_RETURN(engine::MaintenanceWork work,
                     ValidateMaintenanceWork(request.records(i), absl::StrCat("records[", i, "].")));
    works.push_back(std::move(work));
  }
  return runtime.Import(works, caller.actor);
}

absl::StatusOr<v1::ListMaintenanceResponse> ListMaintenance(const v1::ListMaintenanceRequest& request,
                                                            const engine::MaintenanceRuntime& runtime) {
  if (!IsValidAssetTag(request.asset_tag())) {
    return absl::InvalidArgumentError(absl::StrCat("asset_tag: ", ids::kAssetTagRule));
  }
  ASSIGN_OR_RETURN(int page_size, ResolvePageSize(request.page_size()));
  const std::uint64_t fingerprint = FilterFingerprint({request.asset_tag()});
  ASSIGN_OR_RETURN(std::uint64_t after, DecodeNumericPageToken(request.page_token(), fingerprint));
  ASSIGN_OR_RETURN(storage::MaintenanceHistoryPage page, runtime.History(request.asset_tag(), after, page_size));
  v1::ListMaintenanceResponse response;
  for (v1::MaintenanceRecord& record : page.records) *response.add_records() = std::move(record);
  if (page.next_after != 0) {
    response.set_next_page_token(EncodePageToken(fingerprint, absl::StrCat(page.next_after)));
  }
  return response;
}

absl::StatusOr<v1::ListDueResponse> ListDue(const v1::ListDueRequest& request,
                                            const engine::MaintenanceRuntime& runtime) {
  std::optional<absl::Duration> within;
  if (request.has_within()) {
    const google::protobuf::Duration& d = request.within();
    if (d.seconds() < 0 || d.nanos() < 0 || d.seconds() > 10LL * 366 * 24 * 3600) {
      return absl::InvalidArgumentError("within: must be between 0 and 10 years");
    }
    within = absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
  }
  if (!request.unit().empty() && (request.unit().size() > 64 || !IsCleanText(request.unit()))) {
    return absl::InvalidArgumentError("unit: must be 1-64 printable characters");
  }
  ASSIGN_OR_RETURN(std::vector<v1::DuePump> pumps, runtime.Due(within, request.unit()));
  v1::ListDueResponse response;
  for (v1::DuePump& pump : pumps) *response.add_pumps() = std::move(pump);
  return response;
}

}  // namespace pumptrack::service
