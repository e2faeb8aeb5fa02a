// The agent's own Prometheus metrics (served on --metrics_listen). No per-device labels.
#ifndef PUMPTRACK_AGENTS_METRICS_H_
#define PUMPTRACK_AGENTS_METRICS_H_

#include <atomic>
#include <cstdint>
#include <memory>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"

namespace pumptrack::agents {

// Families are registered once at construction and their series cached; updates are lock-free. Thread-safe.
class AgentMetrics {
 public:
  AgentMetrics();

  // For the exposer.
  std::shared_ptr<prometheus::Registry> registry() const { return registry_; }

  void SetBuffered(int64_t entries) { buffered_.Set(static_cast<double>(entries)); }
  void AddSent(int64_t observations) { sent_.Increment(static_cast<double>(observations)); }
  // Observations the service acknowledged as stored (ACCEPTED or DUPLICATE); records `now` as the last ack.
  void AddAcknowledged(int64_t observations, absl::Time now);
  void AddDroppedOverflow(int64_t observations) { dropped_overflow_.Increment(static_cast<double>(observations)); }
  void AddDroppedRejected(int64_t observations) { dropped_rejected_.Increment(static_cast<double>(observations)); }
  void AddDroppedUnencodable(int64_t observations) {
    dropped_unencodable_.Increment(static_cast<double>(observations));
  }
  void AddReconnect() { reconnects_.Increment(); }
  // Sets pumptrack_agent_last_ack_age_seconds to the time since the last ack (since start when none yet).
  void UpdateLastAckAge(absl::Time now);

  double sent() const { return sent_.Value(); }
  double acknowledged() const { return acknowledged_.Value(); }
  double dropped_overflow() const { return dropped_overflow_.Value(); }
  double dropped_rejected() const { return dropped_rejected_.Value(); }
  double dropped_unencodable() const { return dropped_unencodable_.Value(); }
  double reconnects() const { return reconnects_.Value(); }
  double buffered() const { return buffered_.Value(); }

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Gauge& buffered_;
  prometheus::Counter& sent_;
  prometheus::Counter& acknowledged_;
  prometheus::Counter& dropped_overflow_;
  prometheus::Counter& dropped_rejected_;
  prometheus::Counter& dropped_unencodable_;
  prometheus::Counter& reconnects_;
  prometheus::Gauge& last_ack_age_;
  std::atomic<int64_t> last_ack_unix_nanos_;
};

}  // namespace pumptrack::agents

#endif  // PUMPTRACK_AGENTS_METRICS_H_
