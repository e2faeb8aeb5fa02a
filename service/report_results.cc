#include "service/report_results.h"

#include "spdlog/spdlog.h"

namespace pumptrack::service {

v1::ReportResult ToReportResult(storage::ApplyResult result) {
  switch (result) {
    case storage::ApplyResult::kAccepted:
      return v1::REPORT_RESULT_ACCEPTED;
    case storage::ApplyResult::kDuplicate:
      return v1::REPORT_RESULT_DUPLICATE;
  }
  return v1::REPORT_RESULT_UNSPECIFIED;
}

absl::Status ClientFacingStorageError(const absl::Status& storage_error) {
  spdlog::error("commit failed: {}", storage_error.ToString());
  if (absl::IsResourceExhausted(storage_error)) {
    return absl::ResourceExhaustedError("storage is full; nothing was stored, retry later");
  }
  return absl::UnavailableError("storage is failing; nothing was stored, retry later");
}

void CountResults(engine::IngestMetrics& metrics, const std::vector<storage::ApplyResult>& results) {
  std::size_t accepted = 0;
  for (storage::ApplyResult result : results) accepted += result == storage::ApplyResult::kAccepted ? 1 : 0;
  metrics.CountAccepted(accepted);
  metrics.CountDuplicates(results.size() - accepted);
}

}  // namespace pumptrack::service
