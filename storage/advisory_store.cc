#include "storage/advisory_store.h"

#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "storage/keys.h"
#include "storage/rocksdb_status.h"

namespace pumptrack::storage {
namespace {

absl::StatusOr<v1::Advisory> ParseStored(absl::string_view key, const rocksdb::Slice& value) {
  v1::Advisory advisory;
  if (!advisory.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
    return absl::DataLossError(absl::StrCat("stored advisory ", key, " does not parse"));
  }
  return advisory;
}

}  // namespace

absl::StatusOr<std::optional<v1::Advisory>> AdvisoryStore::Get(absl::string_view tracking_id) const {
  ASSIGN_OR_RETURN(std::optional<std::string> value,
                   database_->Get(ColumnFamily::kAdvisories, keys::AdvisoryKey(tracking_id)));
  if (!value.has_value()) return std::nullopt;
  ASSIGN_OR_RETURN(v1::Advisory advisory, ParseStored(tracking_id, rocksdb::Slice(*value)));
  return advisory;
}

absl::StatusOr<AdvisoryPage> AdvisoryStore::List(absl::string_view after, int limit) const {
  AdvisoryPage page;
  std::unique_ptr<rocksdb::Iterator> it = database_->NewIterator(ColumnFamily::kAdvisories, rocksdb::ReadOptions());
  if (after.empty()) {
    it->SeekToFirst();
  } else {
    const std::string start = keys::AdvisoryKey(after);
    it->Seek(ToSlice(start));
    if (it->Valid() && ToView(it->key()) == start) it->Next();
  }
  for (; it->Valid(); it->Next()) {
    ASSIGN_OR_RETURN(std::string tracking_id, keys::ParseAdvisoryKey(ToView(it->key())));
    if (limit > 0 && static_cast<int>(page.advisories.size()) == limit) {
      page.next_after = page.advisories.back().tracking_id();
      break;
    }
    ASSIGN_OR_RETURN(v1::Advisory advisory, ParseStored(tracking_id, it->value()));
    page.advisories.push_back(std::move(advisory));
  }
  if (!it->status().ok()) return FromRocksDb(it->status(), "list advisories");
  return page;
}

absl::StatusOr<std::vector<v1::Advisory>> AdvisoryStore::LoadAll() const {
  ASSIGN_OR_RETURN(AdvisoryPage page, List("", 0));
  return std::move(page.advisories);
}

absl::Status AdvisoryStore::Stage(const v1::Advisory& advisory, rocksdb::WriteBatch& batch) const {
  if (advisory.tracking_id().empty()) return absl::InvalidArgumentError("advisory tracking_id: must not be empty");
  rocksdb::Status s = batch.Put(database_->Handle(ColumnFamily::kAdvisories),
                                ToSlice(keys::AdvisoryKey(advisory.tracking_id())), advisory.SerializeAsString());
  if (!s.ok()) return FromRocksDb(s, "stage advisory");
  return absl::OkStatus();
}

absl::Status AdvisoryStore::StageReevaluation(std::uint64_t sequence, const v1::AdvisoryReevaluation& reevaluation,
                                              rocksdb::WriteBatch& batch) const {
  return FromRocksDb(batch.Put(database_->Handle(ColumnFamily::kMeta), ToSlice(keys::AdvisoryReevaluationKey(sequence)),
                               reevaluation.SerializeAsString()),
                     "stage advisory re-evaluation");
}

absl::Status AdvisoryStore::DeleteReevaluation(std::uint64_t sequence) const {
  rocksdb::WriteBatch batch;
  RETURN_IF_ERROR(FromRocksDb(
      batch.Delete(database_->Handle(ColumnFamily::kMeta), ToSlice(keys::AdvisoryReevaluationKey(sequence))),
      "stage advisory re-evaluation removal"));
  return database_->Write(batch, /*sync=*/true);
}

absl::StatusOr<std::vector<std::pair<std::uint64_t, v1::AdvisoryReevaluation>>> AdvisoryStore::LoadReevaluations()
    const {
  std::vector<std::pair<std::uint64_t, v1::AdvisoryReevaluation>> out;
  std::unique_ptr<rocksdb::Iterator> it = database_->NewIterator(ColumnFamily::kMeta, rocksdb::ReadOptions());
  for (it->Seek(ToSlice(keys::kAdvisoryReevaluationPrefix));
       it->Valid() && absl::StartsWith(ToView(it->key()), keys::kAdvisoryReevaluationPrefix); it->Next()) {
    ASSIGN_OR_RETURN(std::uint64_t sequence, keys::ParseAdvisoryReevaluationKey(ToView(it->key())));
    v1::AdvisoryReevaluation reevaluation;
    if (!reevaluation.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
      return absl::DataLossError(absl::StrCat("stored advisory re-evaluation ", sequence, " does not parse"));
    }
    out.emplace_back(sequence, std::move(reevaluation));
  }
  if (!it->status().ok()) return FromRocksDb(it->status(), "list advisory re-evaluations");
  return out;
}

}  // namespace pumptrack::storage
