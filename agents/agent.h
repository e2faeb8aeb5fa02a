// The agent's main loop: observe a round, number it, deliver it, wait for the next interval.
#ifndef PUMPTRACK_AGENTS_AGENT_H_
#define PUMPTRACK_AGENTS_AGENT_H_

#include <cstdint>
#include <memory>

#include "absl/status/status.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "agents/adapter.h"
#include "agents/sequencer.h"
#include "agents/uplink.h"

namespace pumptrack::agents {

struct AgentOptions {
  // Time between the starts of consecutive rounds; a round that overruns is followed by the next one at once.
  absl::Duration interval = absl::Seconds(30);
  // Rounds to run; 0 runs until RequestStop().
  int64_t rounds = 0;
  // Return at the first round that is not fully acknowledged instead of logging it and carrying on.
  bool stop_on_failure = false;
};

class Agent {
 public:
  Agent(std::unique_ptr<ObservationSource> source, std::unique_ptr<Uplink> uplink, Sequencer sequencer,
        AgentOptions options);

  // Runs rounds, the first at once, until `rounds` rounds ran or RequestStop() is called. Each round: the source's
  // NextRound(now), sequence numbers from the sequencer, Uplink::SendRound, one info log line.
  //
  // Returns OK when every round that ran was fully acknowledged (rejected observations count as acknowledged) and,
  // with a round limit, all of them ran. Otherwise: with stop_on_failure, the first failing round's status; without,
  // the last failure's code with a count of failed rounds; CANCELLED when stopped before a round limit was reached.
  // When running without a round limit, stopping is the normal way out and returns OK unless a round failed.
  // Call once.
  absl::Status Run();

  // Ends Run() promptly: the round in progress is abandoned (its unacknowledged observations are not resent) and no
  // new round starts. Thread-safe; callable before, during or after Run().
  void RequestStop();

 private:
  // Observes and delivers one round. `number` counts from 1 (for logs).
  absl::Status RunRound(int64_t number);

  const std::unique_ptr<ObservationSource> source_;
  const std::unique_ptr<Uplink> uplink_;
  Sequencer sequencer_;
  const AgentOptions options_;
  absl::Notification stop_;
};

}  // namespace pumptrack::agents

#endif  // PUMPTRACK_AGENTS_AGENT_H_
