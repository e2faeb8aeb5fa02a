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
// The durable part lives in the agent's Buffer, which stores every device's last sequence with the observations that
// carry it and Restore()s them at start-up, so a restarted agent continues each device at last + 1. A device the
// buffer has never numbered starts at `base`, which the agent derives from its start time (unix microseconds): were
// the buffer directory ever lost, the new numbers still start above anything an earlier run can have sent (a run
// sends far fewer than one observation per device per microsecond of its lifetime).
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

  // Sets the last sequence of `asset_tag` (its next is last + 1), e.g. from durable state.
  void Restore(const std::string& asset_tag, uint64_t last) { last_[asset_tag] = last; }
  // Forgets `asset_tag`: its next sequence is `base` again.
  void Forget(const std::string& asset_tag) { last_.erase(asset_tag); }

  uint64_t base() const { return base_; }
  // Number of distinct devices seen so far.
  size_t device_count() const { return last_.size(); }

 private:
  uint64_t base_;
  absl::flat_hash_map<std::string, uint64_t> last_;  // asset tag -> last assigned sequence
};

}  // namespace pumptrack::agents

#endif  // PUMPTRACK_AGENTS_SEQUENCER_H_
