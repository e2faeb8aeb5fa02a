#ifndef PUMPTRACK_STORAGE_DATABASE_H_
#define PUMPTRACK_STORAGE_DATABASE_H_

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"
#include "storage/column_families.h"
#include "storage/info_log.h"

namespace pumptrack::storage {

// The data directory's format version. Bumped on any incompatible change to keys or values; a data directory with
// another version is refused at open.
inline constexpr std::uint32_t kFormatVersion = 1;

inline rocksdb::Slice ToSlice(absl::string_view bytes) { return rocksdb::Slice(bytes.data(), bytes.size()); }
inline absl::string_view ToView(const rocksdb::Slice& bytes) { return absl::string_view(bytes.data(), bytes.size()); }

struct DatabaseOptions {
  // Directory holding the RocksDB files. Created if missing.
  std::string path;
  // Shared block cache for all column families.
  std::size_t block_cache_bytes = 64 << 20;
  // History entries observed longer ago than this are dropped during compaction.
  absl::Duration history_retention = absl::Hours(24 * 400);
  // Clock for retention decisions; absl::Now when unset.
  std::function<absl::Time()> clock;
  // The RocksDB environment (file system, threads); the default one when null. Tests hand in one that fails writes
  // on demand. Must outlive the Database.
  rocksdb::Env* env = nullptr;
  // Where RocksDB's informational log goes (the service hands in its own log). Never a LOG file in the data
  // directory: on a full volume RocksDB's attempt to log the write error there can abort the process. Null: WARN
  // and above to stderr.
  InfoLogSink info_log_sink;
};

// Decides, before each write, whether the data volume may take it: OK lets the write go on; any other status is what
// Write returns, without writing. Called on the writing thread for every Write: must be quick, must not block for
// long and must not call back into the Database.
using WriteGate = std::function<absl::Status()>;

// Called on a RocksDB background thread, or the writing thread, whenever RocksDB stops accepting writes because of an
// error (a failed WAL write or sync, flush or compaction: full or failing volume). Must be quick, must not block and
// must not call back into the Database.
using BackgroundErrorHandler = std::function<void(const absl::Status& error)>;

// Owns the RocksDB instance of one data directory and its column families. Thread-safe: RocksDB reads and writes may
// be issued from any thread. Everything that touches RocksDB goes through this class or a store built on it.
class Database {
 public:
  // Opens (creating if needed) the data directory. Fails with FAILED_PRECONDITION if it was written by an
  // incompatible pumptrack version, UNAVAILABLE if it is locked by another process or unreadable.
  static absl::StatusOr<std::unique_ptr<Database>> Open(const DatabaseOptions& options);

  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  // Closes the database after flushing nothing extra: every acknowledged write is already in the synced WAL.
  ~Database();

  rocksdb::ColumnFamilyHandle* Handle(ColumnFamily cf) const { return handles_[static_cast<std::size_t>(cf)]; }
  rocksdb::DB& raw() const { return *db_; }

  // Applies `batch` atomically. With `sync`, returns only after the write-ahead log is on stable storage. Refused
  // with the write gate's status, nothing written, while the gate (SetWriteGate) says no.
  absl::Status Write(rocksdb::WriteBatch& batch, bool sync);

  // Sets the one gate every Write passes (replacing any earlier one; null removes it). Every write of every store goes
  // through Write, so the gate covers reports and people's audited writes alike.
  void SetWriteGate(WriteGate gate);

  // The value at `key`, or nullopt if absent.
  absl::StatusOr<std::optional<std::string>> Get(ColumnFamily cf, absl::string_view key) const;
  // Reads the values at `keys` with one RocksDB MultiGet (sorted keys share block look-ups) and calls `each` with the
  // index of each key and its value (nullopt when absent; valid only during the call), in the order of `keys`. The
  // first read error, or the first error `each` returns, ends the call with that error.
  absl::Status MultiGet(ColumnFamily cf, const std::vector<std::string>& keys,
                        absl::FunctionRef<absl::Status(std::size_t, std::optional<absl::string_view>)> each) const;

  // An iterator over `cf`; the caller checks status() after the loop.
  std::unique_ptr<rocksdb::Iterator> NewIterator(ColumnFamily cf, const rocksdb::ReadOptions& options) const;

  // An integer RocksDB property of one family (e.g. "rocksdb.estimate-live-data-size"), or nullopt if unknown.
  std::optional<std::uint64_t> IntProperty(ColumnFamily cf, absl::string_view property) const;

  const std::string& path() const { return path_; }

  // Sets the one handler told about background errors (replacing any earlier one; null removes it).
  void SetBackgroundErrorHandler(BackgroundErrorHandler handler);

  // Asks RocksDB to leave the read-only state a background error put it in. OK when it accepts writes again (also
  // when there was no error); UNAVAILABLE while an automatic recovery is still running; otherwise the error that keeps
  // it stopped (RESOURCE_EXHAUSTED while the volume is full; UNAVAILABLE for a failed device, which RocksDB treats as
  // unrecoverable without reopening the database).
  absl::Status Resume();

  // Writes a small file into the data directory through RocksDB's file system, syncs it and deletes it: OK when the
  // volume accepts durable writes now. RESOURCE_EXHAUSTED when it is full, UNAVAILABLE when it fails otherwise.
  absl::Status ProbeWritable() const;

  // Bytes free on the data directory's volume, as RocksDB's file system reports them; UNAVAILABLE if it cannot tell.
  absl::StatusOr<std::uint64_t> FreeBytes() const;

 private:
  class HistoryRetentionFilter;
  class ErrorListener;

  Database() = default;
  absl::Status CheckOrWriteFormatVersion();

  std::string path_;
  std::unique_ptr<HistoryRetentionFilter> history_filter_;
  std::shared_ptr<ErrorListener> error_listener_;
  mutable absl::Mutex gate_mu_;
  WriteGate write_gate_ ABSL_GUARDED_BY(gate_mu_);
  std::unique_ptr<rocksdb::DB> db_;
  std::array<rocksdb::ColumnFamilyHandle*, kColumnFamilyCount> handles_{};
};

}  // namespace pumptrack::storage

#endif  // PUMPTRACK_STORAGE_DATABASE_H_
