#include "agents/sequencer.h"

#include <algorithm>

namespace pumptrack::agents {

Sequencer::Sequencer(uint64_t base) : base_(std::max<uint64_t>(base, 1)) {}

uint64_t Sequencer::BaseForStart(absl::Time start) {
  return static_cast<uint64_t>(std::max<int64_t>(absl::ToUnixMicros(start), 1));
}

void Sequencer::Assign(std::vector<pumptrack::v1::Observation>& observations) {
  for (pumptrack::v1::Observation& observation : observations) {
    auto [it, inserted] = last_.try_emplace(observation.identity().asset_tag(), base_);
    if (!inserted) ++it->second;
    observation.set_sequence(it->second);
  }
}

}  // namespace pumptrack::agents
