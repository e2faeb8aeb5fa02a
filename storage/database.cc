#include "storage/database.h"

#include <filesystem>
#include <system_error>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/status_macros.h"
#include "rocksdb/cache.h"
#include "rocksdb/compaction_filter.h"
#include "rocksdb/file_system.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/listener.h"
#include "rocksdb/merge_operator.h"
#include "rocksdb/table.h"
#include "storage/keys.h"
#include "storage/rocksdb_status.h"

namespace pumptrack::storage {

namespace {

// Appends each operand to the value: the utilization roll-up's group buckets grow by one fixed-size record per change
// without a read-modify-write on the writer.
class AppendMergeOperator : public rocksdb::AssociativeMergeOperator {
 public:
  bool Merge(const rocksdb::Slice& /*key*/, const rocksdb::Slice* existing_value, const rocksdb::Slice& value,
             std::string* new_value, rocksdb::Logger* /*logger*/) const override {
    new_value->clear();
    new_value->reserve((existing_value != nullptr ? existing_value->size() : 0) + value.size());
    if (existing_value != nullptr) new_value->assign(existing_value->data(), existing_value->size());
    new_value->append(value.data(), value.size());
    return true;
  }
  const char* Name() const override { return "pumptrack.Append"; }
};

}  // namespace

// Drops history entries older than the retention period. Runs on RocksDB's compaction threads; stateless apart from
// the immutable configuration, so it is safe to share.
class Database::HistoryRetentionFilter : public rocksdb::CompactionFilter {
 public:
  HistoryRetentionFilter(absl::Duration retention, std::function<absl::Time()> clock)
      : retention_(retention), clock_(std::move(clock)) {}

  bool Filter(int /*level*/, const rocksdb::Slice& key, const rocksdb::Slice& /*value*/, std::string* /*new_value*/,
              bool* /*value_changed*/) const override {
    absl::StatusOr<keys::HistoryKeyParts> parts = keys::ParseHistoryKey(ToView(key));
    // Keep what we cannot parse: retention must never destroy evidence by accident.
    if (!parts.ok()) return false;
    return parts->observed_at < clock_() - retention_;
  }

  const char* Name() const override { return "pumptrack.HistoryRetentionFilter"; }

 private:
  const absl::Duration retention_;
  const std::function<absl::Time()> clock_;
};

// Forwards RocksDB's background errors (which leave the database read-only) to the handler set on the Database.
class Database::ErrorListener : public rocksdb::EventListener {
 public:
  const char* Name() const override { return "pumptrack.ErrorListener"; }

  void OnBackgroundError(rocksdb::BackgroundErrorReason /*reason*/, rocksdb::Status* error) override {
    absl::MutexLock lock(&mu_);
    if (handler_ && error != nullptr && !error->ok()) handler_(FromRocksDb(*error, "background error"));
  }

  void Set(BackgroundErrorHandler handler) {
    absl::MutexLock lock(&mu_);
    handler_ = std::move(handler);
  }

