#include "service/advisory_handlers.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "advisories/csaf_parser.h"
#include "advisories/sha512_sidecar.h"
#include "common/status_macros.h"
#include "service/inventory_handlers.h"
#include "service/page_token.h"
#include "service/validation.h"

namespace pumptrack::service {
namespace {

absl::Status ValidateTrackingIdField(absl::string_view tracking_id) {
  if (std::optional<FieldViolation> violation = ValidateTrackingId(tracking_id)) return ToStatus(*violation);
  return absl::OkStatus();
}

// The same status with "<what>: " in front of its message.
absl::Status Prefixed(const absl::Status& status, absl::string_view what) {
  return absl::Status(status.code(), absl::StrCat(what, ": ", status.message()));
}

}  // namespace

absl::StatusOr<v1::ImportAdvisoriesResponse> ImportAdvisories(const v1::ImportAdvisoriesRequest& request,
                                                              const engine::Caller& caller,
                                                              engine::AdvisoryRuntime& runtime, absl::Time now) {
  if (request.files().empty()) return ToStatus({"files", "at least one file is required"});
  if (request.files_size() > kMaxAdvisoryFilesPerImport) {
    return ToStatus({"files", absl::StrCat(request.files_size(), " files, more than the limit of ",
                                           kMaxAdvisoryFilesPerImport, " per call")});
  }
  std::vector<v1::Advisory> parsed;
  std::vector<std::string> what;
  for (int i = 0; i < request.files_size(); ++i) {
    const v1::AdvisoryFile& file = request.files(i);
    const std::string path = absl::StrCat("files[", i, "]");
    if (std::optional<FieldViolation> violation = ValidateAdvisoryFile(file, path)) return ToStatus(*violation);
    const std::string named = absl::StrCat(path, " (", file.file_name(), ")");
    if (absl::Status sum = advisories::VerifySha512Sidecar(file.content(), file.file_name(), file.sha512_sidecar());
        !sum.ok()) {
      return Prefixed(sum, named);
    }
    absl::StatusOr<v1::Advisory> advisory = advisories::ParseCsafAdvisory(file.content());
    if (!advisory.ok()) return Prefixed(advisory.status(), named);
    parsed.push_back(*std::move(advisory));
    what.push_back(named);
  }
  ASSIGN_OR_RETURN(std::vector<v1::AdvisorySummary> summaries,
                   runtime.Import(parsed, what, caller.actor, now, request.findings_in_background()));
  v1::ImportAdvisoriesResponse response;
  for (v1::AdvisorySummary& summary : summaries) *response.add_imported() = std::move(summary);
  return response;
}

absl::StatusOr<v1::ListAdvisoriesResponse> ListAdvisories(const v1::ListAdvisoriesRequest& request,
                                                          const engine::AdvisoryRuntime& runtime) {
  ASSIGN_OR_RETURN(int page_size, ResolvePageSize(request.page_size()));
  const std::uint64_t fingerprint = FilterFingerprint({"advisories"});
  std::string after;
  if (!request.page_token().empty()) {
    ASSIGN_OR_RETURN(after, DecodePageToken(request.page_token(), fingerprint));
  }
  std::string next_after;
  ASSIGN_OR_RETURN(std::vector<v1::AdvisorySummary> summaries, runtime.List(after, page_size, &next_after));
  v1::ListAdvisoriesResponse response;
  for (v1::AdvisorySummary& summary : summaries) *response.add_advisories() = std::move(summary);
  if (!next_after.empty()) response.set_next_page_token(EncodePageToken(fingerprint, next_after));
  return response;
}

absl::StatusOr<v1::Advisory> GetAdvisory(const v1::GetAdvisoryRequest& request,
                                         const engine::AdvisoryRuntime& runtime) {
  RETURN_IF_ERROR(ValidateTrackingIdField(request.tracking_id()));
  return runtime.Get(request.tracking_id());
}

absl::StatusOr<v1::ListAffectedDevicesResponse> ListAffectedDevices(const v1::ListAffectedDevicesRequest& request,
                                                                    const engine::AdvisoryRuntime& runtime) {
  RETURN_IF_ERROR(ValidateTrackingIdField(request.tracking_id()));
  ASSIGN_OR_RETURN(int page_size, ResolvePageSize(request.page_size()));
  const std::uint64_t fingerprint = FilterFingerprint({"advisory-affected", request.tracking_id()});
  std::string after;
  if (!request.page_token().empty()) {
    ASSIGN_OR_RETURN(after, DecodePageToken(request.page_token(), fingerprint));
  }
  std::string next_after;
  int total = 0;
  ASSIGN_OR_RETURN(std::vector<v1::AffectedDevice> devices,
                   runtime.ListAffected(request.tracking_id(), after, page_size, &next_after, &total));
  v1::ListAffectedDevicesResponse response;
  for (v1::AffectedDevice& device : devices) *response.add_devices() = std::move(device);
  response.set_total(total);
  if (!next_after.empty()) response.set_next_page_token(EncodePageToken(fingerprint, next_after));
  return response;
}

absl::StatusOr<v1::ListUnmappedProductsResponse> ListUnmappedProducts(const v1::ListUnmappedProductsRequest& request,
                                                                      const engine::AdvisoryRuntime& runtime) {
  ASSIGN_OR_RETURN(int page_size, ResolvePageSize(request.page_size()));
  const std::uint64_t fingerprint = FilterFingerprint({"advisory-unmapped"});
  std::string after;
  if (!request.page_token().empty()) {
    ASSIGN_OR_RETURN(after, DecodePageToken(request.page_token(), fingerprint));
  }
  std::string next_after;
  v1::ListUnmappedProductsResponse response;
  for (v1::UnmappedAdvisoryProduct& product : runtime.ListUnmapped(after, page_size, &next_after)) {
    *response.add_products() = std::move(product);
  }
  if (!next_after.empty()) response.set_next_page_token(EncodePageToken(fingerprint, next_after));
  return response;
}

}  // namespace pumptrack::service
