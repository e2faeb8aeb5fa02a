#ifndef PUMPTRACK_BENCH_PUMP_FLEET_H_
#define PUMPTRACK_BENCH_PUMP_FLEET_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/random/random.h"
#include "absl/time/time.h"
#include "pumptrack/v1/device.pb.h"

namespace pumptrack::bench {

// The asset tag of simulated pump `index` (0-based): "LD-00001" for index 0.
std::string AssetTag(int index);

// A fleet of simulated infusion pumps with realistic, slowly drifting state: each observation drains or charges the
// battery, now and then starts or stops an infusion, and rarely moves the pump to another room (which the service
// records as history).
//
// Each pump must be driven by one thread at a time; the load tool's workers own disjoint sets of pumps.
class PumpFleet {
 public:
  // `first_sequence` is the sequence of every pump's first observation. Derive it from the clock so that reruns
  // against the same data directory keep each pump's sequence increasing.
  PumpFleet(int size, std::uint64_t first_sequence);

  int size() const { return static_cast<int>(pumps_.size()); }

  // Advances pump `index` by one observation taken at `now` and writes it to `out`. Returns its sequence.
  std::uint64_t NextObservation(int index, absl::Time now, absl::InsecureBitGen& random, v1::Observation* out);

 private:
  struct Pump {
    v1::Observation state;  // the last observation made; sequence is the last one used
  };

  static void Drift(v1::Observation& state, absl::InsecureBitGen& random);

  std::vector<Pump> pumps_;
};

}  // namespace pumptrack::bench

#endif  // PUMPTRACK_BENCH_PUMP_FLEET_H_
