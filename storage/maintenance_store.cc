#include "storage/maintenance_store.h"

#include <memory>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "storage/keys.h"
#include "storage/rocksdb_status.h"

namespace pumptrack::storage {

absl::Status MaintenanceStore::Stage(const v1::MaintenanceRecord& record, rocksdb::WriteBatch& batch) const {
  if (record.asset_tag().empty() || record.index() == 0) {
    return absl::InternalError("maintenance record without asset tag or index");
  }
  return FromRocksDb(
      batch.Put(database_->Handle(ColumnFamily::kMaintenance),
                keys::MaintenanceRecordKey(record.asset_tag(), record.index()), record.SerializeAsString()),
      "stage maintenance record");
}

absl::StatusOr<MaintenanceHistoryPage> MaintenanceStore::History(absl::string_view asset_tag, std::uint64_t after,
                                                                 int limit) const {
  const std::string upper_bound = keys::PrefixSuccessor(keys::HistoryPrefix(asset_tag));
  rocksdb::Slice upper_bound_slice(upper_bound);
  rocksdb::ReadOptions options;
  options.iterate_upper_bound = &upper_bound_slice;
  std::unique_ptr<rocksdb::Iterator> it = database_->NewIterator(ColumnFamily::kMaintenance, options);
  MaintenanceHistoryPage page;
  for (it->Seek(keys::MaintenanceRecordKey(asset_tag, after + 1)); it->Valid(); it->Next()) {
    if (static_cast<int>(page.records.size()) >= limit) {
      page.next_after = page.records.back().index();
      break;
    }
    ASSIGN_OR_RETURN(std::uint64_t index, keys::ParseMaintenanceRecordKey(ToView(it->key())));
    v1::MaintenanceRecord record;
    if (!record.ParseFromArray(it->value().data(), static_cast<int>(it->value().size())) || record.index() != index) {
      return absl::DataLossError(absl::StrCat("maintenance record ", index, " of ", asset_tag, " does not parse"));
    }
    page.records.push_back(std::move(record));
  }
  RETURN_IF_ERROR(FromRocksDb(it->status(), "read maintenance history"));
  return page;
}

}  // namespace pumptrack::storage
