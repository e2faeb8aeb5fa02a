// The agent's main loop: observe a round, number and buffer it durably, deliver the buffer oldest first, wait for the
// next interval.
#ifndef PUMPTRACK_AGENTS_AGENT_H_
#define PUMPTRACK_AGENTS_AGENT_H_

#include <cstddef>
#include <cstdint>
#include <memory>

#include "absl/status/status.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "agents/adapter.h"
#include "agents/buffer.h"
#include "agents/clock.h"
#include "agents/metrics.h"
#include "agents/uplink.h"

namespace pumptrack::agents {

struct AgentOptions {
  // Time between the starts of consecutive rounds; a round that overruns is followed by the next one at once.
  absl::Duration interval = absl::Seconds(30);
  // Rounds to observe; 0 runs until RequestStop(). After the last round the agent keeps delivering until its buffer
  // is empty (or the deadline passes), then Run() returns.
  int64_t rounds = 0;
  // Give up (DEADLINE_EXCEEDED) when the buffer is not empty this long after Run() started. Infinite: never.
  absl::Duration deadline = absl::InfiniteDuration();
  // Return at once when the service refuses the agent for good (a non-retryable stream error such as
  // PERMISSION_DENIED or UNAUTHENTICATED) instead of retrying with the longest backoff.
  bool fail_fast = false;
  // Observations read from the buffer and handed to the uplink at a time.
  // Bigger chunks keep the uplink's window full for longer (it drains at the end of each chunk).
  size_t delivery_chunk = 50'000;
  // Backoff between failed deliveries (reconnects): doubles from initial to max, each jittered.
  absl::Duration initial_backoff = absl::Milliseconds(500);
  absl::Duration max_backoff = absl::Seconds(30);
  // At most one reconnect warning per this period; the others are counted in the next one.
  absl::Duration reconnect_log_period = absl::Seconds(30);
  // The agent's time (see AgentClock); must outlive the agent.
  AgentClock* clock = &SystemAgentClock();
};

class Agent {
 public:
  // `metrics` may be shared with an exposer; it must outlive the agent.
  Agent(std::unique_ptr<ObservationSource> source, std::unique_ptr<Buffer> buffer, std::unique_ptr<Uplink> uplink,
        AgentOptions options, AgentMetrics& metrics);

  // Runs until the round limit was reached and the buffer is empty, the deadline passed, or RequestStop().
  //
  // Each round: the source's NextRound(now), Buffer::Append (sequence numbers and one synced write), the source's
  // RoundBuffered. Between rounds the buffer is delivered oldest first in chunks through the uplink; every processed
  // batch's observations leave the buffer as soon as their ack arrives (REJECTED ones are dropped and counted). A
  // failed delivery is retried after a jittered exponential backoff; entries stay buffered meanwhile, so rounds keep
  // being observed while the service is unreachable.
  //
  // Returns OK when the round limit was reached and everything was delivered, or when stopped without a round limit.
  // DEADLINE_EXCEEDED, whose message says how many reports are undelivered, when the deadline passed first. With
  // fail_fast, the service's status when it refused the agent for good. CANCELLED when stopped before a round limit
  // was reached. A buffer that cannot be written fails the run with its status. Call once.
  absl::Status Run();

  // Ends Run() promptly: the delivery in progress is abandoned (what is unacknowledged stays buffered for the next
  // run) and no new round starts. Thread-safe; callable before, during or after Run().
  void RequestStop();

 private:
  // Observes and buffers one round. `number` counts from 1 (for logs). Fails only when the buffer cannot be written.
  absl::Status RunRound(int64_t number);
  // Delivers the buffer oldest first until it is empty, `until` passed, or a delivery fails (its status).
  absl::Status Deliver(absl::Time until);
  void UpdateGauges();

  const std::unique_ptr<ObservationSource> source_;
  const std::unique_ptr<Buffer> buffer_;
  const std::unique_ptr<Uplink> uplink_;
  const AgentOptions options_;
  AgentMetrics& metrics_;
  absl::Notification stop_;
};

}  // namespace pumptrack::agents

#endif  // PUMPTRACK_AGENTS_AGENT_H_
