#include "storage/device_store.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <iterator>
#include <optional>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "google/protobuf/arena.h"
#include "google/protobuf/util/message_differencer.h"
#include "google/protobuf/util/time_util.h"
#include "storage/keys.h"
#include "storage/observation_merge.h"
#include "storage/proto_time.h"
#include "storage/rocksdb_status.h"

namespace pumptrack::storage {
namespace {

using google::protobuf::util::MessageDifferencer;
using google::protobuf::util::TimeUtil;

// Bounds the work of one ListDevices call when secondary filters reject most candidates.
constexpr int kMaxScannedPerPage = 10'000;

bool SamePlace(const v1::Location& a, const v1::Location& b) {
  return a.facility() == b.facility() && a.building() == b.building() && a.floor() == b.floor() &&
         a.unit() == b.unit() && a.room() == b.room();
}

v1::DeviceSnapshot Snapshot(const v1::Observation& observation) {
  v1::DeviceSnapshot snapshot;
  *snapshot.mutable_location() = observation.location();
  snapshot.set_firmware_version(observation.firmware_version());
  *snapshot.mutable_drug_library() = observation.drug_library();
  snapshot.set_configuration_digest(observation.configuration().digest());
  snapshot.set_operating_state(observation.operating_state());
  snapshot.set_seal_state(observation.physical().seal_state());
  snapshot.set_seal_id(observation.physical().seal_id());
  snapshot.set_case_state(observation.physical().case_state());
  snapshot.set_default_credentials(observation.security().default_credentials());
  snapshot.set_wifi_security(observation.security().wifi_security());
  snapshot.set_remote_access_enabled(observation.security().remote_access_enabled());
  snapshot.set_open_services(static_cast<std::uint32_t>(observation.security().open_services_size()));
  return snapshot;
}

// The kinds of change between two snapshots of one device. Operating state alone is not history-worthy: it changes
// with every infusion.
std::vector<v1::ChangeKind> Changes(const v1::DeviceSnapshot& before, const v1::DeviceSnapshot& after) {
  std::vector<v1::ChangeKind> changes;
  if (!SamePlace(before.location(), after.location())) changes.push_back(v1::CHANGE_KIND_LOCATION);
  if (before.firmware_version() != after.firmware_version()) changes.push_back(v1::CHANGE_KIND_FIRMWARE);
  if (!MessageDifferencer::Equals(before.drug_library(), after.drug_library())) {
    changes.push_back(v1::CHANGE_KIND_DRUG_LIBRARY);
  }
  if (before.configuration_digest() != after.configuration_digest()) {
    changes.push_back(v1::CHANGE_KIND_CONFIGURATION);
  }
  if (before.default_credentials() != after.default_credentials() || before.wifi_security() != after.wifi_security() ||
      before.remote_access_enabled() != after.remote_access_enabled() ||
      before.open_services() != after.open_services()) {
    changes.push_back(v1::CHANGE_KIND_SECURITY);
  }
  if (before.seal_state() != after.seal_state() || before.seal_id() != after.seal_id() ||
      before.case_state() != after.case_state()) {
    changes.push_back(v1::CHANGE_KIND_SEAL);
  }
  return changes;
}

bool Matches(const DeviceFilter& filter, const v1::Device& device) {
  const v1::Observation& o = device.last_observation();
  return (filter.facility.empty() || o.location().facility() == filter.facility) &&
         (filter.unit.empty() || o.location().unit() == filter.unit) &&
         (filter.model.empty() || o.identity().model() == filter.model) &&
         (filter.firmware_version.empty() || o.firmware_version() == filter.firmware_version) &&
         (filter.operating_state == v1::OPERATING_STATE_UNSPECIFIED || o.operating_state() == filter.operating_state);
}

// The most selective index for the filter, as a key prefix; nullopt when the filter is empty.
std::optional<std::string> IndexPrefixFor(const DeviceFilter& filter) {
  if (!filter.unit.empty()) return keys::DeviceIndexPrefix(keys::IndexDimension::kUnit, filter.unit);
  if (!filter.firmware_version.empty()) {
    return keys::DeviceIndexPrefix(keys::IndexDimension::kFirmware, filter.firmware_version);
  }
  if (!filter.model.empty()) return keys::DeviceIndexPrefix(keys::IndexDimension::kModel, filter.model);
  if (!filter.facility.empty()) return keys::DeviceIndexPrefix(keys::IndexDimension::kFacility, filter.facility);
  if (filter.operating_state != v1::OPERATING_STATE_UNSPECIFIED) {
    return keys::DeviceIndexPrefix(keys::IndexDimension::kOperatingState,
                                   v1::OperatingState_Name(filter.operating_state));
  }
  return std::nullopt;
}

// `t` rounded up to a whole microsecond.
absl::Time CeilMicros(absl::Time t) {
  const absl::Time floor = absl::FromUnixMicros(absl::ToUnixMicros(t));
  return floor == t ? t : floor + absl::Microseconds(1);
}

absl::StatusOr<v1::Device> ParseDevice(absl::string_view bytes, absl::string_view asset_tag) {
  v1::Device device;
  if (!device.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::DataLossError(absl::StrCat("stored state of device ", asset_tag, " does not parse"));
  }
  return device;
}

// The secondary-index values of a device, one per dimension (empty: not indexed under it). Slot d - 1 holds
// dimension d (see kIndexDimensions).
constexpr keys::IndexDimension kIndexDimensions[] = {keys::IndexDimension::kFacility, keys::IndexDimension::kUnit,
                                                     keys::IndexDimension::kModel, keys::IndexDimension::kFirmware,
                                                     keys::IndexDimension::kOperatingState};
using IndexValues = std::array<std::string, std::size(kIndexDimensions)>;

IndexValues IndexValuesOf(const v1::Device& device) {
  const v1::Observation& o = device.last_observation();
  IndexValues values;
  values[0] = o.location().facility();
  values[1] = o.location().unit();
  values[2] = o.identity().model();
  values[3] = o.firmware_version();
  if (o.operating_state() != v1::OPERATING_STATE_UNSPECIFIED) values[4] = v1::OperatingState_Name(o.operating_state());
  return values;
}

// What Apply needs of a device's stored state, as read before the batch: whether to write it, and which serial and
// index entries to release.
struct StoredSummary {
  std::uint64_t accepted_reports = 0;
  std::string serial_number;
  IndexValues index_values;
};

// The state of one device while a batch is being applied. Messages live on the batch's arena.
struct PendingDevice {
  absl::string_view tag;                // points into the first observation of the device
  std::optional<StoredSummary> stored;  // as read before the batch
  v1::Device* current = nullptr;        // after the observations applied so far; nullptr while the device is unknown
};

bool IsDuplicate(const v1::Device& current, const v1::Observation& observation, const v1::AgentInfo& agent) {
  const v1::Observation& last = current.last_observation();
  if (current.last_agent().agent_id() == agent.agent_id()) return observation.sequence() <= last.sequence();
  return ToAbslTime(observation.observed_at()) < ToAbslTime(last.observed_at());
}

// The device's next state on `arena`.
v1::Device* Advance(const v1::Device* current, const v1::Observation& observation, const v1::AgentInfo& agent,
                    absl::Time now, google::protobuf::Arena& arena) {
  v1::Device& next = *google::protobuf::Arena::CreateMessage<v1::Device>(&arena);
  const v1::Observation* known = current ? &current->last_observation() : nullptr;
  if (NeedsCarryOver(known, observation)) {
    *next.mutable_last_observation() = observation;
    CarryOverUnobserved(known, *next.mutable_last_observation());
  } else {
    // A full report is the device's whole last observation as it came: `next` points at it instead of copying it
    // (a copy was an eighth of the writer's time). Nothing writes through the pointer, and the arena that owns
    // `next` never frees a message it did not allocate; the observation outlives Apply (IncomingObservation).
    next.unsafe_arena_set_allocated_last_observation(const_cast<v1::Observation*>(&observation));
  }
  *next.mutable_identity() = next.last_observation().identity();
  *next.mutable_last_seen_at() = ToProtoTimestamp(now);
  *next.mutable_last_agent() = agent;
  if (current) {
    *next.mutable_first_seen_at() = current->first_seen_at();
    next.set_home_facility(current->home_facility());
    next.set_home_unit(current->home_unit());
    next.set_home_source(current->home_source());
    if (current->has_custody()) *next.mutable_custody() = current->custody();
    if (current->has_maintenance()) *next.mutable_maintenance() = current->maintenance();
    next.set_accepted_reports(current->accepted_reports() + 1);
    const bool same_place = SamePlace(current->last_observation().location(), next.last_observation().location());
    *next.mutable_location_since() = same_place ? current->location_since() : observation.observed_at();
  } else {
    *next.mutable_first_seen_at() = ToProtoTimestamp(now);
    next.set_accepted_reports(1);
    *next.mutable_location_since() = observation.observed_at();
  }
  // A device without a home gets the first unit it is seen in.
  if (next.home_unit().empty() && !next.last_observation().location().unit().empty()) {
    next.set_home_facility(next.last_observation().location().facility());
    next.set_home_unit(next.last_observation().location().unit());
    next.set_home_source(v1::HOME_SOURCE_FIRST_SEEN);
  }
  return &next;
}

bool SameTimestamp(const google::protobuf::Timestamp& a, const google::protobuf::Timestamp& b) {
  return a.seconds() == b.seconds() && a.nanos() == b.nanos();
}

// Field by field what MessageDifferencer::Equals on two DrugLibrary messages without unknown fields decides (an unset
// published_at differs from a set one, even a zero one). The storage tests check that DrugLibrary has no other field.
bool SameDrugLibrary(const v1::DrugLibrary& a, const v1::DrugLibrary& b) {
  return a.name() == b.name() && a.version() == b.version() && a.digest() == b.digest() &&
         a.has_published_at() == b.has_published_at() && SameTimestamp(a.published_at(), b.published_at());
}

// Whether a move from `before` to `after` is history-worthy: the same decision as Changes() on their snapshots plus
// the reporting agent, without building the snapshots.
bool HasHistoryWorthyChange(const v1::Device& before, const v1::Device& after) {
  const v1::Observation& b = before.last_observation();
  const v1::Observation& a = after.last_observation();
  return !SamePlace(b.location(), a.location()) || b.firmware_version() != a.firmware_version() ||
         !SameDrugLibrary(b.drug_library(), a.drug_library()) ||
         b.configuration().digest() != a.configuration().digest() ||
         b.security().default_credentials() != a.security().default_credentials() ||
         b.security().wifi_security() != a.security().wifi_security() ||
         b.security().remote_access_enabled() != a.security().remote_access_enabled() ||
         b.security().open_services_size() != a.security().open_services_size() ||
         b.physical().seal_state() != a.physical().seal_state() || b.physical().seal_id() != a.physical().seal_id() ||
         b.physical().case_state() != a.physical().case_state() ||
         before.last_agent().agent_id() != after.last_agent().agent_id();
}

// The history entry for moving from `current` to `next`, if anything history-worthy changed.
std::optional<v1::HistoryEntry> HistoryFor(const v1::Device* current, const v1::Device& next) {
  // Most reports change nothing history-worthy: decide that without building snapshots.
  if (current && !HasHistoryWorthyChange(*current, next)) return std::nullopt;
  v1::HistoryEntry entry;
  *entry.mutable_after() = Snapshot(next.last_observation());
  if (current) {
    *entry.mutable_before() = Snapshot(current->last_observation());
    for (v1::ChangeKind change : Changes(entry.before(), entry.after())) entry.add_changes(change);
    if (current->last_agent().agent_id() != next.last_agent().agent_id()) {
      entry.add_changes(v1::CHANGE_KIND_REPORTING_AGENT);
      entry.set_previous_agent_id(current->last_agent().agent_id());
    }
    if (entry.changes().empty()) return std::nullopt;
  } else {
    entry.add_changes(v1::CHANGE_KIND_FIRST_SEEN);
  }
  *entry.mutable_observed_at() = next.last_observation().observed_at();
  entry.set_sequence(next.last_observation().sequence());
  entry.set_agent_id(next.last_agent().agent_id());
  return entry;
}

// Bytes of WriteBatch per observation reserved up front (about 620 are used with a device record and no history).
constexpr std::size_t kBatchBytesPerObservation = 768;

}  // namespace

absl::StatusOr<std::vector<ApplyResult>> DeviceStore::Apply(std::span<const IncomingObservation> observations,
                                                            absl::Time now, bool sync, const DeviceChangeHook& hook) {
  // Every message of the batch (parsed and advanced devices) lives on one arena: freeing it is a few block frees
  // instead of one free per string.
  google::protobuf::ArenaOptions arena_options;
  arena_options.start_block_size = 64 * 1024;
  arena_options.max_block_size = 1024 * 1024;
  google::protobuf::Arena arena(arena_options);

  // The touched devices in order of first appearance, and each observation's device.
  std::vector<PendingDevice> pending;
  absl::flat_hash_map<absl::string_view, std::size_t> pending_index;
  std::vector<std::size_t> device_of;
  device_of.reserve(observations.size());
  pending_index.reserve(observations.size());
  for (const IncomingObservation& in : observations) {
    const std::string& tag = in.observation->identity().asset_tag();
    auto [it, inserted] = pending_index.try_emplace(tag, pending.size());
    if (inserted) pending.emplace_back().tag = tag;
    device_of.push_back(it->second);
  }

  // Read every touched device once, in one batched MultiGet (Database::MultiGet): RocksDB sorts the keys once and
  // looks them up in one pass, and a value read from the block cache stays pinned there until parsed.
  std::vector<std::string> device_keys;
  device_keys.reserve(pending.size());
  for (const PendingDevice& device : pending) device_keys.push_back(keys::DeviceKey(device.tag));
  RETURN_IF_ERROR(database_->MultiGet(
      ColumnFamily::kDevices, device_keys, [&](std::size_t i, std::optional<absl::string_view> value) -> absl::Status {
        if (!value.has_value()) return absl::OkStatus();  // a device never reported before
        PendingDevice& device = pending[i];
        v1::Device* stored = google::protobuf::Arena::CreateMessage<v1::Device>(&arena);
        if (!stored->ParseFromArray(value->data(), static_cast<int>(value->size()))) {
          return absl::DataLossError(absl::StrCat("stored state of device ", device.tag, " does not parse"));
        }
        device.stored.emplace();
        device.stored->accepted_reports = stored->accepted_reports();
        device.stored->serial_number = stored->identity().serial_number();
        device.stored->index_values = IndexValuesOf(*stored);
        device.current = stored;
        return absl::OkStatus();
      }));

  rocksdb::WriteBatch batch(observations.size() * kBatchBytesPerObservation);
  rocksdb::Status staged;
  auto stage = [&](rocksdb::Status status) {
    if (staged.ok()) staged = std::move(status);
  };
  std::vector<ApplyResult> results;
  results.reserve(observations.size());
  for (std::size_t i = 0; i < observations.size(); ++i) {
    const IncomingObservation& in = observations[i];
    PendingDevice& device = pending[device_of[i]];
    if (device.current && IsDuplicate(*device.current, *in.observation, *in.agent)) {
      results.push_back(ApplyResult::kDuplicate);
      continue;
    }
    v1::Device* next = Advance(device.current, *in.observation, *in.agent, now, arena);
    if (hook) {
      RETURN_IF_ERROR(hook(device.current, *next, batch));
    }
    if (std::optional<v1::HistoryEntry> entry = HistoryFor(device.current, *next)) {
      stage(batch.Put(database_->Handle(ColumnFamily::kHistory),
                      keys::HistoryKey(next->identity().asset_tag(), ToAbslTime(entry->observed_at()),
                                       entry->sequence(), entry->agent_id()),
                      entry->SerializeAsString()));
    }
    device.current = next;
    results.push_back(ApplyResult::kAccepted);
  }

  // Devices are staged in asset-tag order.
  std::vector<const PendingDevice*> by_tag;
  by_tag.reserve(pending.size());
  for (const PendingDevice& device : pending) by_tag.push_back(&device);
  std::sort(by_tag.begin(), by_tag.end(),
            [](const PendingDevice* a, const PendingDevice* b) { return a->tag < b->tag; });

  // Serial-index changes are applied after every device is staged: releases first, and only while the serial still
  // maps to the releasing device, so serials swapped or taken over within a batch stay indexed.
  std::vector<std::pair<std::string, absl::string_view>> serials_released;  // (serial, tag)
  std::vector<std::pair<std::string, absl::string_view>> serials_claimed;   // (serial, tag)
  std::string value;
  for (const PendingDevice* device : by_tag) {
    const absl::string_view tag = device->tag;
    if (!device->current ||
        (device->stored && device->stored->accepted_reports == device->current->accepted_reports())) {
      continue;  // nothing accepted for this device
    }
    value.clear();
    device->current->AppendToString(&value);
    stage(batch.Put(database_->Handle(ColumnFamily::kDevices), keys::DeviceKey(tag), value));

    const std::string& serial = device->current->identity().serial_number();
    if (!device->stored || device->stored->serial_number != serial) {
      if (device->stored) serials_released.emplace_back(device->stored->serial_number, tag);
      serials_claimed.emplace_back(serial, tag);
    }

    static const IndexValues kNotIndexed;
    const IndexValues& before = device->stored ? device->stored->index_values : kNotIndexed;
    const IndexValues after = IndexValuesOf(*device->current);
    for (std::size_t d = 0; d < after.size(); ++d) {
      if (!before[d].empty() && before[d] != after[d]) {
        stage(batch.Delete(database_->Handle(ColumnFamily::kDeviceIndex),
                           keys::DeviceIndexKey(kIndexDimensions[d], before[d], tag)));
      }
    }
    for (std::size_t d = 0; d < after.size(); ++d) {
      if (!after[d].empty() && before[d] != after[d]) {
        stage(batch.Put(database_->Handle(ColumnFamily::kDeviceIndex),
                        keys::DeviceIndexKey(kIndexDimensions[d], after[d], tag), rocksdb::Slice()));
      }
    }
  }
  for (const auto& [serial, tag] : serials_released) {
    const bool claimed_in_batch =
        std::any_of(serials_claimed.begin(), serials_claimed.end(),
                    [&released = serial](const auto& claim) { return claim.first == released; });
    if (claimed_in_batch) continue;
    ASSIGN_OR_RETURN(std::optional<std::string> owner,
                     database_->Get(ColumnFamily::kSerialIndex, keys::SerialKey(serial)));
    if (owner.has_value() && *owner == tag) {
      stage(batch.Delete(database_->Handle(ColumnFamily::kSerialIndex), keys::SerialKey(serial)));
    }
  }
  for (const auto& [serial, tag] : serials_claimed) {
    stage(batch.Put(database_->Handle(ColumnFamily::kSerialIndex), keys::SerialKey(serial),
                    rocksdb::Slice(tag.data(), tag.size())));
  }
  if (!staged.ok()) return FromRocksDb(staged, "stage device update");

  if (batch.Count() > 0) {
    RETURN_IF_ERROR(database_->Write(batch, sync));
  }
  return results;
}

absl::Status DeviceStore::StageServiceFields(const v1::Device& device, rocksdb::WriteBatch& batch) const {
  v1::Device stored = device;
  stored.clear_risk_score();
  stored.clear_open_findings();
  return FromRocksDb(batch.Put(database_->Handle(ColumnFamily::kDevices),
                               keys::DeviceKey(device.identity().asset_tag()), stored.SerializeAsString()),
                     "stage device");
}

std::size_t DeviceStore::EstimatedDevices() const {
  return database_->IntProperty(ColumnFamily::kDevices, "rocksdb.estimate-num-keys").value_or(0);
}

absl::StatusOr<v1::Device> DeviceStore::GetDevice(absl::string_view asset_tag) const {
  ASSIGN_OR_RETURN(std::optional<std::string> value,
                   database_->Get(ColumnFamily::kDevices, keys::DeviceKey(asset_tag)));
  if (!value.has_value()) return absl::NotFoundError(absl::StrCat("device ", asset_tag, " not found"));
  return ParseDevice(*value, asset_tag);
}

absl::StatusOr<std::vector<v1::Device*>> DeviceStore::GetDevices(const std::vector<std::string>& asset_tags,
                                                                 google::protobuf::Arena& arena) const {
  std::vector<std::string> keys;
  keys.reserve(asset_tags.size());
  for (const std::string& tag : asset_tags) keys.push_back(keys::DeviceKey(tag));
  std::vector<v1::Device*> devices(asset_tags.size(), nullptr);
  RETURN_IF_ERROR(database_->MultiGet(
      ColumnFamily::kDevices, keys, [&](std::size_t i, std::optional<absl::string_view> value) -> absl::Status {
        if (!value.has_value()) return absl::OkStatus();
        v1::Device* device = google::protobuf::Arena::CreateMessage<v1::Device>(&arena);
        if (!device->ParseFromArray(value->data(), static_cast<int>(value->size()))) {
          return absl::DataLossError(absl::StrCat("stored state of device ", asset_tags[i], " does not parse"));
        }
        devices[i] = device;
        return absl::OkStatus();
      }));
  return devices;
}

absl::StatusOr<v1::Device> DeviceStore::GetDeviceBySerial(absl::string_view serial_number) const {
  ASSIGN_OR_RETURN(std::optional<std::string> tag,
                   database_->Get(ColumnFamily::kSerialIndex, keys::SerialKey(serial_number)));
  if (!tag.has_value()) {
    return absl::NotFoundError(absl::StrCat("device with serial number ", serial_number, " not found"));
  }
  return GetDevice(*tag);
}

absl::StatusOr<DevicePage> DeviceStore::ListDevices(const DeviceFilter& filter, absl::string_view after_tag,
                                                    int limit) const {
  DevicePage page;
  const std::optional<std::string> index_prefix = IndexPrefixFor(filter);
  const ColumnFamily family = index_prefix ? ColumnFamily::kDeviceIndex : ColumnFamily::kDevices;
  const std::string prefix = index_prefix.value_or(std::string(1, keys::kKeyVersion));
  const std::string upper_bound = keys::PrefixSuccessor(prefix);
  rocksdb::Slice upper_bound_slice(upper_bound);
  rocksdb::ReadOptions options;
  if (!upper_bound.empty()) options.iterate_upper_bound = &upper_bound_slice;
  std::unique_ptr<rocksdb::Iterator> it = database_->NewIterator(family, options);

  // Seek just past `after_tag`: appending a NUL byte gives the smallest key greater than it.
  std::string start = prefix;
  if (!after_tag.empty()) {
    start.append(after_tag.data(), after_tag.size());
    start.push_back('\0');
  }
  int scanned = 0;
  std::string last_tag;
  for (it->Seek(start); it->Valid(); it->Next()) {
    if (static_cast<int>(page.devices.size()) >= limit || scanned >= kMaxScannedPerPage) {
      page.next_after_tag = last_tag;
      break;
    }
    ++scanned;
    absl::string_view key = ToView(it->key());
    ASSIGN_OR_RETURN(std::string tag,
                     index_prefix ? keys::ParseDeviceIndexKey(prefix, key) : keys::ParseDeviceKey(key));
    last_tag = tag;
    ASSIGN_OR_RETURN(v1::Device device, index_prefix ? GetDevice(tag) : ParseDevice(ToView(it->value()), tag));
    if (Matches(filter, device)) page.devices.push_back(std::move(device));
  }
  RETURN_IF_ERROR(FromRocksDb(it->status(), "list devices"));
  return page;
}

absl::StatusOr<HistoryPage> DeviceStore::GetHistory(absl::string_view asset_tag, absl::Time start, absl::Time end,
                                                    absl::string_view cursor, int limit) const {
  const std::string prefix = keys::HistoryPrefix(asset_tag);
  // Keys hold whole microseconds: observed_at >= start means >= CeilMicros(start), and < end means
  // < CeilMicros(end).
  start = CeilMicros(start);
  end = CeilMicros(end);
  // Newest first: keys hold inverted times, so observed_at < end starts at HistoryKey(end - 1us, max sequence)...
  std::string seek_key = keys::HistoryKey(asset_tag, end - absl::Microseconds(1), UINT64_MAX);
  if (!cursor.empty()) {
    if (cursor.substr(0, prefix.size()) != prefix || !keys::ParseHistoryKey(cursor).ok()) {
      return absl::InvalidArgumentError("page_token does not belong to this device's history");
    }
    seek_key = std::string(cursor);
    seek_key.push_back('\0');  // strictly after the last key returned
  }
  // ... and observed_at >= start ends before HistoryKey(start, sequence 0)'s successor.
  const std::string upper_bound = keys::PrefixSuccessor(keys::HistoryKey(asset_tag, start, 0));
  rocksdb::Slice upper_bound_slice(upper_bound);
  rocksdb::ReadOptions options;
  options.iterate_upper_bound = &upper_bound_slice;
  std::unique_ptr<rocksdb::Iterator> it = database_->NewIterator(ColumnFamily::kHistory, options);

  HistoryPage page;
  std::string last_key;
  for (it->Seek(seek_key); it->Valid(); it->Next()) {
    if (static_cast<int>(page.entries.size()) >= limit) {
      page.next_cursor = last_key;  // more remain; resume strictly after the last entry returned
      break;
    }
    v1::HistoryEntry entry;
    if (!entry.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
      return absl::DataLossError(absl::StrCat("history entry of device ", asset_tag, " does not parse"));
    }
    page.entries.push_back(std::move(entry));
    last_key.assign(it->key().data(), it->key().size());
  }
  RETURN_IF_ERROR(FromRocksDb(it->status(), "read history"));
  return page;
}

}  // namespace pumptrack::storage
