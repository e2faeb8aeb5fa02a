#ifndef PUMPTRACK_ENGINE_INGEST_METRICS_H_
#define PUMPTRACK_ENGINE_INGEST_METRICS_H_

#include <cstddef>
#include <memory>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace pumptrack::engine {

// The service's Prometheus metrics. Every family and series is created in the constructor, so the hot path only
// touches cached references. No label ever names a device: series count does not grow with the fleet.
// Thread-safe.
class IngestMetrics {
 public:
  explicit IngestMetrics(prometheus::Registry& registry);

  void CountAccepted(std::size_t n) { accepted_.Increment(static_cast<double>(n)); }
  void CountDuplicates(std::size_t n) { duplicates_.Increment(static_cast<double>(n)); }
  void CountRejectedInvalid(std::size_t n) { rejected_invalid_.Increment(static_cast<double>(n)); }
  void CountRejectedOverloaded(std::size_t n) { rejected_overloaded_.Increment(static_cast<double>(n)); }
  void CountRejectedStorage(std::size_t n) { rejected_storage_.Increment(static_cast<double>(n)); }

  // From a request's arrival to its observations being durable.
  void ObserveIngestLatency(absl::Duration latency) { ingest_latency_.Observe(absl::ToDoubleSeconds(latency)); }
  // One group commit: how many observations, how long the synced write took, and whether it failed.
  void ObserveCommit(std::size_t observations, absl::Duration duration, const absl::Status& status);
  void SetIngestQueueDepth(std::size_t observations) { queue_depth_.Set(static_cast<double>(observations)); }
  void AddStreams(int delta) { open_streams_.Increment(delta); }
  // A ReportStream stopped reading because its unacknowledged observations reached the per-stream bound.
  void CountStreamReadPause() { stream_read_pauses_.Increment(); }

 private:
  prometheus::Counter& accepted_;
  prometheus::Counter& duplicates_;
  prometheus::Counter& rejected_invalid_;
  prometheus::Counter& rejected_overloaded_;
  prometheus::Counter& rejected_storage_;
  prometheus::Histogram& ingest_latency_;
  prometheus::Histogram& commit_observations_;
  prometheus::Histogram& commit_duration_;
  prometheus::Counter& commit_errors_;
  prometheus::Gauge& queue_depth_;
  prometheus::Gauge& open_streams_;
  prometheus::Counter& stream_read_pauses_;
};

}  // namespace pumptrack::engine

#endif  // PUMPTRACK_ENGINE_INGEST_METRICS_H_
