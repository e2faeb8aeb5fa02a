#include "storage/policy_store.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "storage/keys.h"
#include "storage/rocksdb_status.h"

namespace pumptrack::storage {

absl::StatusOr<std::optional<StoredPolicy>> PolicyStore::Load() const {
  ASSIGN_OR_RETURN(std::optional<std::string> text, database_->Get(ColumnFamily::kMeta, keys::kPolicyKey));
  if (!text.has_value()) return std::nullopt;
  StoredPolicy stored{.text = *std::move(text), .provenance = std::nullopt};
  ASSIGN_OR_RETURN(std::optional<std::string> provenance,
                   database_->Get(ColumnFamily::kMeta, keys::kPolicyProvenanceKey));
  if (provenance.has_value()) {
    v1::PolicyInfo info;
    if (!info.ParseFromString(*provenance)) {
      return absl::DataLossError("stored policy provenance does not parse");
    }
    stored.provenance = std::move(info);
  }
  return stored;
}

absl::Status PolicyStore::Stage(absl::string_view text, const v1::PolicyInfo& provenance,
                                rocksdb::WriteBatch& batch) const {
  v1::PolicyInfo kept;
  kept.set_applied_by(provenance.applied_by());
  *kept.mutable_applied_at() = provenance.applied_at();
  kept.set_source(provenance.source());
  rocksdb::ColumnFamilyHandle* meta = database_->Handle(ColumnFamily::kMeta);
  if (rocksdb::Status s = batch.Put(meta, ToSlice(keys::kPolicyKey), ToSlice(text)); !s.ok()) {
    return FromRocksDb(s, "stage policy");
  }
  if (rocksdb::Status s = batch.Put(meta, ToSlice(keys::kPolicyProvenanceKey), kept.SerializeAsString()); !s.ok()) {
    return FromRocksDb(s, "stage policy provenance");
  }
  return absl::OkStatus();
}

}  // namespace pumptrack::storage
