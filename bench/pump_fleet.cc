#include "bench/pump_fleet.h"

#include <array>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/util/time_util.h"

namespace pumptrack::bench {
namespace {

using google::protobuf::util::TimeUtil;

struct Model {
  absl::string_view name;
  absl::string_view firmware;
};
constexpr std::array<Model, 3> kModels = {{
    {"Infusia 500", "12.1.3"},
    {"Infusia 700", "14.0.2"},
    {"Infusia SP", "3.8.11"},
}};

struct Library {
  absl::string_view name;
  absl::string_view version;
  absl::string_view digest;
};
constexpr std::array<Library, 3> kLibraries = {{
    {"adult-icu", "2025.11.2", "sha256:6f1c0e8a9b7d4c3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e"},
    {"pediatric", "2025.10.1", "sha256:0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9"},
    {"oncology", "2025.09.4", "sha256:9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b1a0f9e8d"},
}};

constexpr std::array<absl::string_view, 3> kBuildings = {"north", "south", "east"};
constexpr std::array<absl::string_view, 4> kWings = {"west", "east", "north", "south"};
constexpr int kFloors = 8;
constexpr int kRoomsPerUnit = 30;

google::protobuf::Timestamp ToProtoTime(absl::Time t) {
  return TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(t));
}

// A pump's home ward: building, floor and unit follow from its index so that the fleet spreads over every ward.
void PlaceInWard(int index, v1::Location* location) {
  const int floor = 1 + index % kFloors;
  location->set_facility("general");
  location->set_building(std::string(kBuildings[(index / kFloors) % kBuildings.size()]));
  location->set_floor(absl::StrCat(floor));
  location->set_unit(absl::StrCat(floor, "-", kWings[(index / 7) % kWings.size()]));
  location->set_source(v1::LOCATION_SOURCE_RTLS);
  location->set_confidence(0.9f);
}

void MoveToRoom(int room, v1::Location* location) {
  location->set_room(absl::StrCat(location->floor(), absl::StrFormat("%02d", room)));
}

void FillConfiguration(int index, v1::Configuration* configuration) {
  auto& settings = *configuration->mutable_settings();
  settings["wifi.eap"] = "tls";
  settings["wifi.ssid"] = "clinical-devices";
  settings["alarm.volume"] = absl::StrCat(5 + index % 4);
  settings["dose.error_reduction"] = "on";
  settings["network.ntp"] = "ntp.general.hospital.internal";
  configuration->set_digest(absl::StrFormat("sha256:%064x", 0xc0ffee00 + index % 4));
}

void FillSecurity(int index, v1::SecurityPosture* security) {
  security->set_default_credentials(index % 50 == 0);  // 2% of the fleet still takes the vendor password
  *security->mutable_credentials_changed_at() = ToProtoTime(absl::FromUnixSeconds(1'748'736'000));  // 2025-06-01
  v1::OpenService* https = security->add_open_services();
  https->set_kind(v1::SERVICE_KIND_HTTPS_ADMIN);
  https->set_port(443);
  if (index % 10 == 0) {
    v1::OpenService* ssh = security->add_open_services();
    ssh->set_kind(v1::SERVICE_KIND_SSH);
    ssh->set_port(22);
  }
  security->set_wifi_security(index % 20 == 0 ? v1::WIFI_SECURITY_WPA2_PSK : v1::WIFI_SECURITY_WPA2_ENTERPRISE);
  security->set_remote_access_enabled(false);
  security->mutable_clock_offset()->set_nanos(350'000'000);
}

void FillPhysical(int index, v1::Physical* physical) {
  physical->set_seal_id(absl::StrFormat("SEAL-%06d", index + 1));
  physical->set_seal_state(v1::SEAL_STATE_INTACT);
  physical->set_case_state(v1::CASE_STATE_CLOSED);
  physical->set_battery_percent(100);
  physical->set_power_source(v1::POWER_SOURCE_MAINS);
}

v1::Observation InitialState(int index, std::uint64_t first_sequence) {
  const Model& model = kModels[index % kModels.size()];
  const Library& library = kLibraries[(index / 3) % kLibraries.size()];
  v1::Observation o;
  v1::DeviceIdentity* identity = o.mutable_identity();
  identity->set_asset_tag(AssetTag(index));
  identity->set_serial_number(absl::StrFormat("ACM-%08d", 10'000'000 + index * 7));
  identity->set_manufacturer("Acme Medical");
  identity->set_model(std::string(model.name));
  o.set_sequence(first_sequence - 1);  // NextObservation increments before use
  PlaceInWard(index, o.mutable_location());
  MoveToRoom(1 + index % kRoomsPerUnit, o.mutable_location());
  o.set_firmware_version(std::string(model.firmware));
  v1::DrugLibrary* drug_library = o.mutable_drug_library();
  drug_library->set_name(std::string(library.name));
  drug_library->set_version(std::string(library.version));
  *drug_library->mutable_published_at() = ToProtoTime(absl::FromUnixSeconds(1'761'955'200));  // 2025-11-01
  drug_library->set_digest(std::string(library.digest));
  FillConfiguration(index, o.mutable_configuration());
  FillSecurity(index, o.mutable_security());
  FillPhysical(index, o.mutable_physical());
  o.set_operating_state(index % 3 == 0 ? v1::OPERATING_STATE_INFUSING : v1::OPERATING_STATE_IDLE);
  return o;
}

}  // namespace

std::string AssetTag(int index) { return absl::StrFormat("LD-%05d", index + 1); }

PumpFleet::PumpFleet(int size, std::uint64_t first_sequence) {
  pumps_.reserve(size);
  for (int i = 0; i < size; ++i) pumps_.push_back(Pump{InitialState(i, first_sequence)});
}

std::uint64_t PumpFleet::NextObservation(int index, absl::Time now, absl::InsecureBitGen& random,
                                         v1::Observation* out) {
  v1::Observation& state = pumps_[index].state;
  state.set_sequence(state.sequence() + 1);
  *state.mutable_observed_at() = ToProtoTime(now);
  Drift(state, random);
  *out = state;
  return state.sequence();
}

void PumpFleet::Drift(v1::Observation& state, absl::InsecureBitGen& random) {
  v1::Physical* physical = state.mutable_physical();
  if (absl::Bernoulli(random, 0.1)) {  // an infusion starts or ends
    const bool infusing = state.operating_state() == v1::OPERATING_STATE_INFUSING;
    state.set_operating_state(infusing ? v1::OPERATING_STATE_IDLE : v1::OPERATING_STATE_INFUSING);
    physical->set_power_source(infusing ? v1::POWER_SOURCE_MAINS : v1::POWER_SOURCE_BATTERY);
  }
  const std::uint32_t battery = physical->battery_percent();
  if (physical->power_source() == v1::POWER_SOURCE_BATTERY) {
    physical->set_battery_percent(battery > 5 ? battery - 1 : battery);
  } else {
    physical->set_battery_percent(battery < 100 ? battery + 1 : battery);
  }
  if (absl::Bernoulli(random, 0.02)) {  // wheeled to another room of the ward
    MoveToRoom(absl::Uniform(random, 1, kRoomsPerUnit + 1), state.mutable_location());
  }
}

}  // namespace pumptrack::bench
