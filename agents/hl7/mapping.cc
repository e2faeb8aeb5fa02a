#include "agents/hl7/mapping.h"

#include <algorithm>
#include <map>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/time_util.h"

namespace pumptrack::agents::hl7 {
namespace {

using pumptrack::hl7::CodeMapping;
using pumptrack::hl7::MappingTable;
using pumptrack::hl7::Target;
namespace v1 = pumptrack::v1;

constexpr size_t kMaxComponents = 32;
constexpr size_t kMaxText = 64;

bool IsAssetTag(absl::string_view tag) {
  if (tag.empty() || tag.size() > 64) return false;
  return std::all_of(tag.begin(), tag.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == '-';
  });
}

std::optional<v1::OperatingState> StateByName(absl::string_view name) {
  if (name == "INFUSING") return v1::OPERATING_STATE_INFUSING;
  if (name == "IDLE") return v1::OPERATING_STATE_IDLE;
  if (name == "ALARM") return v1::OPERATING_STATE_ALARM;
  if (name == "OFF") return v1::OPERATING_STATE_OFF;
  return std::nullopt;
}

// A text value cut to the contract's 64 characters.
std::string Cut(std::string value) {
  if (value.size() > kMaxText) value.resize(kMaxText);
  return value;
}

// OBX-4 "MDS.VMD.CHAN.METRIC": missing parts are 0, an empty or unreadable MDS is 1.
struct Position {
  int mds = 1;
  int vmd = 0;
  int chan = 0;
};

Position ParsePosition(absl::string_view text) {
  Position position;
  int values[3] = {1, 0, 0};
  int i = 0;
  for (absl::string_view part : absl::StrSplit(text, '.')) {
    if (i >= 3) break;
    int value = 0;
    if (absl::SimpleAtoi(part, &value) && value >= 0) values[i] = value;
    ++i;
  }
  position.mds = values[0] == 0 ? 1 : values[0];
  position.vmd = values[1];
  position.chan = values[2];
  return position;
}

std::string NodeKey(int vmd, int chan) { return chan == 0 ? absl::StrCat(vmd) : absl::StrCat(vmd, ".", chan); }

// What a message says about one device (one MDS within one OBR group).
struct DeviceFacts {
  FieldLocation identified_at;  // the first segment and field that named this device, for ERR
  std::string system_id;
  std::string asset_tag;
  std::string serial;
  std::string manufacturer;
  std::string model;
  std::string firmware;
  std::optional<uint32_t> battery;
  std::optional<uint32_t> battery_health;
  std::optional<uint32_t> battery_cycles;
  std::optional<v1::Location> location;
  std::optional<v1::OperatingState> state;
  std::string library_name;
  std::string library_version;
  std::map<std::string, v1::Component> components;  // by node key ("2" or "2.1"), in position order
};

}  // namespace

absl::string_view DefaultMappingText() {
  static constexpr absl::string_view kText =
#include "agents/hl7/mdc_default_textproto.inc"
      ;
  return kText;
}

absl::StatusOr<MappingTable> ParseMappingTable(absl::string_view text) {
  MappingTable table;
  google::protobuf::TextFormat::Parser parser;
  if (!parser.ParseFromString(std::string(text), &table)) {
    return absl::InvalidArgumentError("the HL7 mapping table is not a valid text-format pumptrack.hl7.MappingTable");
  }
  for (int i = 0; i < table.codes_size(); ++i) {
    const CodeMapping& entry = table.codes(i);
    const std::string where = absl::StrFormat("codes[%d]", i);
    if (entry.code().empty() && entry.name().empty()) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": needs a code or a name"));
    }
    if (entry.target() == pumptrack::hl7::TARGET_UNSPECIFIED) {
      return absl::InvalidArgumentError(absl::StrCat(where, " (", entry.code(), "): needs a target"));
    }
    if (entry.target() == pumptrack::hl7::TARGET_COMPONENT) {
      const std::string& kind = entry.component_kind();
      const bool valid = !kind.empty() && kind.size() <= 64 && std::all_of(kind.begin(), kind.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
      });
      if (!valid) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ".component_kind: must be 1-64 characters from [a-z0-9._-]"));
      }
    }
    for (const auto& [value, state] : entry.states()) {
      if (!StateByName(state)) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ".states[\"", value, "\"]: \"", state, "\" is not INFUSING, IDLE, ALARM or OFF"));
      }
    }
  }
  return table;
}

