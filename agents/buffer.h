// The agent's durable outbox: every observation is stored here, with its sequence number, before it is sent, and
// removed only once the service has acknowledged it (osquery's buffered forwarder model).
#ifndef PUMPTRACK_AGENTS_BUFFER_H_
#define PUMPTRACK_AGENTS_BUFFER_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "agents/sequencer.h"
#include "pumptrack/v1/device.pb.h"

namespace rocksdb {
class DB;
}

namespace pumptrack::agents {

struct BufferOptions {
  // The buffer's own RocksDB directory; created when missing. Only one agent may use it at a time (RocksDB's LOCK).
  std::string dir;
  // Most observations held at once, at least 1. When an append would exceed it, the oldest entries are dropped.
  int64_t max_entries = 1'000'000;
  // First sequence of a device the buffer has never numbered (see Sequencer).
  uint64_t sequence_base = 1;
};

// One buffered observation. `id` orders entries by the time they were appended (oldest first).
struct BufferedObservation {
  uint64_t id = 0;
  pumptrack::v1::Observation observation;
};

// Why entries left the buffer without being acknowledged as stored.
struct BufferDrops {
  int64_t overflow = 0;     // dropped because the buffer was full (oldest first)
  int64_t unencodable = 0;  // could not be parsed back (e.g. invalid UTF-8 in a string): never sendable
};

// A bounded, durable FIFO of observations plus each device's last sequence number, in a small RocksDB of its own.
//
// Key layout (version byte 1 first, integers big-endian so they sort): 0x01 'e' <id:8> → serialized Observation;
// 0x01 's' <asset tag> → last sequence of that device (8 bytes, big-endian). Sequences are never reused: the last one
// of every device is stored in the same synced write as the observations that carry it, so a restart (kill -9
// included) continues each device at last + 1 — no jump, no repeat — and an acknowledged entry's removal needs no
// sync (if it is lost, the entry is resent and the service answers DUPLICATE).
//
// Thread-safe: appends may come from other threads than the one that reads and removes (the HL7 listener appends
// while the agent delivers); Remove counts only the ids an overflow has not dropped meanwhile.
class Buffer {
 public:
  // Opens or creates the buffer in options.dir, loading every device's last sequence and counting the entries.
  // INVALID_ARGUMENT for bad options; UNAVAILABLE when the directory cannot be opened (e.g. locked by another agent);
  // DATA_LOSS when it holds entries this version cannot read.
  static absl::StatusOr<std::unique_ptr<Buffer>> Open(const BufferOptions& options);

  ~Buffer();
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  // Numbers `observations` (Observation.sequence, per device, in order) and stores them with one synced write, so
  // they survive a crash once this returns OK. When the buffer would then hold more than max_entries, the oldest
  // entries are dropped in the same write (counted in drops().overflow); their sequences stay used, so the service
  // sees the gap. On error nothing was stored and the sequences assigned are forgotten again.
  absl::Status Append(std::vector<pumptrack::v1::Observation>& observations);

  // Up to `limit` of the oldest entries, oldest first. Entries that cannot be parsed are deleted and counted in
  // drops().unencodable instead of being returned.
  absl::StatusOr<std::vector<BufferedObservation>> ReadOldest(size_t limit);

  // Deletes acknowledged entries (not synced, see above). Ids not in the buffer are a caller bug.
  absl::Status Remove(std::span<const uint64_t> ids);

  // Entries held now.
  int64_t size() const;
  BufferDrops drops() const;
  // Distinct devices numbered so far (over the buffer's whole life).
  size_t device_count() const;

 private:
  Buffer(const BufferOptions& options, std::unique_ptr<rocksdb::DB> db);
  absl::Status Load();

  const BufferOptions options_;
  const std::unique_ptr<rocksdb::DB> db_;

  mutable absl::Mutex mu_;
  Sequencer sequencer_ ABSL_GUARDED_BY(mu_);
  int64_t size_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  // No entry has an id below this (a scan found none there); scans start here to skip deletion tombstones.
  uint64_t low_water_ ABSL_GUARDED_BY(mu_) = 1;
  BufferDrops drops_ ABSL_GUARDED_BY(mu_);
};

}  // namespace pumptrack::agents

#endif  // PUMPTRACK_AGENTS_BUFFER_H_
