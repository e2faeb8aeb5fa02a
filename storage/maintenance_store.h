#ifndef PUMPTRACK_STORAGE_MAINTENANCE_STORE_H_
#define PUMPTRACK_STORAGE_MAINTENANCE_STORE_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "pumptrack/v1/maintenance.pb.h"
#include "rocksdb/write_batch.h"
#include "storage/database.h"

namespace pumptrack::storage {

struct MaintenanceHistoryPage {
  std::vector<v1::MaintenanceRecord> records;
  // Resume after this record index; 0 when the history is complete.
  std::uint64_t next_after = 0;
};

// Every pump's maintenance records (column family "maintenance"). The pump's summary (last PM, override, record
// count) lives in its Device record, written with DeviceStore::StageServiceFields in the same batch. Reads may come
// from any thread; writes from the service's one writer thread.
class MaintenanceStore {
 public:
  explicit MaintenanceStore(Database* database) : database_(database) {}

  // Stages `record` (its asset tag and index set; INTERNAL otherwise).
  absl::Status Stage(const v1::MaintenanceRecord& record, rocksdb::WriteBatch& batch) const;

  // Up to `limit` records of the pump with index > `after`, oldest first. DATA_LOSS for a record that does not parse.
  absl::StatusOr<MaintenanceHistoryPage> History(absl::string_view asset_tag, std::uint64_t after, int limit) const;

 private:
  Database* database_;
};

}  // namespace pumptrack::storage

#endif  // PUMPTRACK_STORAGE_MAINTENANCE_STORE_H_
