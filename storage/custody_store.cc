#include "storage/custody_store.h"

#include <memory>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "storage/keys.h"
#include "storage/rocksdb_status.h"

namespace pumptrack::storage {

absl::Status CustodyStore::Stage(const v1::CustodyEvent& event, const v1::Custody& custody,
                                 rocksdb::WriteBatch& batch) const {
  if (event.asset_tag().empty() || event.index() == 0) {
    return absl::InternalError("custody event without asset tag or index");
  }
  rocksdb::Status s = batch.Put(database_->Handle(ColumnFamily::kCustodyHistory),
                                keys::CustodyEventKey(event.asset_tag(), event.index()), event.SerializeAsString());
  if (s.ok()) {
    const std::string key = keys::DeviceKey(event.asset_tag());
    s = custody.state() == v1::CUSTODY_STATE_IN_TRANSIT
            ? batch.Put(database_->Handle(ColumnFamily::kCheckouts), key, rocksdb::Slice())
            : batch.Delete(database_->Handle(ColumnFamily::kCheckouts), key);
  }
  return FromRocksDb(s, "stage custody event");
}

absl::StatusOr<CustodyHistoryPage> CustodyStore::History(absl::string_view asset_tag, std::uint64_t after,
                                                         int limit) const {
  const std::string upper_bound = keys::PrefixSuccessor(keys::HistoryPrefix(asset_tag));
  rocksdb::Slice upper_bound_slice(upper_bound);
  rocksdb::ReadOptions options;
  options.iterate_upper_bound = &upper_bound_slice;
  std::unique_ptr<rocksdb::Iterator> it = database_->NewIterator(ColumnFamily::kCustodyHistory, options);
  CustodyHistoryPage page;
  for (it->Seek(keys::CustodyEventKey(asset_tag, after + 1)); it->Valid(); it->Next()) {
    if (static_cast<int>(page.events.size()) >= limit) {
      page.next_after = page.events.back().index();
      break;
    }
    ASSIGN_OR_RETURN(std::uint64_t index, keys::ParseCustodyEventKey(ToView(it->key())));
    v1::CustodyEvent event;
    if (!event.ParseFromArray(it->value().data(), static_cast<int>(it->value().size())) || event.index() != index) {
      return absl::DataLossError(absl::StrCat("custody event ", index, " of ", asset_tag, " does not parse"));
    }
    page.events.push_back(std::move(event));
  }
  RETURN_IF_ERROR(FromRocksDb(it->status(), "read custody history"));
  return page;
}

absl::StatusOr<std::vector<std::string>> CustodyStore::CheckedOut() const {
  std::unique_ptr<rocksdb::Iterator> it = database_->NewIterator(ColumnFamily::kCheckouts, rocksdb::ReadOptions());
  std::vector<std::string> tags;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    ASSIGN_OR_RETURN(std::string tag, keys::ParseDeviceKey(ToView(it->key())));
    tags.push_back(std::move(tag));
  }
  RETURN_IF_ERROR(FromRocksDb(it->status(), "list check-outs"));
  return tags;
}

}  // namespace pumptrack::storage
