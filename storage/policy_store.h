#ifndef PUMPTRACK_STORAGE_POLICY_STORE_H_
#define PUMPTRACK_STORAGE_POLICY_STORE_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "pumptrack/v1/policy.pb.h"
#include "rocksdb/write_batch.h"
#include "storage/database.h"

namespace pumptrack::storage {

// The policy last applied through PolicyService.SetPolicy or a SIGHUP reload, as stored.
struct StoredPolicy {
  // The policy in protobuf text format.
  std::string text;
  // Who applied it, when and how (applied_by, applied_at, source; nothing else is set). Absent for a policy stored
  // before provenance was kept.
  std::optional<v1::PolicyInfo> provenance;
};

// The stored policy and its provenance, in the meta column family (keys::kPolicyKey, keys::kPolicyProvenanceKey).
// Both are written in the caller's batch, with the audit entry of the change, so they are durable together and a
// backup or restore carries them together. Thread-safe.
class PolicyStore {
 public:
  // `database` must outlive the store.
  explicit PolicyStore(Database* database) : database_(database) {}

  // The stored policy, or nullopt when none was ever stored.
  absl::StatusOr<std::optional<StoredPolicy>> Load() const;
  // Stages `text` and its provenance (applied_by, applied_at and source of `provenance`; other fields are dropped).
  absl::Status Stage(absl::string_view text, const v1::PolicyInfo& provenance, rocksdb::WriteBatch& batch) const;

 private:
  Database* const database_;
};

}  // namespace pumptrack::storage

#endif  // PUMPTRACK_STORAGE_POLICY_STORE_H_
