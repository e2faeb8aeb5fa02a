#ifndef PUMPTRACK_STORAGE_OBSERVATION_MERGE_H_
#define PUMPTRACK_STORAGE_OBSERVATION_MERGE_H_

#include "pumptrack/v1/device.pb.h"

namespace pumptrack::storage {

// True when `observation` says something about where the pump is: a Location that names a place (facility, building,
// floor, unit or room), or one that says the pump left every known place. An absent Location, or one that names no
// place, is "not observed".
bool ObservesLocation(const v1::Observation& observation);

// Turns `next`, a newly accepted observation, into what is known of the pump after it: every part `next` does not
// observe is carried over from `known` (the pump's state before it; nullptr for a new pump). The semantics, part by
// part, are documented on pumptrack.v1.Observation (proto/pumptrack/v1/device.proto):
//   location, drug_library, configuration, security   absent (or, for location, naming no place) -> known's
//   physical                                          absent -> known's; else seal (id + state), case_state,
//                                                     battery_percent, battery_health_percent,
//                                                     battery_cycle_count and power_source each on their own
//   firmware_version, identity.manufacturer/.model    empty -> known's
//   operating_state                                   OPERATING_STATE_UNSPECIFIED -> known's
//   components                                        none -> known's; else `next`'s list replaces known's whole
// identity.asset_tag/serial_number, observed_at and sequence are always `next`'s. A Location that names no place
// and does not leave is dropped from `next` when nothing is known either.
void CarryOverUnobserved(const v1::Observation* known, v1::Observation& next);

// False when CarryOverUnobserved(known, next) would leave `next` as it is: `next` observes every part `known` has (a
// full report, the common case), so `next` alone is what is known of the pump. True otherwise (including a few cases
// where carrying over happens to change nothing, e.g. a known part equal to the absent one's default).
bool NeedsCarryOver(const v1::Observation* known, const v1::Observation& next);

}  // namespace pumptrack::storage

#endif  // PUMPTRACK_STORAGE_OBSERVATION_MERGE_H_