 private:
  absl::Mutex mu_;
  BackgroundErrorHandler handler_ ABSL_GUARDED_BY(mu_);
};

absl::StatusOr<std::unique_ptr<Database>> Database::Open(const DatabaseOptions& options) {
  std::error_code mkdir_error;
  std::filesystem::create_directories(options.path, mkdir_error);
  if (mkdir_error) {
    return absl::UnavailableError(
        absl::StrCat("cannot create data directory ", options.path, ": ", mkdir_error.message()));
  }
  auto database = std::unique_ptr<Database>(new Database());
  database->path_ = options.path;
  database->history_filter_ = std::make_unique<HistoryRetentionFilter>(
      options.history_retention, options.clock ? options.clock : [] { return absl::Now(); });

  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.max_background_jobs = 2;
  db_options.bytes_per_sync = 1 << 20;
  db_options.keep_log_file_num = 5;
  // A restart after a crash replays the WAL before serving: bounding it bounds restart time whatever the fleet size
  // (0.3-0.5 s per 16 MB on the 2-core machine, docs/PERFORMANCE.md). Past this size RocksDB flushes the column
  // families holding the oldest log.
  db_options.max_total_wal_size = 16 << 20;
  // Recovered memtables stay in memory (their WAL is kept) instead of being flushed before the database opens.
  db_options.avoid_flush_during_recovery = true;
  if (options.env != nullptr) db_options.env = options.env;
  db_options.info_log = options.info_log_sink
                            ? NewForwardingInfoLog(options.info_log_sink)
                            : NewForwardingInfoLog(StderrInfoLogSink(), rocksdb::InfoLogLevel::WARN_LEVEL);
  database->error_listener_ = std::make_shared<ErrorListener>();
  db_options.listeners.push_back(database->error_listener_);

  std::shared_ptr<rocksdb::Cache> cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  rocksdb::BlockBasedTableOptions table_options;
  table_options.block_cache = cache;
  table_options.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  table_options.cache_index_and_filter_blocks = true;
  table_options.pin_l0_filter_and_index_blocks_in_cache = true;

  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (absl::string_view name : kColumnFamilyNames) {
    rocksdb::ColumnFamilyOptions cf_options;
    cf_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table_options));
    cf_options.compression = rocksdb::kLZ4Compression;
    // ZSTD where data settles, for space; except the devices' current state, which the writer reads for every report
    // that misses the block cache and start-up reads whole, where ZSTD's decompression was a quarter of the fleet
    // index's load at 1M devices (docs/PERFORMANCE.md). It is bounded by the fleet's size, so the space matters least.
    cf_options.bottommost_compression =
        name == ColumnFamilyName(ColumnFamily::kDevices) ? rocksdb::kLZ4Compression : rocksdb::kZSTD;
    cf_options.level_compaction_dynamic_level_bytes = true;
    if (name == ColumnFamilyName(ColumnFamily::kHistory)) {
      cf_options.compaction_filter = database->history_filter_.get();
    }
    if (name == ColumnFamilyName(ColumnFamily::kUtilization)) {
      // The utilization roll-up's group buckets are lists that each change appends to (storage/utilization_store.h).
      cf_options.merge_operator = std::make_shared<AppendMergeOperator>();
    }
    descriptors.emplace_back(std::string(name), cf_options);
  }

  // A data directory holding families this version does not know was written by a newer pumptrack.
  std::vector<std::string> existing;
  if (rocksdb::DB::ListColumnFamilies(db_options, options.path, &existing).ok()) {
    for (const std::string& name : existing) {
      bool known = false;
      for (absl::string_view ours : kColumnFamilyNames) known = known || name == ours;
      if (!known) {
        return absl::FailedPreconditionError(absl::StrCat("data directory ", options.path, " has column family '", name,
                                                          "' unknown to this pumptrack version"));
      }
    }
  }

  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status status = rocksdb::DB::Open(db_options, options.path, descriptors, &handles, &raw);
  if (!status.ok()) return FromRocksDb(status, absl::StrCat("open ", options.path));
  database->db_.reset(raw);
  for (std::size_t i = 0; i < handles.size(); ++i) database->handles_[i] = handles[i];

  RETURN_IF_ERROR(database->CheckOrWriteFormatVersion());
  return database;
}

Database::~Database() {
  if (!db_) return;
  for (rocksdb::ColumnFamilyHandle* handle : handles_) {
    if (handle != nullptr) db_->DestroyColumnFamilyHandle(handle).PermitUncheckedError();
  }
  db_->Close().PermitUncheckedError();
}

absl::Status Database::CheckOrWriteFormatVersion() {
  ASSIGN_OR_RETURN(std::optional<std::string> stored, Get(ColumnFamily::kMeta, keys::kFormatVersionKey));
  if (stored.has_value()) {
    absl::string_view bytes = *stored;
    std::optional<std::uint32_t> version = keys::ConsumeBigEndian32(bytes);
    if (!version || !bytes.empty()) {
      return absl::DataLossError(absl::StrCat("data directory ", path_, " has a malformed format version"));
    }
    if (*version != kFormatVersion) {
      return absl::FailedPreconditionError(absl::StrCat("data directory ", path_, " has format version ", *version,
                                                        "; this pumptrack reads version ", kFormatVersion));
    }
    return absl::OkStatus();
  }
  std::string value;
  keys::AppendBigEndian32(value, kFormatVersion);
  rocksdb::WriteBatch batch;
  rocksdb::Status put = batch.Put(Handle(ColumnFamily::kMeta), ToSlice(keys::kFormatVersionKey), value);
  if (!put.ok()) return FromRocksDb(put, "stage format version");
  return Write(batch, /*sync=*/true);
}

