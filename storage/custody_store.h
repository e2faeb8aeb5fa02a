#ifndef PUMPTRACK_STORAGE_CUSTODY_STORE_H_
#define PUMPTRACK_STORAGE_CUSTODY_STORE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "pumptrack/v1/custody.pb.h"
#include "pumptrack/v1/device.pb.h"
#include "rocksdb/write_batch.h"
#include "storage/database.h"

namespace pumptrack::storage {

struct CustodyHistoryPage {
  std::vector<v1::CustodyEvent> events;
  // Resume after this event index; 0 when the history is complete.
  std::uint64_t next_after = 0;
};

// The chain of custody of every pump, and the index of the pumps checked out now. The device's own custody state
// lives in its Device record (written with DeviceStore::StageServiceFields in the same batch). Reads may come from
// any thread; writes come from the service's one writer thread.
class CustodyStore {
 public:
  explicit CustodyStore(Database* database) : database_(database) {}

  // Stages `event` (its index and asset tag set) and keeps the check-out index in step with `custody`, the pump's
  // custody after the event.
  absl::Status Stage(const v1::CustodyEvent& event, const v1::Custody& custody, rocksdb::WriteBatch& batch) const;

  // Up to `limit` events of the pump with index > `after`, oldest first.
  absl::StatusOr<CustodyHistoryPage> History(absl::string_view asset_tag, std::uint64_t after, int limit) const;
  // The asset tags of every pump checked out now, in tag order.
  absl::StatusOr<std::vector<std::string>> CheckedOut() const;

 private:
  Database* database_;
};

}  // namespace pumptrack::storage

#endif  // PUMPTRACK_STORAGE_CUSTODY_STORE_H_
