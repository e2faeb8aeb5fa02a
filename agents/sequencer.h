// Per-device sequence numbers for one agent.
#ifndef PUMPTRACK_AGENTS_SEQUENCER_H_
#define PUMPTRACK_AGENTS_SEQUENCER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "pumptrack/v1/device.pb.h"

namespace pumptrack::agents {

// Assigns Observation.sequence for one agent: for each device (keyed by asset tag) strictly increasing, +1 per
// observation, so the service can tell retries (same sequence: DUPLICATE) from new reports and spot drops (gaps).
//
// This first agent keeps no durable state, so sequences cannot continue across restarts. Instead every device starts
// at a base derived from the agent's start time (unix microseconds): a restarted agent starts above anything the
// previous run can have sent, because a run sends one observation per device per round, far fewer than one per
// microsecond of its lifetime. Two caveats until the durable buffer (which persists each device's last sequence)
// replaces this: the restart shows up at the service as a jump in the sequence, and a wall clock stepped backwards
// across a restart could reuse numbers (the service then answers DUPLICATE and drops those reports).
//
// Not thread-safe.
class Sequencer {
 public:
  // `base` is the first sequence of every device; 0 is raised to 1 (the proto requires sequence ≥ 1).
  explicit Sequencer(uint64_t base);

  // The base for an agent started at `start`: its unix time in microseconds (at least 1).
  static uint64_t BaseForStart(absl::Time start);

  // Sets `sequence` on each observation, in order: `base` for a device not seen before, else its last sequence + 1.
  void Assign(std::vector<pumptrack::v1::Observation>& observations);

  uint64_t base() const { return base_; }
  // Number of distinct devices seen so far.
  size_t device_count() const { return last_.size(); }

 private:
  uint64_t base_;
  absl::flat_hash_map<std::string, uint64_t> last_;  // asset tag -> last assigned sequence
};

}  // namespace pumptrack::agents

#endif  // PUMPTRACK_AGENTS_SEQUENCER_H_
