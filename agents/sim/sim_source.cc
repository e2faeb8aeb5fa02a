#include "agents/sim/sim_source.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"

namespace pumptrack::agents::sim {
namespace {

using pumptrack::v1::LocationSource;
using pumptrack::v1::Observation;
using pumptrack::v1::OperatingState;

// Pump::flags bits.
constexpr uint8_t kOnMains = 1 << 0;
constexpr uint8_t kInExitZone = 1 << 1;

// Movement per pump and round. A round is typically 30 s: with 100 pumps someone moves a room about every round and
// a pump is borrowed by another unit every ~20 rounds; borrowed pumps go home after ~50 rounds on average.
constexpr double kRoomMove = 0.01;
constexpr double kBorrow = 0.0005;
constexpr double kToStorage = 0.0002;
constexpr double kReturnFromUnit = 0.02;
constexpr double kReturnFromStorage = 0.01;
constexpr double kRecoverFromExitZone = 0.05;
// Share of unit changes where transport staff scanned the pump on arrival.
constexpr double kManualScanOnArrival = 0.5;

// Salts for the per-pump constants derived from (seed, index).
enum Salt : uint64_t {
  kSaltModel = 1,
  kSaltHome,
  kSaltRoom,
  kSaltState,
  kSaltBattery,
  kSaltPower,
  kSaltRtls,
  kSaltSeal,
  kSaltCredentials,
  kSaltClock,
  kSaltStream,
  kSaltBatteryCycles,
};

uint64_t SplitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

bool IsValidPrefix(std::string_view prefix) {
  if (prefix.empty() || prefix.size() > 50) return false;
  return std::all_of(prefix.begin(), prefix.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == '-';
  });
}

// Picks an index in proportion to `weight(i)` using `roll` in [0, total weight).
template <typename Range, typename Weight>
size_t PickWeighted(const Range& items, uint64_t roll, Weight weight) {
  uint64_t total = 0;
  for (const auto& item : items) total += weight(item);
  uint64_t point = roll % total;
  for (size_t i = 0; i < items.size(); ++i) {
    uint64_t w = weight(items[i]);
    if (point < w) return i;
    point -= w;
  }
  return items.size() - 1;
}

google::protobuf::Timestamp ToTimestamp(absl::Time time) {
  google::protobuf::Timestamp timestamp;
  const int64_t nanos = absl::ToUnixNanos(time);
  int64_t seconds = nanos / 1'000'000'000;
  int64_t remainder = nanos % 1'000'000'000;
  if (remainder < 0) {
    remainder += 1'000'000'000;
    --seconds;
  }
  timestamp.set_seconds(seconds);
  timestamp.set_nanos(static_cast<int32_t>(remainder));
  return timestamp;
}

bool IsStorage(const Unit& unit) { return !unit.is_home_unit(); }

}  // namespace

absl::StatusOr<std::unique_ptr<SimSource>> SimSource::Create(const SimOptions& options) {
  if (options.pumps < 1 || options.pumps > kMaxPumps) {
    return absl::InvalidArgumentError(absl::StrFormat("sim pumps must be 1..%d, got %d", kMaxPumps, options.pumps));
  }
  if (!IsValidPrefix(options.prefix)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("sim prefix must be 1-50 characters from [A-Za-z0-9._-], got \"%s\"", options.prefix));
  }
  if (!(options.exit_zone_probability >= 0.0 && options.exit_zone_probability <= 1.0)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("sim exit zone probability must be in [0, 1], got %g", options.exit_zone_probability));
  }
  if (!(options.fault_fraction >= 0.0 && options.fault_fraction <= 1.0)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("sim fault fraction must be in [0, 1], got %g", options.fault_fraction));
  }
  if (!(options.worn_battery_fraction >= 0.0 && options.worn_battery_fraction <= 1.0)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("sim worn battery fraction must be in [0, 1], got %g", options.worn_battery_fraction));
  }
  return std::unique_ptr<SimSource>(new SimSource(options, ExampleGeneral()));
}

