#ifndef PUMPTRACK_AGENTS_CLOCK_H_
#define PUMPTRACK_AGENTS_CLOCK_H_

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

namespace pumptrack::agents {

// The agent's time: when rounds are due, the time a round is observed at, the delivery backoff, the run's deadline
// and the last-acknowledgement age. The uplink's gRPC deadlines stay on the system clock (they are the network's).
// Tests pass a clock of their own, so a schedule of many rounds or minutes of backoff runs without waiting.
class AgentClock {
 public:
  virtual ~AgentClock() = default;
  virtual absl::Time Now() = 0;
  // Returns once this clock has reached `deadline`, or earlier when `stop` is notified.
  virtual void WaitUntil(absl::Time deadline, absl::Notification& stop) = 0;
};

// absl::Now() and real waiting. Thread-safe; lives for the whole program.
AgentClock& SystemAgentClock();

}  // namespace pumptrack::agents

#endif  // PUMPTRACK_AGENTS_CLOCK_H_
