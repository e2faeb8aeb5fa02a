#ifndef PUMPTRACK_STORAGE_AUDIT_LOG_H_
#define PUMPTRACK_STORAGE_AUDIT_LOG_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "pumptrack/v1/audit.pb.h"
#include "rocksdb/write_batch.h"
#include "storage/database.h"

namespace pumptrack::storage {

// Who made a change.
struct Actor {
  v1::ActorKind kind = v1::ACTOR_KIND_UNSPECIFIED;
  std::string name;
};

// What an audit entry says about a change; the log fills in index, time and hashes.
struct AuditRecord {
  Actor actor;
  std::string action;
  std::string target;
  std::string before;
  std::string after;
};

struct AuditPage {
  std::vector<v1::AuditEntry> entries;
  // Resume after this index; 0 when the listing is complete.
  std::uint64_t next_after_index = 0;
};

// The append-only, hash-chained audit log. Each entry is written in the same RocksDB write batch as the change it
// records, so a change is never stored without its entry and vice versa. Thread-safe: appends are serialised, so
// chain order is commit order.
class AuditLog {
 public:
  // Reads the chain's head. DATA_LOSS if the last entry does not parse.
  static absl::StatusOr<std::unique_ptr<AuditLog>> Open(Database* database);

  // Adds the entry for `record` to `batch` and writes the batch durably (synced). On error nothing is written and
  // the chain is unchanged. Returns the entry as stored.
  absl::StatusOr<v1::AuditEntry> Commit(rocksdb::WriteBatch& batch, const AuditRecord& record, absl::Time now);

  // Entries with start <= time < end (and the given actor, if non-empty) and index > after_index, oldest first.
  absl::StatusOr<AuditPage> List(absl::Time start, absl::Time end, absl::string_view actor, std::uint64_t after_index,
                                 int limit) const;

  // Walks the whole chain: contiguous indexes from 1, each previous_hash equal to the prior entry's hash, each hash
  // recomputed. Reports the first failing index.
  absl::StatusOr<v1::VerifyAuditResponse> Verify() const;

  // Number of entries.
  std::uint64_t size() const;

  // SHA-256(previous_hash || entry serialized with `hash` cleared). Exposed for tests and external verifiers.
  static std::string ComputeHash(const v1::AuditEntry& entry);

 private:
  explicit AuditLog(Database* database) : database_(database) {}

  Database* const database_;
  mutable absl::Mutex mu_;
  std::uint64_t last_index_ ABSL_GUARDED_BY(mu_) = 0;
  std::string last_hash_ ABSL_GUARDED_BY(mu_);
  absl::Time last_time_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

// SHA-256 of `data`, 32 raw bytes.
std::string Sha256(absl::string_view data);

}  // namespace pumptrack::storage

#endif  // PUMPTRACK_STORAGE_AUDIT_LOG_H_
