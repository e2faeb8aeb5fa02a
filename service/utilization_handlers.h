#ifndef PUMPTRACK_SERVICE_UTILIZATION_HANDLERS_H_
#define PUMPTRACK_SERVICE_UTILIZATION_HANDLERS_H_

// ReportService.GetUtilization: validates the window and grouping (INVALID_ARGUMENT naming the field), then reads
// the utilization roll-up (docs/UTILIZATION.md). Runs on the worker pool.

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "engine/utilization_rollup.h"
#include "pumptrack/v1/report.pb.h"

namespace pumptrack::service {

// The longest window GetUtilization answers.
inline constexpr absl::Duration kMaxUtilizationWindow = absl::Hours(24 * 400);

absl::StatusOr<v1::GetUtilizationResponse> GetUtilization(const v1::GetUtilizationRequest& request,
                                                          const engine::UtilizationRollup& rollup, absl::Time now);

}  // namespace pumptrack::service

#endif  // PUMPTRACK_SERVICE_UTILIZATION_HANDLERS_H_
