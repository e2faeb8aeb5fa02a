#include "engine/ingest_metrics.h"

#include "prometheus/family.h"

namespace pumptrack::engine {
namespace {

prometheus::Family<prometheus::Counter>& ReportsFamily(prometheus::Registry& registry) {
  return prometheus::BuildCounter()
      .Name("pumptrack_reports_total")
      .Help("Observations received from agents, by outcome.")
      .Register(registry);
}

prometheus::Histogram::BucketBoundaries LatencyBuckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};
}

}  // namespace

IngestMetrics::IngestMetrics(prometheus::Registry& registry)
    : accepted_(ReportsFamily(registry).Add({{"result", "accepted"}})),
      duplicates_(ReportsFamily(registry).Add({{"result", "duplicate"}})),
      rejected_invalid_(ReportsFamily(registry).Add({{"result", "rejected_invalid"}})),
      rejected_overloaded_(ReportsFamily(registry).Add({{"result", "rejected_overloaded"}})),
      rejected_storage_(ReportsFamily(registry).Add({{"result", "rejected_storage"}})),
      ingest_latency_(prometheus::BuildHistogram()
                          .Name("pumptrack_ingest_latency_seconds")
                          .Help("Time from a report's arrival until it is durable.")
                          .Register(registry)
                          .Add({}, LatencyBuckets())),
      commit_observations_(
          prometheus::BuildHistogram()
              .Name("pumptrack_commit_batch_observations")
              .Help("Observations per group commit (one WriteBatch, one synced write).")
              .Register(registry)
              .Add({}, prometheus::Histogram::BucketBoundaries{1, 10, 50, 100, 500, 1000, 2000, 4000, 8192})),
      commit_duration_(prometheus::BuildHistogram()
                           .Name("pumptrack_commit_duration_seconds")
                           .Help("Duration of one group commit including the WAL sync.")
                           .Register(registry)
                           .Add({}, LatencyBuckets())),
      commit_errors_(prometheus::BuildCounter()
                         .Name("pumptrack_commit_errors_total")
                         .Help("Group commits that failed; their reports were not acknowledged.")
                         .Register(registry)
                         .Add({})),
      queue_depth_(prometheus::BuildGauge()
                       .Name("pumptrack_ingest_queue_observations")
                       .Help("Observations waiting for the group-commit writer.")
                       .Register(registry)
                       .Add({})),
      open_streams_(prometheus::BuildGauge()
                        .Name("pumptrack_agent_streams")
                        .Help("Open ReportStream calls (connected agents).")
                        .Register(registry)
                        .Add({})),
      stream_read_pauses_(prometheus::BuildCounter()
                              .Name("pumptrack_report_stream_read_pauses_total")
                              .Help("Times a ReportStream stopped reading because its unacknowledged observations "
                                    "reached --max_stream_inflight_observations (or its batches reached 16).")
                              .Register(registry)
                              .Add({})) {}

void IngestMetrics::ObserveCommit(std::size_t observations, absl::Duration duration, const absl::Status& status) {
  commit_observations_.Observe(static_cast<double>(observations));
  commit_duration_.Observe(absl::ToDoubleSeconds(duration));
  if (!status.ok()) commit_errors_.Increment();
}

}  // namespace pumptrack::engine