Mapper::Mapper(MappingTable table) : table_(std::move(table)) {
  for (const CodeMapping& entry : table_.codes()) {
    if (!entry.code().empty()) by_code_.emplace(entry.code(), &entry);
    if (!entry.name().empty()) by_code_.emplace(entry.name(), &entry);
  }
}

MappedMessage Mapper::Map(const Message& message, absl::Time received) {
  MappedMessage out;
  const Segment& msh = message.msh();
  auto reject = [&](AckCode code, std::string segment, int occurrence, int field, int error, std::string reason) {
    out.observations.clear();
    out.rejection = Rejection{code, FieldLocation{std::move(segment), occurrence, field}, error, std::move(reason)};
    return out;
  };
  if (message.Get(msh, 9, 1) != "ORU" || message.Get(msh, 9, 2) != "R01") {
    return reject(
        AckCode::kReject, "MSH", 1, 9, 200,
        absl::StrCat("MSH-9: only ORU^R01 is accepted, not ", message.Get(msh, 9, 1), "^", message.Get(msh, 9, 2)));
  }
  if (message.Get(msh, 10).empty()) return reject(AckCode::kError, "MSH", 1, 10, 101, "MSH-10: missing");

  // Devices in order of first appearance, keyed by OBR group and MDS.
  std::vector<std::pair<std::string, DeviceFacts>> devices;
  auto device_for = [&](const std::string& key, const FieldLocation& at) -> DeviceFacts& {
    for (auto& [k, facts] : devices) {
      if (k == key) return facts;
    }
    devices.emplace_back(key, DeviceFacts{});
    devices.back().second.identified_at = at;
    return devices.back().second;
  };

  int group = 0;
  std::string last_device_key;
  std::optional<v1::Location> pv1_location;
  // Component nodes each device declared, so that versions below them are attributed to them.
  for (const Segment& segment : message.segments()) {
    const std::string& id = segment.id;
    if (id == "MSH" || id == "SFT" || id == "ORC" || id == "TQ1" || id == "TQ2" || id == "EVN" || id == "SPM" ||
        id == "CTI") {
      continue;  // envelope and order segments: nothing of a pump's state
    }
    if (id == "PID" || id == "PD1" || id == "NK1" || id == "PV2" || id == "NTE") {
      ++out.patient_segments;  // never read
      continue;
    }
    if (id == "PV1") {
      ++out.patient_segments;
      // Only PV1-3 (assigned patient location, PL): point of care, room, bed, facility, ..., building, floor.
      const std::vector<absl::string_view> reps = message.Repetitions(segment, 3);
      if (!reps.empty()) {
        v1::Location location;
        location.set_unit(Cut(message.Component(reps[0], 1)));
        location.set_room(Cut(message.Component(reps[0], 2)));
        location.set_facility(Cut(message.Subcomponent(reps[0], 4, 1)));
        location.set_building(Cut(message.Component(reps[0], 7)));
        location.set_floor(Cut(message.Component(reps[0], 8)));
        location.set_source(v1::LOCATION_SOURCE_GATEWAY_PORT);
        if (!location.unit().empty() || !location.room().empty() || !location.facility().empty()) {
          pv1_location = location;
        }
      }
      continue;
    }
    if (id == "OBR") {
      ++group;
      last_device_key.clear();
      continue;
    }
    if (id == "PRT") {
      // 2.7+: PRT-10 device identifiers (EI, repeating), PRT-20 device serial number.
      std::string key = last_device_key;
      std::string system_id;
      std::string asset_tag;
      for (absl::string_view rep : message.Repetitions(segment, 10)) {
        const std::string identifier = message.Component(rep, 1);
        const std::string authority = message.Component(rep, 2);
        if (!table_.asset_tag_authority().empty() && authority == table_.asset_tag_authority()) {
          asset_tag = identifier;
        } else if (system_id.empty()) {
          system_id = identifier;
        }
      }
      for (auto& [k, facts] : devices) {
        if (!system_id.empty() && facts.system_id == system_id) key = k;
      }
      if (key.empty()) key = absl::StrCat(group, "/1");
      DeviceFacts& facts = device_for(key, FieldLocation{"PRT", segment.occurrence, 10});
      if (facts.system_id.empty()) facts.system_id = system_id;
      if (!asset_tag.empty()) facts.asset_tag = asset_tag;
      const std::string serial = message.Get(segment, 20);
      if (!serial.empty()) facts.serial = Cut(serial);
      continue;
    }
    if (id != "OBX") {
      ++out.unknown_segments;
      continue;
    }

    const Position position = ParsePosition(message.Get(segment, 4));
    const std::string key = absl::StrCat(group, "/", position.mds);
    last_device_key = key;
    DeviceFacts& facts = device_for(key, FieldLocation{"OBX", segment.occurrence, 18});
    // OBX-18: equipment instance identifiers (EI, repeating): the first is the device (EUI-64); one in the asset tag
    // namespace is the asset tag.
    const std::vector<absl::string_view> equipment = message.Repetitions(segment, 18);
    for (size_t i = 0; i < equipment.size(); ++i) {
      const std::string identifier = message.Component(equipment[i], 1);
      const std::string authority = message.Component(equipment[i], 2);
      if (identifier.empty()) continue;
      if (!table_.asset_tag_authority().empty() && authority == table_.asset_tag_authority()) {
        facts.asset_tag = identifier;
      } else if (facts.system_id.empty()) {
        facts.system_id = identifier;
      }
    }

    const std::string code = message.Get(segment, 3, 1);
    const std::string mnemonic = message.Get(segment, 3, 2);
    auto found = by_code_.find(code);
    if (found == by_code_.end() && !mnemonic.empty()) found = by_code_.find(mnemonic);
    const bool is_location_type = message.Get(segment, 2) == "PL";
    if (found == by_code_.end() && !is_location_type) {
      ++out.unknown_codes;
      continue;
    }
    const Target target = found == by_code_.end() ? pumptrack::hl7::TARGET_LOCATION : found->second->target();
    const std::vector<absl::string_view> values = message.Repetitions(segment, 5);
    const absl::string_view value = values.empty() ? absl::string_view() : values.front();
    const std::string first = message.Component(value, 1);

    // Where does a version, model or serial belong: the pump (MDS level) or a declared component?
    v1::Component* component = nullptr;
    if (position.vmd != 0) {
      auto node = facts.components.find(NodeKey(position.vmd, position.chan));
      if (node == facts.components.end()) node = facts.components.find(NodeKey(position.vmd, 0));
      if (node != facts.components.end()) component = &node->second;
    }

    switch (target) {
      case pumptrack::hl7::TARGET_SYSTEM_ID:
        if (!first.empty()) facts.system_id = Cut(first);
        break;
      case pumptrack::hl7::TARGET_ASSET_TAG:
        if (!first.empty()) facts.asset_tag = first;
        break;
      case pumptrack::hl7::TARGET_MODEL: {
        // IEEE 11073 System-Model is manufacturer and model number: "manufacturer^model" or just "model".
        const std::string second = message.Component(value, 2);
        const std::string model = second.empty() ? first : second;
        const std::string manufacturer = second.empty() ? "" : first;
        if (component != nullptr) {
          if (!model.empty()) component->set_model(Cut(model));
        } else if (position.vmd == 0) {
          if (!model.empty()) facts.model = Cut(model);
          if (!manufacturer.empty()) facts.manufacturer = Cut(manufacturer);
        } else {
          ++out.unknown_codes;
        }
        break;
      }
      case pumptrack::hl7::TARGET_MANUFACTURER:
        if (position.vmd == 0 && !first.empty()) facts.manufacturer = Cut(first);
        break;
      case pumptrack::hl7::TARGET_SERIAL_NUMBER:
        if (component != nullptr) {
          component->set_serial_number(Cut(first));
        } else if (position.vmd == 0) {
          if (!first.empty()) facts.serial = Cut(first);
        } else {
          ++out.unknown_codes;
        }
        break;
      case pumptrack::hl7::TARGET_HARDWARE_VERSION:
      case pumptrack::hl7::TARGET_SOFTWARE_VERSION:
      case pumptrack::hl7::TARGET_FIRMWARE_VERSION:
        if (component != nullptr) {
          if (target == pumptrack::hl7::TARGET_HARDWARE_VERSION) component->set_hardware_version(Cut(first));
          if (target == pumptrack::hl7::TARGET_SOFTWARE_VERSION) component->set_software_version(Cut(first));
          if (target == pumptrack::hl7::TARGET_FIRMWARE_VERSION) component->set_firmware_version(Cut(first));
        } else if (position.vmd == 0 && target == pumptrack::hl7::TARGET_FIRMWARE_VERSION) {
          if (!first.empty()) facts.firmware = Cut(first);
        } else {
          ++out.unknown_codes;  // the pump's own hardware/software versions have no field in the contract yet
        }
        break;
      case pumptrack::hl7::TARGET_BATTERY_PERCENT: {
        if (first.empty()) break;
        double percent = 0;
        if (!absl::SimpleAtod(first, &percent) || !(percent >= 0 && percent <= 100)) {
          return reject(AckCode::kError, "OBX", segment.occurrence, 5, 102,
                        absl::StrCat("OBX-5: battery charge \"", first, "\" is not a percentage 0-100"));
        }
        facts.battery = static_cast<uint32_t>(percent + 0.5);
        break;
      }
      case pumptrack::hl7::TARGET_BATTERY_HEALTH_PERCENT: {
        if (first.empty()) break;
        double percent = 0;
        if (!absl::SimpleAtod(first, &percent) || !(percent >= 0 && percent <= 100)) {
          return reject(AckCode::kError, "OBX", segment.occurrence, 5, 102,
                        absl::StrCat("OBX-5: battery health \"", first, "\" is not a percentage 0-100"));
        }
        facts.battery_health = static_cast<uint32_t>(percent + 0.5);
        break;
      }
      case pumptrack::hl7::TARGET_BATTERY_CYCLE_COUNT: {
        if (first.empty()) break;
        uint32_t cycles = 0;
        if (!absl::SimpleAtoi(first, &cycles) || cycles > 100'000) {
          return reject(AckCode::kError, "OBX", segment.occurrence, 5, 102,
                        absl::StrCat("OBX-5: battery cycle count \"", first, "\" is not a whole number 0-100000"));
        }
        facts.battery_cycles = cycles;
        break;
      }
      case pumptrack::hl7::TARGET_LOCATION: {
        // PL: point of care, room, bed, facility (HD), location status, person location type, building, floor.
        v1::Location location;
        location.set_unit(Cut(message.Component(value, 1)));
        location.set_room(Cut(message.Component(value, 2)));
        location.set_facility(Cut(message.Subcomponent(value, 4, 1)));
        location.set_building(Cut(message.Component(value, 7)));
        location.set_floor(Cut(message.Component(value, 8)));
        location.set_source(v1::LOCATION_SOURCE_RTLS);
        if (!location.unit().empty() || !location.room().empty() || !location.facility().empty() ||
            !location.building().empty() || !location.floor().empty()) {
          facts.location = location;
        }
        break;
      }
      case pumptrack::hl7::TARGET_OPERATING_STATE: {
        const auto state = found->second->states().find(first);
        if (state == found->second->states().end()) {
          ++out.unknown_codes;
        } else {
          facts.state = StateByName(state->second);
        }
        break;
      }
      case pumptrack::hl7::TARGET_DRUG_LIBRARY_NAME:
        if (!first.empty()) facts.library_name = first.substr(0, 128);
        break;
      case pumptrack::hl7::TARGET_DRUG_LIBRARY_VERSION:
        if (!first.empty()) facts.library_version = Cut(first);
        break;
      case pumptrack::hl7::TARGET_COMPONENT: {
        if (position.vmd == 0) {
          ++out.unknown_codes;  // the MDS is the pump itself
          break;
        }
        if (facts.components.size() >= kMaxComponents) break;
        v1::Component& declared = facts.components[NodeKey(position.vmd, position.chan)];
        declared.set_kind(found->second->component_kind());
        declared.set_position(NodeKey(position.vmd, position.chan));
        break;
      }
      default:
        ++out.unknown_codes;
        break;
    }
  }

  absl::MutexLock lock(&mu_);
  for (auto& [key, facts] : devices) {
    // Fill the identity from what earlier messages said about this device.
    if (!facts.system_id.empty()) {
      auto known = by_system_id_.find(facts.system_id);
      if (known != by_system_id_.end()) {
        if (facts.asset_tag.empty()) facts.asset_tag = known->second.asset_tag;
        if (facts.serial.empty()) facts.serial = known->second.serial;
      }
    }
    if (facts.asset_tag.empty() && table_.asset_tag_from_serial()) facts.asset_tag = facts.serial;
    if (facts.serial.empty() && !facts.asset_tag.empty()) {
      auto known = serial_by_tag_.find(facts.asset_tag);
      if (known != serial_by_tag_.end()) facts.serial = known->second;
    }
    const FieldLocation& at = facts.identified_at;
    if (facts.asset_tag.empty()) {
      return reject(AckCode::kError, at.segment, at.occurrence, at.field, 101,
                    absl::StrCat(at.segment, "-", at.field, ": device \"", facts.system_id,
                                 "\" has no asset tag (no identifier in namespace \"", table_.asset_tag_authority(),
                                 "\" and no serial number)"));
    }
    if (!IsAssetTag(facts.asset_tag)) {
      return reject(AckCode::kError, at.segment, at.occurrence, at.field, 102,
                    absl::StrCat(at.segment, "-", at.field, ": asset tag \"", facts.asset_tag,
                                 "\" is not 1-64 characters from [A-Za-z0-9._-]"));
    }
    if (facts.serial.empty()) {
      return reject(AckCode::kError, at.segment, at.occurrence, at.field, 101,
                    absl::StrCat(at.segment, "-", at.field, ": device \"", facts.asset_tag,
                                 "\" has no serial number (MDC_ID_PROD_SPEC_SERIAL or PRT-20) and none is known "
                                 "from an earlier message"));
    }
  }
  for (auto& [key, facts] : devices) {
    if (!facts.system_id.empty()) by_system_id_[facts.system_id] = Known{facts.asset_tag, facts.serial};
    serial_by_tag_[facts.asset_tag] = facts.serial;

    v1::Observation observation;
    v1::DeviceIdentity& identity = *observation.mutable_identity();
    identity.set_asset_tag(facts.asset_tag);
    identity.set_serial_number(facts.serial);
    identity.set_manufacturer(facts.manufacturer);
    identity.set_model(facts.model);
    *observation.mutable_observed_at() =
        google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(received));
    observation.set_firmware_version(facts.firmware);
    if (facts.location) {
      *observation.mutable_location() = *facts.location;
    } else if (pv1_location) {
      *observation.mutable_location() = *pv1_location;
    }
    if (facts.battery) observation.mutable_physical()->set_battery_percent(*facts.battery);
    if (facts.battery_health) observation.mutable_physical()->set_battery_health_percent(*facts.battery_health);
    if (facts.battery_cycles) observation.mutable_physical()->set_battery_cycle_count(*facts.battery_cycles);
    if (facts.state) observation.set_operating_state(*facts.state);
    if (!facts.library_name.empty() || !facts.library_version.empty()) {
      observation.mutable_drug_library()->set_name(facts.library_name);
      observation.mutable_drug_library()->set_version(facts.library_version);
    }
    for (auto& [node, component] : facts.components) *observation.add_components() = std::move(component);
    out.observations.push_back(std::move(observation));
  }
  return out;
}

}  // namespace pumptrack::agents::hl7
