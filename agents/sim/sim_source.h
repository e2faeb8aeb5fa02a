// The `sim` adapter: a deterministic, seeded fleet of infusion pumps at St. Example General Hospital (see hospital.h).
#ifndef PUMPTRACK_AGENTS_SIM_SIM_SOURCE_H_
#define PUMPTRACK_AGENTS_SIM_SIM_SOURCE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "agents/adapter.h"
#include "agents/sim/faults.h"
#include "agents/sim/hospital.h"
#include "pumptrack/v1/device.pb.h"

namespace pumptrack::agents::sim {

inline constexpr uint64_t kDefaultSeed = 20261129;
inline constexpr int64_t kMaxPumps = 1'000'000;
// Simulated battery wear is fixed per pump: 50-799 charge cycles, health falling one percent per 40 cycles, so health
// is never below this (examples/hospital-policy.textproto's minimum_battery_health_percent must not exceed it).
inline constexpr uint32_t kLowestBatteryHealthPercent = 80;

struct SimOptions {
  // Fleet size, 1..kMaxPumps.
  int64_t pumps = 100;
  // Asset tag prefix: 1–50 characters from [A-Za-z0-9._-]. Pump i is "<prefix>-<i, zero-padded to 5 digits>".
  std::string prefix = "PT";
  // Everything random about the fleet (model mix, home units, seals) and its movement derives from the seed.
  uint64_t seed = kDefaultSeed;
  // Anchors the fleet's time-derived facts (when credentials were last changed). Usually the agent's start time.
  absl::Time epoch = absl::UnixEpoch();
  // Chance per pump and round that a pump is carried to an exit zone (the loading dock), in [0, 1]. 0 (the default)
  // means normal movement never reaches an exit zone; a demo raises it to stage a theft.
  double exit_zone_probability = 0.0;
  // Share of the fleet that misbehaves, in [0, 1]; which pumps and how is FaultOf(index, fault_fraction) (faults.h).
  // Above 0, the other pumps stay in their home unit (they only change rooms) so that they are fully compliant.
  double fault_fraction = 0.0;
  // Share of the fleet whose battery is worn out, in [0, 1]; which pumps is HasWornBattery(index, fraction)
  // (faults.h), independent of fault_fraction.
  double worn_battery_fraction = 0.0;
};

// Simulates the fleet round by round.
//
// Deterministic: two sources with equal options asked for rounds at equal times produce identical observations. Each
// round every pump is observed once: most stay put, some move to another room of their unit, a few are borrowed by
// another unit and later drift back home, a few go to biomed storage for service; operating state, power and battery
// evolve. Identity, firmware, drug library, configuration and security posture are the approved, healthy values from
// the site table. No patient data anywhere.
//
// Memory is a few bytes per pump; per-round cost is building the observation messages. Not thread-safe.
class SimSource final : public ObservationSource {
 public:
  // Fails with INVALID_ARGUMENT naming the option when an option is out of range.
  static absl::StatusOr<std::unique_ptr<SimSource>> Create(const SimOptions& options);

  std::string_view name() const override { return "sim"; }

  // One observation per pump (except silent faulty pumps after the first round), in asset-tag order,
  // observed_at = `now`, sequence 0. Never fails.
  absl::StatusOr<std::vector<pumptrack::v1::Observation>> NextRound(absl::Time now) override;

  int64_t pump_count() const { return static_cast<int64_t>(pumps_.size()); }
  const Site& site() const { return site_; }

  // The asset tag of pump `index` (1-based), e.g. "PT-00042".
  std::string AssetTag(int64_t index) const;
  // The home unit id of pump `index` (1-based, at most pump_count()), e.g. "icu-1".
  std::string_view HomeUnit(int64_t index) const;
  // The fault of pump `index` under these options (FaultOf(index, fault_fraction)).
  Fault FaultOfPump(int64_t index) const { return FaultOf(index, options_.fault_fraction); }

 private:
  // Per-pump state; everything else about a pump is derived from (seed, index) on demand.
  struct Pump {
    uint8_t model;            // index into site().models
    uint8_t home_unit;        // index into site().units
    uint8_t unit;             // where the pump is now
    uint8_t room;             // index into the current unit's rooms, or its exit zones when in_exit_zone
    uint8_t operating_state;  // a pumptrack::v1::OperatingState
    uint8_t battery_percent;  // 0..100
    uint8_t flags;            // kOnMains | kInExitZone
    Fault fault;
  };
  static_assert(sizeof(Pump) == 8);

  // Values precomputed once per model and per unit so a round only copies strings.
  struct ModelFacts {
    std::string configuration_digest;
  };
  struct UnitFacts {
    const DrugLibraryRelease* library;  // nullptr for storage
    std::string library_digest;
    google::protobuf::Timestamp library_published_at;
  };

  SimSource(const SimOptions& options, const Site& site);

  Pump NewPump(int64_t index) const;
  // Moves a kLeftHomeUnit or kInExitZone pump to where its fault keeps it.
  void LeaveHome(Pump& pump) const;
  void StepLocation(Pump& pump, bool& moved_between_units);
  void StepOperatingState(Pump& pump);
  void StepPower(Pump& pump);
  void Observe(int64_t index, const Pump& pump, bool moved_between_units, const google::protobuf::Timestamp& now,
               pumptrack::v1::Observation& observation);
  void FillLocation(int64_t index, const Pump& pump, bool moved_between_units, pumptrack::v1::Location& location);

  // Deterministic randomness: a hash of (seed, index, salt) for per-pump constants, and a seeded stream for movement.
  uint64_t PumpHash(int64_t index, uint64_t salt) const;
  uint64_t NextRandom();
  bool Chance(double probability);
  uint32_t Below(uint32_t bound);

  SimOptions options_;
  const Site& site_;
  std::vector<Pump> pumps_;
  std::vector<ModelFacts> model_facts_;
  std::vector<UnitFacts> unit_facts_;
  std::vector<uint8_t> home_units_;     // indexes of units pumps can call home
  std::vector<uint8_t> storage_units_;  // indexes of units no pump calls home (biomed)
  int exit_unit_ = -1;                  // index of the first unit with an exit zone, or -1
  uint64_t random_state_;
  int64_t rounds_ = 0;  // rounds produced so far
};

}  // namespace pumptrack::agents::sim

#endif  // PUMPTRACK_AGENTS_SIM_SIM_SOURCE_H_
