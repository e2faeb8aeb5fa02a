#ifndef PUMPTRACK_SERVICE_FLOW_CONTROL_H_
#define PUMPTRACK_SERVICE_FLOW_CONTROL_H_

#include <cstddef>

namespace pumptrack::service {

// Default of --max_stream_inflight_observations: the observations one ReportStream may have read but not yet
// acknowledged before the service stops reading it. Chosen from the sweep in docs/FLOW_CONTROL.md.
inline constexpr std::size_t kDefaultMaxStreamInflightObservations = 2000;

// Most batches one stream may have read but not yet acknowledged, whatever their size; beyond it the service stops
// reading too.
inline constexpr std::size_t kMaxBatchesInFlightPerStream = 16;

}  // namespace pumptrack::service

#endif  // PUMPTRACK_SERVICE_FLOW_CONTROL_H_
