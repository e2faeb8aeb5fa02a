#include "storage/audit_log.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "google/protobuf/util/time_util.h"
#include "openssl/evp.h"
#include "storage/keys.h"
#include "storage/proto_time.h"
#include "storage/rocksdb_status.h"

namespace pumptrack::storage {
namespace {

using google::protobuf::util::TimeUtil;

constexpr std::size_t kHashBytes = 32;

absl::StatusOr<v1::AuditEntry> ParseEntry(const rocksdb::Slice& value, std::uint64_t index) {
  v1::AuditEntry entry;
  if (!entry.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
    return absl::DataLossError(absl::StrCat("audit entry ", index, " does not parse"));
  }
  return entry;
}

v1::VerifyAuditResponse Failure(std::uint64_t checked, std::uint64_t index, std::string reason) {
  v1::VerifyAuditResponse response;
  response.set_ok(false);
  response.set_entries(checked);
  response.set_first_bad_index(index);
  response.set_reason(std::move(reason));
  return response;
}

}  // namespace

std::string Sha256(absl::string_view data) {
  std::string digest(kHashBytes, '\0');
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), reinterpret_cast<unsigned char*>(digest.data()), &length, EVP_sha256(), nullptr);
  return digest;
}

std::string AuditLog::ComputeHash(const v1::AuditEntry& entry) {
  v1::AuditEntry unhashed = entry;
  unhashed.clear_hash();
  return Sha256(absl::StrCat(entry.previous_hash(), unhashed.SerializeAsString()));
}

absl::StatusOr<std::unique_ptr<AuditLog>> AuditLog::Open(Database* database) {
  auto log = std::unique_ptr<AuditLog>(new AuditLog(database));
  std::unique_ptr<rocksdb::Iterator> it = database->NewIterator(ColumnFamily::kAudit, rocksdb::ReadOptions());
  it->SeekToLast();
  if (it->Valid()) {
    ASSIGN_OR_RETURN(std::uint64_t index, keys::ParseAuditKey(ToView(it->key())));
    ASSIGN_OR_RETURN(v1::AuditEntry last, ParseEntry(it->value(), index));
    absl::MutexLock lock(&log->mu_);
    log->last_index_ = index;
    log->last_hash_ = last.hash();
    log->last_time_ = ToAbslTime(last.time());
  } else {
    absl::MutexLock lock(&log->mu_);
    log->last_hash_ = std::string(kHashBytes, '\0');
  }
  RETURN_IF_ERROR(FromRocksDb(it->status(), "read audit head"));
  return log;
}

absl::StatusOr<v1::AuditEntry> AuditLog::Commit(rocksdb::WriteBatch& batch, const AuditRecord& record, absl::Time now) {
  absl::MutexLock lock(&mu_);
  v1::AuditEntry entry;
  entry.set_index(last_index_ + 1);
  // Times never go backwards along the chain, so a time range is a contiguous run of indexes.
  const absl::Time time = std::max(now, last_time_);
  *entry.mutable_time() = TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(time));
  entry.set_actor_kind(record.actor.kind);
  entry.set_actor(record.actor.name);
  entry.set_action(record.action);
  entry.set_target(record.target);
  entry.set_before(record.before);
  entry.set_after(record.after);
  entry.set_previous_hash(last_hash_);
  entry.set_hash(ComputeHash(entry));

  rocksdb::Status staged =
      batch.Put(database_->Handle(ColumnFamily::kAudit), keys::AuditKey(entry.index()), entry.SerializeAsString());
  if (!staged.ok()) return FromRocksDb(staged, "stage audit entry");
  RETURN_IF_ERROR(database_->Write(batch, /*sync=*/true));
  last_index_ = entry.index();
  last_hash_ = entry.hash();
  last_time_ = time;
  return entry;
}

absl::StatusOr<AuditPage> AuditLog::List(absl::Time start, absl::Time end, absl::string_view actor,
                                         std::uint64_t after_index, int limit) const {
  AuditPage page;
  std::unique_ptr<rocksdb::Iterator> it = database_->NewIterator(ColumnFamily::kAudit, rocksdb::ReadOptions());
  std::uint64_t last_index = 0;
  for (it->Seek(keys::AuditKey(after_index + 1)); it->Valid(); it->Next()) {
    ASSIGN_OR_RETURN(std::uint64_t index, keys::ParseAuditKey(ToView(it->key())));
    ASSIGN_OR_RETURN(v1::AuditEntry entry, ParseEntry(it->value(), index));
    const absl::Time time = ToAbslTime(entry.time());
    if (time >= end) break;  // times are monotonic along the chain
    if (time < start || (!actor.empty() && entry.actor() != actor)) continue;
    if (static_cast<int>(page.entries.size()) >= limit) {
      page.next_after_index = last_index;
      break;
    }
    page.entries.push_back(std::move(entry));
    last_index = index;
  }
  RETURN_IF_ERROR(FromRocksDb(it->status(), "list audit"));
  return page;
}

absl::StatusOr<v1::VerifyAuditResponse> AuditLog::Verify() const {
  std::unique_ptr<rocksdb::Iterator> it = database_->NewIterator(ColumnFamily::kAudit, rocksdb::ReadOptions());
  std::string previous_hash(kHashBytes, '\0');
  std::uint64_t expected = 1;
  for (it->SeekToFirst(); it->Valid(); it->Next(), ++expected) {
    const std::uint64_t checked = expected - 1;
    absl::StatusOr<std::uint64_t> index = keys::ParseAuditKey(ToView(it->key()));
    if (!index.ok()) return Failure(checked, expected, "an entry's key is malformed");
    if (*index != expected) {
      return Failure(checked, expected, absl::StrCat("entry ", expected, " is missing (next is ", *index, ")"));
    }
    v1::AuditEntry entry;
    if (!entry.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
      return Failure(checked, expected, "the entry does not parse");
    }
    if (entry.index() != expected) return Failure(checked, expected, "the entry's index differs from its key");
    if (entry.previous_hash() != previous_hash) {
      return Failure(checked, expected, "previous_hash does not match the prior entry's hash");
    }
    if (ComputeHash(entry) != entry.hash()) return Failure(checked, expected, "the entry's hash does not verify");
    previous_hash = entry.hash();
  }
  RETURN_IF_ERROR(FromRocksDb(it->status(), "verify audit"));
  v1::VerifyAuditResponse response;
  response.set_ok(true);
  response.set_entries(expected - 1);
  {
    absl::MutexLock lock(&mu_);
    if (expected - 1 < last_index_) {
      return Failure(expected - 1, expected, absl::StrCat("the chain ends early; ", last_index_, " entries written"));
    }
  }
  return response;
}

std::uint64_t AuditLog::size() const {
  absl::MutexLock lock(&mu_);
  return last_index_;
}

}  // namespace pumptrack::storage