SimSource::SimSource(const SimOptions& options, const Site& site)
    : options_(options), site_(site), random_state_(SplitMix64(options.seed ^ kSaltStream)) {
  for (const PumpModel& model : site_.models) model_facts_.push_back({ConfigurationDigest(model)});
  for (size_t i = 0; i < site_.units.size(); ++i) {
    const Unit& unit = site_.units[i];
    UnitFacts facts{FindDrugLibrary(site_, unit.care_area), "", {}};
    if (facts.library != nullptr) {
      facts.library_digest = DrugLibraryDigest(*facts.library);
      facts.library_published_at = ToTimestamp(absl::FromCivil(facts.library->published_on, absl::UTCTimeZone()));
    }
    unit_facts_.push_back(std::move(facts));
    (unit.is_home_unit() ? home_units_ : storage_units_).push_back(static_cast<uint8_t>(i));
    if (exit_unit_ < 0 && !unit.exit_zones.empty()) exit_unit_ = static_cast<int>(i);
  }
  pumps_.reserve(static_cast<size_t>(options_.pumps));
  for (int64_t index = 1; index <= options_.pumps; ++index) pumps_.push_back(NewPump(index));
}

std::string SimSource::AssetTag(int64_t index) const { return absl::StrFormat("%s-%05d", options_.prefix, index); }

std::string_view SimSource::HomeUnit(int64_t index) const {
  return site_.units[pumps_[static_cast<size_t>(index - 1)].home_unit].id;
}

uint64_t SimSource::PumpHash(int64_t index, uint64_t salt) const {
  return SplitMix64(SplitMix64(options_.seed ^ (salt * 0x9e3779b97f4a7c15ULL)) ^ static_cast<uint64_t>(index));
}

uint64_t SimSource::NextRandom() {
  random_state_ += 0x9e3779b97f4a7c15ULL;
  return SplitMix64(random_state_);
}

bool SimSource::Chance(double probability) { return static_cast<double>(NextRandom() >> 11) * 0x1.0p-53 < probability; }

uint32_t SimSource::Below(uint32_t bound) { return static_cast<uint32_t>(NextRandom() % bound); }

SimSource::Pump SimSource::NewPump(int64_t index) const {
  Pump pump{};
  pump.model = static_cast<uint8_t>(
      PickWeighted(site_.models, PumpHash(index, kSaltModel), [](const PumpModel& m) { return m.fleet_percent; }));
  pump.home_unit = home_units_[PickWeighted(home_units_, PumpHash(index, kSaltHome),
                                            [this](uint8_t unit) { return site_.units[unit].home_weight; })];
  pump.unit = pump.home_unit;
  pump.room = static_cast<uint8_t>(PumpHash(index, kSaltRoom) % site_.units[pump.unit].rooms.size());
  const uint64_t state_roll = PumpHash(index, kSaltState) % 100;
  pump.operating_state = state_roll < 45   ? OperatingState::OPERATING_STATE_INFUSING
                         : state_roll < 85 ? OperatingState::OPERATING_STATE_IDLE
                                           : OperatingState::OPERATING_STATE_OFF;
  pump.battery_percent = static_cast<uint8_t>(40 + PumpHash(index, kSaltBattery) % 61);
  pump.flags = PumpHash(index, kSaltPower) % 100 < 70 ? kOnMains : 0;
  pump.fault = FaultOf(index, options_.fault_fraction);
  return pump;
}

absl::StatusOr<std::vector<Observation>> SimSource::NextRound(absl::Time now) {
  const google::protobuf::Timestamp observed_at = ToTimestamp(now);
  const bool first_round = rounds_++ == 0;
  std::vector<Observation> round(pumps_.size());
  size_t observed = 0;
  for (size_t i = 0; i < pumps_.size(); ++i) {
    bool moved_between_units = false;
    StepLocation(pumps_[i], moved_between_units);
    StepOperatingState(pumps_[i]);
    StepPower(pumps_[i]);
    if (pumps_[i].fault == Fault::kSilent && !first_round) continue;
    Observe(static_cast<int64_t>(i) + 1, pumps_[i], moved_between_units, observed_at, round[observed++]);
  }
  round.resize(observed);
  return round;
}

void SimSource::LeaveHome(Pump& pump) const {
  if (pump.fault == Fault::kLeftHomeUnit) {
    // The next home unit in site order (wrapping): always another clinical unit.
    const auto home = std::find(home_units_.begin(), home_units_.end(), pump.home_unit);
    pump.unit = (home + 1 == home_units_.end()) ? home_units_.front() : *(home + 1);
    pump.room = 0;
  } else if (pump.fault == Fault::kInExitZone && exit_unit_ >= 0) {
    pump.unit = static_cast<uint8_t>(exit_unit_);
    pump.room = 0;
    pump.flags = kInExitZone;
    pump.operating_state = OperatingState::OPERATING_STATE_OFF;
  }
}

