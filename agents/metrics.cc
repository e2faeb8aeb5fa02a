#include "agents/metrics.h"

#include "prometheus/family.h"

namespace pumptrack::agents {
namespace {

prometheus::Family<prometheus::Counter>& DroppedFamily(prometheus::Registry& registry) {
  return prometheus::BuildCounter()
      .Name("pumptrack_agent_reports_dropped_total")
      .Help(
          "Observations that left the buffer without being stored by the service, by reason: overflow (the "
          "buffer was full; oldest dropped), rejected (the service refused the observation as invalid), "
          "unencodable (could not be encoded for sending).")
      .Register(registry);
}

}  // namespace

AgentMetrics::AgentMetrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      buffered_(prometheus::BuildGauge()
                    .Name("pumptrack_agent_buffered")
                    .Help("Observations in the durable buffer, not yet acknowledged by the service.")
                    .Register(*registry_)
                    .Add({})),
      sent_(prometheus::BuildCounter()
                .Name("pumptrack_agent_reports_sent_total")
                .Help("Observations handed to the uplink, once per delivery attempt (a retry after a failed "
                      "stream counts again).")
                .Register(*registry_)
                .Add({})),
      acknowledged_(prometheus::BuildCounter()
                        .Name("pumptrack_agent_reports_acknowledged_total")
                        .Help("Observations the service acknowledged as stored (accepted or duplicate).")
                        .Register(*registry_)
                        .Add({})),
      dropped_overflow_(DroppedFamily(*registry_).Add({{"reason", "overflow"}})),
      dropped_rejected_(DroppedFamily(*registry_).Add({{"reason", "rejected"}})),
      dropped_unencodable_(DroppedFamily(*registry_).Add({{"reason", "unencodable"}})),
      reconnects_(prometheus::BuildCounter()
                      .Name("pumptrack_agent_reconnects_total")
                      .Help("Report streams that failed and were retried after a backoff.")
                      .Register(*registry_)
                      .Add({})),
      last_ack_age_(prometheus::BuildGauge()
                        .Name("pumptrack_agent_last_ack_age_seconds")
                        .Help("Seconds since the service last acknowledged a batch (since start if never).")
                        .Register(*registry_)
                        .Add({})),
      last_ack_unix_nanos_(absl::ToUnixNanos(absl::Now())) {}

void AgentMetrics::AddAcknowledged(int64_t observations, absl::Time now) {
  acknowledged_.Increment(static_cast<double>(observations));
  last_ack_unix_nanos_.store(absl::ToUnixNanos(now), std::memory_order_relaxed);
}

void AgentMetrics::UpdateLastAckAge(absl::Time now) {
  const absl::Time last = absl::FromUnixNanos(last_ack_unix_nanos_.load(std::memory_order_relaxed));
  last_ack_age_.Set(absl::ToDoubleSeconds(now - last));
}

}  // namespace pumptrack::agents