absl::Status Database::Write(rocksdb::WriteBatch& batch, bool sync) {
  {
    absl::ReaderMutexLock lock(&gate_mu_);
    if (write_gate_) {
      RETURN_IF_ERROR(write_gate_());
    }
  }
  rocksdb::WriteOptions options;
  options.sync = sync;
  return FromRocksDb(db_->Write(options, &batch), "write batch");
}

absl::StatusOr<std::optional<std::string>> Database::Get(ColumnFamily cf, absl::string_view key) const {
  std::string value;
  rocksdb::Status status = db_->Get(rocksdb::ReadOptions(), Handle(cf), ToSlice(key), &value);
  if (status.IsNotFound()) return std::nullopt;
  if (!status.ok()) return FromRocksDb(status, absl::StrCat("get from ", ColumnFamilyName(cf)));
  return value;
}

absl::Status Database::MultiGet(
    ColumnFamily cf, const std::vector<std::string>& keys,
    absl::FunctionRef<absl::Status(std::size_t, std::optional<absl::string_view>)> each) const {
  std::vector<rocksdb::Slice> slices;
  slices.reserve(keys.size());
  for (const std::string& key : keys) slices.emplace_back(key);
  std::vector<rocksdb::PinnableSlice> values(keys.size());
  std::vector<rocksdb::Status> statuses(keys.size());
  db_->MultiGet(rocksdb::ReadOptions(), Handle(cf), slices.size(), slices.data(), values.data(), statuses.data(),
                /*sorted_input=*/false);
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (statuses[i].IsNotFound()) {
      RETURN_IF_ERROR(each(i, std::nullopt));
      continue;
    }
    if (!statuses[i].ok()) return FromRocksDb(statuses[i], absl::StrCat("multi-get from ", ColumnFamilyName(cf)));
    RETURN_IF_ERROR(each(i, absl::string_view(values[i].data(), values[i].size())));
  }
  return absl::OkStatus();
}

std::unique_ptr<rocksdb::Iterator> Database::NewIterator(ColumnFamily cf, const rocksdb::ReadOptions& options) const {
  return std::unique_ptr<rocksdb::Iterator>(db_->NewIterator(options, Handle(cf)));
}

void Database::SetWriteGate(WriteGate gate) {
  absl::MutexLock lock(&gate_mu_);
  write_gate_ = std::move(gate);
}

void Database::SetBackgroundErrorHandler(BackgroundErrorHandler handler) { error_listener_->Set(std::move(handler)); }

absl::Status Database::Resume() { return FromRocksDb(db_->Resume(), "resume writes"); }

absl::Status Database::ProbeWritable() const {
  rocksdb::FileSystem* fs = db_->GetFileSystem();
  const std::string probe = path_ + "/HEALTH-PROBE";
  const rocksdb::IOOptions io;
  std::unique_ptr<rocksdb::FSWritableFile> file;
  rocksdb::IOStatus status = fs->NewWritableFile(probe, rocksdb::FileOptions(), &file, nullptr);
  // A page of data, so a full volume cannot take it into space it already has.
  if (status.ok()) status = file->Append(std::string(4096, '\0'), io, nullptr);
  if (status.ok()) status = file->Sync(io, nullptr);
  if (file) {
    rocksdb::IOStatus closed = file->Close(io, nullptr);
    if (status.ok()) status = closed;
  }
  fs->DeleteFile(probe, io, nullptr).PermitUncheckedError();  // absent when it could not be created
  return FromRocksDb(status, "probe data volume");
}

absl::StatusOr<std::uint64_t> Database::FreeBytes() const {
  std::uint64_t free = 0;
  rocksdb::IOStatus status = db_->GetFileSystem()->GetFreeSpace(path_, rocksdb::IOOptions(), &free, nullptr);
  if (!status.ok()) return absl::UnavailableError(absl::StrCat("free space of ", path_, ": ", status.ToString()));
  return free;
}

std::optional<std::uint64_t> Database::IntProperty(ColumnFamily cf, absl::string_view property) const {
  std::uint64_t value = 0;
  if (!db_->GetIntProperty(Handle(cf), rocksdb::Slice(property.data(), property.size()), &value)) return std::nullopt;
  return value;
}

}  // namespace pumptrack::storage