void SimSource::StepLocation(Pump& pump, bool& moved_between_units) {
  auto move_to = [&](uint8_t unit) {
    moved_between_units = pump.unit != unit || (pump.flags & kInExitZone) != 0;
    pump.unit = unit;
    pump.room = static_cast<uint8_t>(Below(static_cast<uint32_t>(site_.units[unit].rooms.size())));
    pump.flags &= static_cast<uint8_t>(~kInExitZone);
    if (moved_between_units) pump.flags &= static_cast<uint8_t>(~kOnMains);  // carried on battery
  };

  if (pump.fault == Fault::kLeftHomeUnit || pump.fault == Fault::kInExitZone) {
    // Seen at home in the first round (so the service learns its home), gone from the second on, and stays there.
    if (rounds_ == 2) LeaveHome(pump);
    return;
  }
  if (pump.flags & kInExitZone) {
    if (Chance(kRecoverFromExitZone)) move_to(pump.home_unit);
    return;
  }
  if (exit_unit_ >= 0 && options_.exit_zone_probability > 0.0 && Chance(options_.exit_zone_probability)) {
    pump.unit = static_cast<uint8_t>(exit_unit_);
    pump.room = static_cast<uint8_t>(Below(static_cast<uint32_t>(site_.units[exit_unit_].exit_zones.size())));
    pump.flags = static_cast<uint8_t>((pump.flags | kInExitZone) & ~kOnMains);
    moved_between_units = true;
    return;
  }
  if (pump.unit != pump.home_unit) {
    const double return_chance = IsStorage(site_.units[pump.unit]) ? kReturnFromStorage : kReturnFromUnit;
    if (Chance(return_chance)) {
      move_to(pump.home_unit);
    } else if (Chance(kRoomMove)) {
      move_to(pump.unit);
    }
    return;
  }
  if (options_.fault_fraction > 0.0) {  // clean pumps stay home: only room moves
    if (Chance(kRoomMove)) move_to(pump.unit);
    return;
  }
  if (Chance(kBorrow) && home_units_.size() > 1) {
    uint8_t borrower = home_units_[Below(static_cast<uint32_t>(home_units_.size() - 1))];
    if (borrower == pump.home_unit) borrower = home_units_.back();  // every other unit stays equally likely
    move_to(borrower);
  } else if (Chance(kToStorage) && !storage_units_.empty()) {
    move_to(storage_units_[Below(static_cast<uint32_t>(storage_units_.size()))]);
    pump.operating_state = OperatingState::OPERATING_STATE_OFF;
    pump.flags |= kOnMains;  // docked for service and charging
  } else if (Chance(kRoomMove)) {
    move_to(pump.unit);
  }
}

