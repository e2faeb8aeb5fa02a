#include "agents/buffer.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_format.h"
#include "common/status_macros.h"
#include "rocksdb/db.h"
#include "rocksdb/options.h"
#include "rocksdb/slice.h"
#include "rocksdb/table.h"
#include "rocksdb/write_batch.h"
#include "storage/rocksdb_status.h"

namespace pumptrack::agents {
namespace {

using pumptrack::storage::FromRocksDb;
using pumptrack::v1::Observation;

constexpr char kVersion = 0x01;
constexpr char kEntryTag = 'e';
constexpr char kSequenceTag = 's';

void AppendBigEndian(std::string& out, uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((value >> shift) & 0xff));
}

uint64_t ReadBigEndian(const char* data) {
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value = (value << 8) | static_cast<unsigned char>(data[i]);
  return value;
}

std::string EntryKey(uint64_t id) {
  std::string key{kVersion, kEntryTag};
  AppendBigEndian(key, id);
  return key;
}

std::string SequenceKey(const std::string& asset_tag) { return std::string{kVersion, kSequenceTag} + asset_tag; }

std::string SequenceValue(uint64_t sequence) {
  std::string value;
  AppendBigEndian(value, sequence);
  return value;
}

// The first key after every key starting with {version, tag}.
std::string PrefixEnd(char tag) { return std::string{kVersion, static_cast<char>(tag + 1)}; }

// Iterates from `lower` through the last key of the {version, tag} prefix (RocksDB's iterate_upper_bound).
class PrefixScan {
 public:
  PrefixScan(rocksdb::DB& db, const std::string& lower, char tag) : upper_(PrefixEnd(tag)), upper_slice_(upper_) {
    rocksdb::ReadOptions read;
    read.iterate_upper_bound = &upper_slice_;
    it_.reset(db.NewIterator(read));
    it_->Seek(lower);
  }
  PrefixScan(const PrefixScan&) = delete;
  PrefixScan& operator=(const PrefixScan&) = delete;

  rocksdb::Iterator* operator->() { return it_.get(); }

 private:
  const std::string upper_;
  const rocksdb::Slice upper_slice_;  // must outlive the iterator
  std::unique_ptr<rocksdb::Iterator> it_;
};

bool IsEntryKey(const rocksdb::Slice& key) { return key.size() == 10 && key[0] == kVersion && key[1] == kEntryTag; }

}  // namespace

absl::StatusOr<std::unique_ptr<Buffer>> Buffer::Open(const BufferOptions& options) {
  if (options.dir.empty()) return absl::InvalidArgumentError("the buffer needs a directory");
  if (options.max_entries < 1) {
    return absl::InvalidArgumentError(
        absl::StrFormat("buffer max entries must be at least 1, got %d", options.max_entries));
  }
  rocksdb::Options db_options;
  db_options.create_if_missing = true;
  // A small, queue-shaped database: modest memtables, few files, and compaction that clears deletion tombstones.
  db_options.write_buffer_size = 64 << 20;
  db_options.compression = rocksdb::kNoCompression;  // short-lived entries: not worth the CPU
  db_options.max_background_jobs = 1;
  db_options.keep_log_file_num = 2;
  db_options.max_manifest_file_size = 16 << 20;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status status = rocksdb::DB::Open(db_options, options.dir, &raw);
  if (!status.ok()) return FromRocksDb(status, absl::StrFormat("open buffer %s", options.dir));
  std::unique_ptr<Buffer> buffer(new Buffer(options, std::unique_ptr<rocksdb::DB>(raw)));
  RETURN_IF_ERROR(buffer->Load());
  return buffer;
}

Buffer::Buffer(const BufferOptions& options, std::unique_ptr<rocksdb::DB> db)
    : options_(options), db_(std::move(db)), sequencer_(options.sequence_base) {}

Buffer::~Buffer() {
  if (db_ != nullptr) db_->Close().PermitUncheckedError();  // nothing unsynced matters: removals may be redone
}

absl::Status Buffer::Load() {
  absl::MutexLock lock(&mu_);
  {
    PrefixScan it(*db_, std::string{kVersion, kSequenceTag}, kSequenceTag);
    for (; it->Valid(); it->Next()) {
      if (it->value().size() != 8) return absl::DataLossError("buffer: a device sequence is not 8 bytes");
      sequencer_.Restore(it->key().ToString().substr(2), ReadBigEndian(it->value().data()));
    }
    if (!it->status().ok()) return FromRocksDb(it->status(), "buffer: read sequences");
  }
  PrefixScan it(*db_, std::string{kVersion, kEntryTag}, kEntryTag);
  bool first = true;
  for (; it->Valid(); it->Next()) {
    if (!IsEntryKey(it->key())) return absl::DataLossError("buffer: an entry key is malformed");
    const uint64_t id = ReadBigEndian(it->key().data() + 2);
    if (first) low_water_ = id;
    first = false;
    next_id_ = id + 1;
    ++size_;
  }
  if (!it->status().ok()) return FromRocksDb(it->status(), "buffer: count entries");
  return absl::OkStatus();
}

