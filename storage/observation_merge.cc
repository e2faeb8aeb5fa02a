#include "storage/observation_merge.h"

#include <string>

namespace pumptrack::storage {
namespace {

bool NamesPlace(const v1::Location& location) {
  return !location.facility().empty() || !location.building().empty() || !location.floor().empty() ||
         !location.unit().empty() || !location.room().empty();
}

bool ObservesSeal(const v1::Physical& physical) {
  return physical.seal_state() != v1::SEAL_STATE_UNSPECIFIED || !physical.seal_id().empty();
}

void CarryOverPhysical(const v1::Physical& known, v1::Physical& next) {
  if (!ObservesSeal(next)) {
    next.set_seal_id(known.seal_id());
    next.set_seal_state(known.seal_state());
  }
  if (next.case_state() == v1::CASE_STATE_UNSPECIFIED) next.set_case_state(known.case_state());
  if (!next.has_battery_percent() && known.has_battery_percent()) next.set_battery_percent(known.battery_percent());
  if (!next.has_battery_health_percent() && known.has_battery_health_percent()) {
    next.set_battery_health_percent(known.battery_health_percent());
  }
  if (!next.has_battery_cycle_count() && known.has_battery_cycle_count()) {
    next.set_battery_cycle_count(known.battery_cycle_count());
  }
  if (next.power_source() == v1::POWER_SOURCE_UNSPECIFIED) next.set_power_source(known.power_source());
}

// Whether CarryOverPhysical(known, next) would change `next`.
bool PhysicalNeedsCarryOver(const v1::Physical& known, const v1::Physical& next) {
  return (!ObservesSeal(next) && ObservesSeal(known)) ||
         (next.case_state() == v1::CASE_STATE_UNSPECIFIED && known.case_state() != v1::CASE_STATE_UNSPECIFIED) ||
         (!next.has_battery_percent() && known.has_battery_percent()) ||
         (!next.has_battery_health_percent() && known.has_battery_health_percent()) ||
         (!next.has_battery_cycle_count() && known.has_battery_cycle_count()) ||
         (next.power_source() == v1::POWER_SOURCE_UNSPECIFIED && known.power_source() != v1::POWER_SOURCE_UNSPECIFIED);
}

}  // namespace

bool ObservesLocation(const v1::Observation& observation) {
  return observation.has_location() &&
         (observation.location().left_known_places() || NamesPlace(observation.location()));
}

void CarryOverUnobserved(const v1::Observation* known, v1::Observation& next) {
  if (!ObservesLocation(next)) {
    if (known != nullptr && known->has_location()) {
      *next.mutable_location() = known->location();
    } else {
      next.clear_location();
    }
  }
  if (known == nullptr) return;
  if (next.identity().manufacturer().empty()) {
    next.mutable_identity()->set_manufacturer(known->identity().manufacturer());
  }
  if (next.identity().model().empty()) next.mutable_identity()->set_model(known->identity().model());
  if (next.firmware_version().empty()) next.set_firmware_version(known->firmware_version());
  if (!next.has_drug_library() && known->has_drug_library()) *next.mutable_drug_library() = known->drug_library();
  if (!next.has_configuration() && known->has_configuration()) {
    *next.mutable_configuration() = known->configuration();
  }
  if (!next.has_security() && known->has_security()) *next.mutable_security() = known->security();
  if (!next.has_physical()) {
    if (known->has_physical()) *next.mutable_physical() = known->physical();
  } else if (known->has_physical()) {
    CarryOverPhysical(known->physical(), *next.mutable_physical());
  }
  if (next.operating_state() == v1::OPERATING_STATE_UNSPECIFIED) next.set_operating_state(known->operating_state());
  if (next.components().empty()) *next.mutable_components() = known->components();
}

bool NeedsCarryOver(const v1::Observation* known, const v1::Observation& next) {
  if (!ObservesLocation(next) && (next.has_location() || (known != nullptr && known->has_location()))) return true;
  if (known == nullptr) return false;
  const auto takes = [](const std::string& next_value, const std::string& known_value) {
    return next_value.empty() && !known_value.empty();
  };
  return takes(next.identity().manufacturer(), known->identity().manufacturer()) ||
         takes(next.identity().model(), known->identity().model()) ||
         takes(next.firmware_version(), known->firmware_version()) ||
         (!next.has_drug_library() && known->has_drug_library()) ||
         (!next.has_configuration() && known->has_configuration()) || (!next.has_security() && known->has_security()) ||
         (!next.has_physical() && known->has_physical()) ||
         (next.has_physical() && known->has_physical() && PhysicalNeedsCarryOver(known->physical(), next.physical())) ||
         (next.operating_state() == v1::OPERATING_STATE_UNSPECIFIED &&
          known->operating_state() != v1::OPERATING_STATE_UNSPECIFIED) ||
         (next.components().empty() && !known->components().empty());
}

}  // namespace pumptrack::storage