void SimSource::StepOperatingState(Pump& pump) {
  if (IsStorage(site_.units[pump.unit])) {
    pump.operating_state = OperatingState::OPERATING_STATE_OFF;
    return;
  }
  const double roll = static_cast<double>(Below(10'000)) / 10'000.0;
  switch (pump.operating_state) {
    case OperatingState::OPERATING_STATE_INFUSING:
      if (roll < 0.05) {
        pump.operating_state = OperatingState::OPERATING_STATE_IDLE;
      } else if (roll < 0.07 || (!(pump.flags & kOnMains) && pump.battery_percent <= 10)) {
        pump.operating_state = OperatingState::OPERATING_STATE_ALARM;
      }
      break;
    case OperatingState::OPERATING_STATE_IDLE:
      if (roll < 0.08) {
        pump.operating_state = OperatingState::OPERATING_STATE_INFUSING;
      } else if (roll < 0.10) {
        pump.operating_state = OperatingState::OPERATING_STATE_OFF;
      }
      break;
    case OperatingState::OPERATING_STATE_ALARM:
      if (roll < 0.5) {
        pump.operating_state = OperatingState::OPERATING_STATE_INFUSING;
      } else if (roll < 0.7) {
        pump.operating_state = OperatingState::OPERATING_STATE_IDLE;
      }
      break;
    default:  // OFF
      if (roll < 0.05) pump.operating_state = OperatingState::OPERATING_STATE_IDLE;
      break;
  }
}

void SimSource::StepPower(Pump& pump) {
  const bool off = pump.operating_state == OperatingState::OPERATING_STATE_OFF;
  if (pump.flags & kOnMains) {
    if (!IsStorage(site_.units[pump.unit]) && Chance(0.02)) pump.flags &= static_cast<uint8_t>(~kOnMains);
  } else if (Chance(pump.battery_percent <= 15 ? 0.3 : 0.02)) {
    pump.flags |= kOnMains;  // someone plugged it in
  }
  int battery = pump.battery_percent;
  if (pump.flags & kOnMains) {
    battery += 3;
  } else if (!off) {
    battery -= pump.operating_state == OperatingState::OPERATING_STATE_INFUSING ? 2 : 1;
  }
  pump.battery_percent = static_cast<uint8_t>(std::clamp(battery, 0, 100));
}

void SimSource::FillLocation(int64_t index, const Pump& pump, bool moved_between_units,
                             pumptrack::v1::Location& location) {
  const Unit& unit = site_.units[pump.unit];
  const bool in_exit_zone = (pump.flags & kInExitZone) != 0;
  location.set_facility(std::string(site_.facility_id));
  location.set_building(std::string(unit.building));
  location.set_floor(std::string(unit.floor));
  location.set_unit(std::string(unit.id));
  location.set_room(std::string(in_exit_zone ? unit.exit_zones[pump.room] : unit.rooms[pump.room]));

  auto confidence = [this](uint32_t low_percent, uint32_t high_percent) {
    return static_cast<float>(low_percent + Below(high_percent - low_percent + 1)) / 100.0f;
  };
  // Which pumps carry an RTLS tag is a fixed fact of the fleet; the rest are located by their Wi-Fi access point.
  const bool rtls_tagged = PumpHash(index, kSaltRtls) % 100 < 75;
  if (in_exit_zone) {
    location.set_source(LocationSource::LOCATION_SOURCE_RTLS);  // the dock's exit portal reader
    location.set_confidence(confidence(95, 100));
  } else if (moved_between_units && Chance(kManualScanOnArrival)) {
    location.set_source(LocationSource::LOCATION_SOURCE_MANUAL_SCAN);
    location.set_confidence(1.0f);
  } else if (IsStorage(unit)) {
    location.set_source(LocationSource::LOCATION_SOURCE_GATEWAY_PORT);  // a docking rack port
    location.set_confidence(1.0f);
  } else if (rtls_tagged) {
    location.set_source(LocationSource::LOCATION_SOURCE_RTLS);
    location.set_confidence(confidence(90, 100));
  } else {
    location.set_source(LocationSource::LOCATION_SOURCE_WIFI_AP);
    location.set_confidence(confidence(60, 80));
  }
}

void SimSource::Observe(int64_t index, const Pump& pump, bool moved_between_units,
                        const google::protobuf::Timestamp& now, Observation& observation) {
  const PumpModel& model = site_.models[pump.model];
  const UnitFacts& home = unit_facts_[pump.home_unit];  // pumps carry their home care area's library

  pumptrack::v1::DeviceIdentity& identity = *observation.mutable_identity();
  identity.set_asset_tag(AssetTag(index));
  // Unique: the multiplier is coprime to 10^8, so distinct indexes below 10^8 give distinct numbers.
  const int64_t serial = (index * 7919 + 104729) % 100'000'000;
  identity.set_serial_number(absl::StrFormat("%s-%08d", model.serial_prefix, serial));
  identity.set_manufacturer(std::string(model.manufacturer));
  identity.set_model(std::string(model.model));

  *observation.mutable_observed_at() = now;
  FillLocation(index, pump, moved_between_units, *observation.mutable_location());
  observation.set_firmware_version(
      std::string(pump.fault == Fault::kFirmwareNotAllowed ? model.blocked_firmware : model.firmware));
  // Every simulated pump has a Wi-Fi module and a battery module of its manufacturer (Observation.components).
  pumptrack::v1::Component& wifi = *observation.add_components();
  wifi.set_kind("wifi-module");
  wifi.set_position("2");
  wifi.set_model(std::string(model.serial_prefix) + "-WLAN");
  wifi.set_hardware_version("B");
  wifi.set_firmware_version("4.2.1");
  wifi.set_serial_number(absl::StrFormat("%s-W%08d", model.serial_prefix, serial));
  pumptrack::v1::Component& battery = *observation.add_components();
  battery.set_kind("battery-module");
  battery.set_position("3");
  battery.set_model(std::string(model.serial_prefix) + "-BAT");
  battery.set_software_version("2.0");
  battery.set_serial_number(absl::StrFormat("%s-B%08d", model.serial_prefix, serial));

  pumptrack::v1::DrugLibrary& library = *observation.mutable_drug_library();
  library.set_name(std::string(home.library->name));
  if (pump.fault == Fault::kStaleDrugLibrary) {
    library.set_version(std::string(kStaleLibraryVersion));
    *library.mutable_published_at() = ToTimestamp(
        absl::FromCivil(absl::CivilDay(kStaleLibraryYear, kStaleLibraryMonth, kStaleLibraryDay), absl::UTCTimeZone()));
    library.set_digest(Sha256Digest(absl::StrFormat("%s\n%s\n", home.library->name, kStaleLibraryVersion)));
  } else {
    library.set_version(std::string(home.library->version));
    *library.mutable_published_at() = home.library_published_at;
    library.set_digest(home.library_digest);
  }

  pumptrack::v1::Configuration& configuration = *observation.mutable_configuration();
  for (const Setting& setting : model.settings) {
    (*configuration.mutable_settings())[std::string(setting.key)] = std::string(setting.value);
  }
  configuration.set_digest(model_facts_[pump.model].configuration_digest);

  pumptrack::v1::SecurityPosture& security = *observation.mutable_security();
  security.set_default_credentials(pump.fault == Fault::kDefaultCredentials);
  const int64_t credentials_age_days = 7 + static_cast<int64_t>(PumpHash(index, kSaltCredentials) % 78);
  *security.mutable_credentials_changed_at() = ToTimestamp(options_.epoch - absl::Hours(24 * credentials_age_days));
  for (const ServicePort& service : model.open_services) {
    pumptrack::v1::OpenService& open = *security.add_open_services();
    open.set_kind(service.kind);
    open.set_port(service.port);
  }
  if (pump.fault == Fault::kTelnetOpen) {
    pumptrack::v1::OpenService& telnet = *security.add_open_services();
    telnet.set_kind(pumptrack::v1::SERVICE_KIND_TELNET);
    telnet.set_port(23);
  }
  security.set_wifi_security(model.wifi_security);
  security.set_remote_access_enabled(false);
  const int64_t clock_offset_ms = static_cast<int64_t>(PumpHash(index, kSaltClock) % 3001) - 1500;
  security.mutable_clock_offset()->set_seconds(clock_offset_ms / 1000);
  security.mutable_clock_offset()->set_nanos(static_cast<int32_t>((clock_offset_ms % 1000) * 1'000'000));

  pumptrack::v1::Physical& physical = *observation.mutable_physical();
  physical.set_seal_id(absl::StrFormat("SL-%08X", static_cast<uint32_t>(PumpHash(index, kSaltSeal))));
  physical.set_seal_state(pump.fault == Fault::kBrokenSeal ? pumptrack::v1::SEAL_STATE_BROKEN
                                                           : pumptrack::v1::SEAL_STATE_INTACT);
  physical.set_case_state(model.has_case_sensor ? pumptrack::v1::CASE_STATE_CLOSED
                                                : pumptrack::v1::CASE_STATE_NO_SENSOR);
  physical.set_battery_percent(pump.battery_percent);
  // Battery wear (kLowestBatteryHealthPercent): 50-799 cycles, health 98-80 %; a worn battery (--sim_worn_batteries)
  // reports kWornBatteryCycles and kWornBatteryHealthPercent.
  const uint32_t cycles = 50 + static_cast<uint32_t>(PumpHash(index, kSaltBatteryCycles) % 750);
  static_assert(100 - (799 + 39) / 40 == kLowestBatteryHealthPercent);
  static_assert(kWornBatteryHealthPercent < kLowestBatteryHealthPercent);
  const bool worn = HasWornBattery(index, options_.worn_battery_fraction);
  physical.set_battery_cycle_count(worn ? kWornBatteryCycles : cycles);
  physical.set_battery_health_percent(worn ? kWornBatteryHealthPercent : 100 - (cycles + 39) / 40);
  physical.set_power_source((pump.flags & kOnMains) ? pumptrack::v1::POWER_SOURCE_MAINS
                                                    : pumptrack::v1::POWER_SOURCE_BATTERY);

  observation.set_operating_state(static_cast<OperatingState>(pump.operating_state));
}

}  // namespace pumptrack::agents::sim
