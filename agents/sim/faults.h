// --sim_faults: which simulated pumps misbehave, and how. Deterministic by pump index, so a policy, a demo and a test
// can all name the pumps that must show each finding. The mapping is documented in agents/README.md; keep the two in
// step.
#ifndef PUMPTRACK_AGENTS_SIM_FAULTS_H_
#define PUMPTRACK_AGENTS_SIM_FAULTS_H_

#include <cstdint>
#include <string_view>

namespace pumptrack::agents::sim {

// One fault kind per faulty pump, assigned in this order (the order is part of the contract; append only).
enum class Fault : uint8_t {
  kNone = 0,
  // Reports its model's blocked firmware (PumpModel::blocked_firmware) instead of the approved one.
  kFirmwareNotAllowed = 1,
  // Carries its care area's previous drug library release (kStaleLibraryVersion, published kStaleLibraryPublished).
  kStaleDrugLibrary = 2,
  // security.default_credentials = true.
  kDefaultCredentials = 3,
  // Telnet (port 23) open in addition to the model's services.
  kTelnetOpen = 4,
  // physical.seal_state = SEAL_STATE_BROKEN.
  kBrokenSeal = 5,
  // Left its home unit without check-out: reported at home in the first round (so the service learns its home),
  // then always in another clinical unit (the next home unit in site order).
  kLeftHomeUnit = 6,
  // Left its home unit for the biomed loading dock: at home in the first round, then always in biomed, room
  // "dock-exit" (an exit zone), OFF.
  kInExitZone = 7,
  // Reported in the first round only, then silent.
  kSilent = 8,
};
inline constexpr int kFaultKinds = 8;

// The drug library version and publication day (UTC) a kStaleDrugLibrary pump reports, for every care area.
inline constexpr std::string_view kStaleLibraryVersion = "2025.06.1";
inline constexpr int kStaleLibraryYear = 2025, kStaleLibraryMonth = 6, kStaleLibraryDay = 2;

// Parts per million of `fraction`, rounded; fraction must be in [0, 1].
int64_t FaultPartsPerMillion(double fraction);

// The fault of pump `index` (1-based) when a `fraction` of the fleet misbehaves. With p = FaultPartsPerMillion:
// pump i is faulty iff floor(i*p / 10^6) > floor((i-1)*p / 10^6) — the faulty pumps are spread evenly, and any
// fleet of n pumps has exactly floor(n*p / 10^6) of them — and the k-th faulty pump (k = floor(i*p / 10^6), from 1)
// has kind ((k-1) mod kFaultKinds) + 1. E.g. with 0.1: PT-00010 firmware, PT-00020 stale library, …, PT-00080
// silent, PT-00090 firmware again.
Fault FaultOf(int64_t index, double fraction);

// --sim_worn_batteries: pumps whose battery is worn out (kWornBatteryHealthPercent health, kWornBatteryCycles
// cycles), so that BATTERY_DEGRADED is raised under any minimum above it (the example policy's is 70 %). Its own flag
// and fraction, not a Fault kind: FaultOf and the pumps --sim_faults picks are unchanged, and a test that runs
// --sim_faults sees exactly the findings it saw before. With q = FaultPartsPerMillion(fraction): pump i has a worn
// battery iff floor((i*q + 500000) / 10^6) > floor(((i-1)*q + 500000) / 10^6) — evenly spread like the faults but
// half a period later, so with the same fraction the two sets never meet (0.1: PT-00005, PT-00015, ...; the faults
// PT-00010, PT-00020, ...). A pump can have a fault and a worn battery when the fractions differ.
bool HasWornBattery(int64_t index, double fraction);
inline constexpr uint32_t kWornBatteryHealthPercent = 55;
inline constexpr uint32_t kWornBatteryCycles = 1400;

// "firmware_not_allowed", "stale_drug_library", "default_credentials", "telnet_open", "broken_seal",
// "left_home_unit", "in_exit_zone", "silent"; "none".
std::string_view FaultName(Fault fault);

}  // namespace pumptrack::agents::sim

#endif  // PUMPTRACK_AGENTS_SIM_FAULTS_H_
