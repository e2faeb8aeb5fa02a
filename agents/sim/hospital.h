// The simulated site: St. Example General Hospital, its units and rooms, the pump models it owns and the drug
// libraries pharmacy publishes for each care area.
//
// This is the one table the sim adapter draws from. A site policy written for the demo must match it: the same
// facility, building, floor, unit and room ids, care areas, models, firmware versions, drug libraries and
// configuration digests. Change it here and nowhere else.
#ifndef PUMPTRACK_AGENTS_SIM_HOSPITAL_H_
#define PUMPTRACK_AGENTS_SIM_HOSPITAL_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "absl/time/civil_time.h"
#include "pumptrack/v1/device.pb.h"

namespace pumptrack::agents::sim {

struct Building {
  std::string_view id;    // e.g. "north"
  std::string_view name;  // e.g. "North Tower"
};

// A unit (care area / ward): where pumps live and move between.
struct Unit {
  std::string_view id;         // e.g. "5-west"; unique within the facility
  std::string_view name;       // e.g. "5 West Medical-Surgical"
  std::string_view building;   // a Building::id
  std::string_view floor;      // e.g. "5"
  std::string_view care_area;  // e.g. "med-surg"; selects the drug library. "storage" for biomed.
  // Relative share of the fleet homed here; 0 for units no pump calls home (clinical engineering storage).
  int home_weight;
  // Rooms pumps are normally seen in; ids are unique across the facility, e.g. "5-west-501".
  std::span<const std::string_view> rooms;
  // Exit zones (e.g. the loading dock): rooms a pump must never reach in normal operation.
  std::span<const std::string_view> exit_zones;

  bool is_home_unit() const { return home_weight > 0; }
};

// A drug library release published by pharmacy for one care area.
struct DrugLibraryRelease {
  std::string_view care_area;   // a Unit::care_area
  std::string_view name;        // library name as the pump reports it
  std::string_view version;     // e.g. "2026.11.2"
  absl::CivilDay published_on;  // UTC midnight of this day is the published_at timestamp
};

// One configuration setting the simulated pumps report.
struct Setting {
  std::string_view key;
  std::string_view value;
};

// One open service a model exposes.
struct ServicePort {
  pumptrack::v1::ServiceKind kind;
  uint32_t port;
};

// A fictional pump model and the approved build every simulated pump of that model runs.
struct PumpModel {
  std::string_view manufacturer;      // e.g. "Acme Medical"
  std::string_view model;             // e.g. "Infusia 500"
  std::string_view firmware;          // e.g. "12.1.3"
  std::string_view blocked_firmware;  // an old build the site no longer allows (reported by --sim_faults pumps)
  std::string_view serial_prefix;     // manufacturer's serial prefix, e.g. "AM5"
  int fleet_percent;                  // share of the simulated fleet; the models sum to 100
  bool has_case_sensor;
  pumptrack::v1::WifiSecurity wifi_security;
  std::span<const ServicePort> open_services;
  std::span<const Setting> settings;  // sorted by key
};

struct Site {
  std::string_view facility_id;    // "general"
  std::string_view facility_name;  // "St. Example General Hospital"
  std::span<const Building> buildings;
  std::span<const Unit> units;
  std::span<const DrugLibraryRelease> drug_libraries;
  std::span<const PumpModel> models;
};

// The fixed, simulated site. Lives for the whole program.
const Site& ExampleGeneral();

// The unit with this id, or nullptr.
const Unit* FindUnit(const Site& site, std::string_view unit_id);

// The drug library published for this care area, or nullptr (e.g. for "storage").
const DrugLibraryRelease* FindDrugLibrary(const Site& site, std::string_view care_area);

// "sha256:<64 lowercase hex>" of `data`.
std::string Sha256Digest(std::string_view data);

// The configuration digest a pump of `model` reports: Sha256Digest over its settings sorted by key, each written as
// "key=value\n". A policy's approved-configuration list holds these values.
std::string ConfigurationDigest(const PumpModel& model);

// The library digest a pump reports for `release`: Sha256Digest of "name\nversion\n" (stand-in for the content).
std::string DrugLibraryDigest(const DrugLibraryRelease& release);

}  // namespace pumptrack::agents::sim

#endif  // PUMPTRACK_AGENTS_SIM_HOSPITAL_H_
