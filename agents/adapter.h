// The adapter interface: where an agent's observations come from.
//
// An adapter turns one kind of pump data feed (the simulator, a spool folder of gateway documents, later HL7) into
// pumptrack.v1.Observation messages. The agent asks it for one round at a time, numbers and buffers the round durably,
// then sends it to the service. Adapters know nothing about gRPC, batching or delivery.
#ifndef PUMPTRACK_AGENTS_ADAPTER_H_
#define PUMPTRACK_AGENTS_ADAPTER_H_

#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "pumptrack/v1/device.pb.h"

namespace pumptrack::agents {

// A source of observations. One "round" is what the source knows as of one moment: at most one observation per pump
// it serves (for a feed that only reports changes, the pumps that changed). Implementations need not be thread-safe;
// the agent calls them from one thread.
class ObservationSource {
 public:
  virtual ~ObservationSource() = default;

  // The adapter's name as selected with --adapter, e.g. "sim" or "spool". Used in logs.
  virtual std::string_view name() const = 0;

  // Observes the pumps as of `now` (the agent's clock at the start of the round).
  //
  // Every returned observation has its identity, observed_at and whatever the source knows filled in, and leaves
  // `sequence` at 0: sequences belong to the (agent, device) pair and are assigned by the agent (see Buffer).
  // An empty round is valid. Returns UNAVAILABLE when the feed cannot be read right now (the agent logs it and
  // tries again next round); other codes mean the source is unusable.
  virtual absl::StatusOr<std::vector<pumptrack::v1::Observation>> NextRound(absl::Time now) = 0;

  // Called after each NextRound that returned observations: `status` is OK once the agent has stored all of them in
  // its durable buffer, else why it could not (then the agent forgets the round, and a source that can should offer
  // the same observations again next round). A spool source moves its files out of the spool here.
  virtual void RoundBuffered(const absl::Status& status) { (void)status; }
};

}  // namespace pumptrack::agents

#endif  // PUMPTRACK_AGENTS_ADAPTER_H_