absl::Status Buffer::Append(std::vector<Observation>& observations) {
  if (observations.empty()) return absl::OkStatus();
  absl::MutexLock lock(&mu_);
  sequencer_.Assign(observations);

  const int64_t incoming = static_cast<int64_t>(observations.size());
  // More than fit even in an empty buffer: the oldest of the new ones are dropped before they are written.
  const int64_t skip_new = std::max<int64_t>(0, incoming - options_.max_entries);
  const int64_t drop_old = std::min(size_, std::max<int64_t>(0, size_ + incoming - skip_new - options_.max_entries));

  rocksdb::WriteBatch batch;
  uint64_t new_low_water = low_water_;
  int64_t dropped_old = 0;
  if (drop_old > 0) {
    PrefixScan it(*db_, EntryKey(low_water_), kEntryTag);
    std::string last_dropped;
    for (; it->Valid() && dropped_old < drop_old; it->Next()) {
      last_dropped = it->key().ToString();
      ++dropped_old;
    }
    if (!it->status().ok()) return FromRocksDb(it->status(), "buffer: find the oldest entries");
    if (dropped_old > 0) {
      const uint64_t last_id = ReadBigEndian(last_dropped.data() + 2);
      rocksdb::Status status = batch.DeleteRange(EntryKey(low_water_), EntryKey(last_id + 1));
      if (!status.ok()) return FromRocksDb(status, "buffer: drop the oldest entries");
      new_low_water = last_id + 1;
    }
  }

  // The last sequence of each device in this append (observations are numbered in order, so the last one wins).
  absl::flat_hash_set<std::string> written_sequences;
  uint64_t id = next_id_;
  std::string value;
  // A failed Put (the batch grew past its limit) is handled as a failed write: nothing is stored.
  rocksdb::Status status;
  for (int64_t i = incoming - 1; i >= 0; --i) {
    const Observation& observation = observations[static_cast<size_t>(i)];
    if (written_sequences.insert(observation.identity().asset_tag()).second && status.ok()) {
      status = batch.Put(SequenceKey(observation.identity().asset_tag()), SequenceValue(observation.sequence()));
    }
  }
  for (int64_t i = skip_new; i < incoming && status.ok(); ++i) {
    value.clear();
    // Serialization only fails for missing required fields, which proto3 does not have; an observation whose strings
    // are not valid UTF-8 serializes but does not parse back, and ReadOldest drops it.
    observations[static_cast<size_t>(i)].SerializeToString(&value);
    status = batch.Put(EntryKey(id++), value);
  }

  if (status.ok()) {
    rocksdb::WriteOptions write;
    write.sync = true;
    status = db_->Write(write, &batch);
  }
  if (!status.ok()) {
    // Give the devices back the sequences they had before, as stored.
    for (const std::string& tag : written_sequences) {
      std::string stored;
      rocksdb::Status get = db_->Get(rocksdb::ReadOptions(), SequenceKey(tag), &stored);
      if (get.ok() && stored.size() == 8) {
        sequencer_.Restore(tag, ReadBigEndian(stored.data()));
      } else {
        sequencer_.Forget(tag);
      }
    }
    return FromRocksDb(status, "buffer: append");
  }
  next_id_ = id;
  low_water_ = new_low_water;
  size_ += (incoming - skip_new) - dropped_old;
  drops_.overflow += skip_new + dropped_old;
  return absl::OkStatus();
}

absl::StatusOr<std::vector<BufferedObservation>> Buffer::ReadOldest(size_t limit) {
  absl::MutexLock lock(&mu_);
  std::vector<BufferedObservation> entries;
  if (limit == 0 || size_ == 0) return entries;
  entries.reserve(std::min<size_t>(limit, static_cast<size_t>(size_)));
  PrefixScan it(*db_, EntryKey(low_water_), kEntryTag);
  rocksdb::WriteBatch unreadable;
  int64_t unreadable_count = 0;
  bool first = true;
  for (; it->Valid() && entries.size() < limit; it->Next()) {
    if (!IsEntryKey(it->key())) return absl::DataLossError("buffer: an entry key is malformed");
    const uint64_t id = ReadBigEndian(it->key().data() + 2);
    if (first) low_water_ = id;
    first = false;
    BufferedObservation entry;
    entry.id = id;
    if (!entry.observation.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
      rocksdb::Status status = unreadable.Delete(it->key());
      if (!status.ok()) return FromRocksDb(status, "buffer: drop an unencodable entry");
      ++unreadable_count;
      continue;
    }
    entries.push_back(std::move(entry));
  }
  if (!it->status().ok()) return FromRocksDb(it->status(), "buffer: read the oldest entries");
  if (unreadable_count > 0) {
    rocksdb::Status status = db_->Write(rocksdb::WriteOptions(), &unreadable);
    if (!status.ok()) return FromRocksDb(status, "buffer: drop unencodable entries");
    size_ -= unreadable_count;
    drops_.unencodable += unreadable_count;
  }
  return entries;
}

absl::Status Buffer::Remove(std::span<const uint64_t> ids) {
  if (ids.empty()) return absl::OkStatus();
  rocksdb::WriteBatch batch;
  for (uint64_t id : ids) {
    rocksdb::Status status = batch.Delete(EntryKey(id));
    if (!status.ok()) return FromRocksDb(status, "buffer: remove acknowledged entries");
  }
  // Under the lock, so that an Append from another thread (the HL7 listener) cannot drop the same entries for
  // overflow in between: entries below low_water_ are gone already and are not counted twice.
  absl::MutexLock lock(&mu_);
  const int64_t present = std::count_if(ids.begin(), ids.end(), [this](uint64_t id) {
    mu_.AssertHeld();
    return id >= low_water_;
  });
  rocksdb::Status status = db_->Write(rocksdb::WriteOptions(), &batch);
  if (!status.ok()) return FromRocksDb(status, "buffer: remove acknowledged entries");
  size_ -= present;
  return absl::OkStatus();
}

int64_t Buffer::size() const {
  absl::MutexLock lock(&mu_);
  return size_;
}

BufferDrops Buffer::drops() const {
  absl::MutexLock lock(&mu_);
  return drops_;
}

size_t Buffer::device_count() const {
  absl::MutexLock lock(&mu_);
  return sequencer_.device_count();
}

}  // namespace pumptrack::agents
