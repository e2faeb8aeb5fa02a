#ifndef PUMPTRACK_SERVICE_REPORT_RESULTS_H_
#define PUMPTRACK_SERVICE_REPORT_RESULTS_H_

#include "absl/status/status.h"
#include "engine/ingest_metrics.h"
#include "pumptrack/v1/agent_service.pb.h"
#include "storage/device_store.h"

namespace pumptrack::service {

v1::ReportResult ToReportResult(storage::ApplyResult result);

// What a client is told when a commit failed: the storage detail stays in the server's log. A full disk is
// RESOURCE_EXHAUSTED, anything else UNAVAILABLE; both mean "nothing stored, retry later".
absl::Status ClientFacingStorageError(const absl::Status& storage_error);

// Counts accepted and duplicate results.
void CountResults(engine::IngestMetrics& metrics, const std::vector<storage::ApplyResult>& results);

}  // namespace pumptrack::service

#endif  // PUMPTRACK_SERVICE_REPORT_RESULTS_H_
