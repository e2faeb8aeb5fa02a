#ifndef PUMPTRACK_STORAGE_DEVICE_STORE_H_
#define PUMPTRACK_STORAGE_DEVICE_STORE_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/arena.h"
#include "pumptrack/v1/device.pb.h"
#include "rocksdb/write_batch.h"
#include "storage/database.h"

namespace pumptrack::storage {

// One validated observation to apply, with the agent that sent it. Pointers must outlive the Apply call.
struct IncomingObservation {
  const v1::Observation* observation = nullptr;
  const v1::AgentInfo* agent = nullptr;
};

enum class ApplyResult {
  // Applied to the device's state.
  kAccepted,
  // Already applied, or superseded by a newer observation of the device: nothing changed.
  kDuplicate,
};

// Sees each accepted observation's state change while a batch is being staged: `before` is the device's state before
// this observation (nullptr for a new device), `after` the state it leads to. May add to `batch`; an error aborts the
// whole Apply, and nothing is written.
using DeviceChangeHook =
    std::function<absl::Status(const v1::Device* before, const v1::Device& after, rocksdb::WriteBatch& batch)>;

// Exact-match filters for ListDevices; empty strings and OPERATING_STATE_UNSPECIFIED match everything.
struct DeviceFilter {
  std::string facility;
  std::string unit;
  std::string model;
  std::string firmware_version;
  v1::OperatingState operating_state = v1::OPERATING_STATE_UNSPECIFIED;
};

struct DevicePage {
  std::vector<v1::Device> devices;
  // Resume after this asset tag; empty when the listing is complete.
  std::string next_after_tag;
};

struct HistoryPage {
  std::vector<v1::HistoryEntry> entries;
  // Opaque position to resume from; empty when the range is exhausted.
  std::string next_cursor;
};

// Device state, serial index, secondary indexes and change history, stored in one Database.
//
// Writes are meant to come from one thread (the service's group-commit writer): Apply reads the current state and
// writes the new one without locking, so two concurrent Apply calls for the same device could lose an update. Reads
// may come from any thread concurrently with writes.
class DeviceStore {
 public:
  explicit DeviceStore(Database* database) : database_(database) {}

  Database* database() const { return database_; }

  // RocksDB's estimate of how many devices are stored, for sizing start-up tables; 0 if unknown. It may count a device
  // more than once while updates to it sit in memtables.
  std::size_t EstimatedDevices() const;

  // Applies the observations in order as one atomic write batch and, when `sync`, returns only once it is durable.
  // Per device: an observation from the device's last agent with a sequence at or below the stored one, or from
  // another agent and observed before the stored observation, is a duplicate and changes nothing. `now` is the
  // service's clock (first/last seen). Observations and agents are stored as given: the caller drops fields this
  // version does not know before (the service does it at the RPC edge). Returns one result per
  // observation, or the write's error, in which case nothing was stored.
  // `hook`, when set, sees every accepted observation (see DeviceChangeHook). A new device's home is where it was
  // first seen.
  absl::StatusOr<std::vector<ApplyResult>> Apply(std::span<const IncomingObservation> observations, absl::Time now,
                                                 bool sync = true, const DeviceChangeHook& hook = nullptr);

  // Stages a device's new state (e.g. a new home), keeping the serial and secondary indexes as they are: only fields
  // that no index covers may differ from the stored state.
  absl::Status StageServiceFields(const v1::Device& device, rocksdb::WriteBatch& batch) const;

  // NOT_FOUND if no observation of the device was ever accepted.
  absl::StatusOr<v1::Device> GetDevice(absl::string_view asset_tag) const;
  // The devices of `asset_tags` in their order, read with one MultiGet and parsed on `arena` (null for a device never
  // reported).
  absl::StatusOr<std::vector<v1::Device*>> GetDevices(const std::vector<std::string>& asset_tags,
                                                      google::protobuf::Arena& arena) const;
  absl::StatusOr<v1::Device> GetDeviceBySerial(absl::string_view serial_number) const;

  // Up to `limit` devices matching `filter` with asset tag > `after_tag`, in asset-tag order. A page may hold fewer
  // than `limit` devices while more remain (the scan per call is bounded); continue while next_after_tag is set.
  absl::StatusOr<DevicePage> ListDevices(const DeviceFilter& filter, absl::string_view after_tag, int limit) const;

  // Up to `limit` history entries of the device with start <= observed_at < end, newest first, resuming at `cursor`
  // (from a previous page, or empty). INVALID_ARGUMENT for a cursor that does not belong to this device.
  absl::StatusOr<HistoryPage> GetHistory(absl::string_view asset_tag, absl::Time start, absl::Time end,
                                         absl::string_view cursor, int limit) const;

 private:
  Database* database_;
};

}  // namespace pumptrack::storage

#endif  // PUMPTRACK_STORAGE_DEVICE_STORE_H_
