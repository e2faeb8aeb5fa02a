#ifndef PUMPTRACK_ENGINE_STORAGE_HEALTH_H_
#define PUMPTRACK_ENGINE_STORAGE_HEALTH_H_

#include <cstdint>
#include <functional>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "storage/database.h"

namespace pumptrack::engine {

struct StorageHealthOptions {
  // How often free space is checked, and recovery attempted while storage is failing.
  absl::Duration check_interval = absl::Seconds(1);
  // Below this many free bytes on the data volume, every write is refused (RESOURCE_EXHAUSTED): reports and people's
  // audited writes alike, through the database's write gate. The service is NOT_SERVING meanwhile, so that RocksDB
  // never runs out of space in the middle of a write; 0 disables the check.
  std::uint64_t min_free_bytes = 64 << 20;
};

// The one place that decides whether storage can take writes, and so whether the service is SERVING.
//
// Storage is unhealthy while either holds:
// - the data volume has less than `min_free_bytes` free (checked every `check_interval`); it is healthy again as soon
//   as there is that much;
// - RocksDB refused a write: a commit failed (the ingest writer calls ObserveWrite) or RocksDB reported a background
//   error (a failed WAL write or sync, flush or compaction), after which it refuses every write. Every
//   `check_interval` the watcher then writes and syncs a probe file on the data volume and, when that works, asks
//   RocksDB to resume. RocksDB 7.8 cannot resume after a failed WAL write (its WAL writer keeps the error), so that
//   case lasts until the service is restarted; the kubelet's liveness probe on the health port does that.
// While unhealthy, Admit refuses new reports at once and the listener given to Start is told (the server flips gRPC
// health with it). While the volume is below the reserve, the database's write gate (installed by the constructor)
// also refuses every other write (policy, tokens, agents, custody, acknowledgements, audit) with RESOURCE_EXHAUSTED.
//
// Thread-safe.
class StorageHealth {
 public:
  // `database` must outlive this object. Registers for its background errors and sets its write gate.
  StorageHealth(storage::Database* database, StorageHealthOptions options);
  // Stops the watcher and unregisters.
  ~StorageHealth();

  StorageHealth(const StorageHealth&) = delete;
  StorageHealth& operator=(const StorageHealth&) = delete;

  // Checks free space once, then starts the watcher. `on_change(serving)` is called at once (on this thread) with the
  // current state, then on every change from the watcher thread; it must not call back into this object.
  void Start(std::function<void(bool serving)> on_change);

  // Stops the watcher; `on_change` is never called after this returns. Idempotent.
  void Stop();

  // The result of a commit: a failed one marks storage unhealthy. OK results change nothing (recovery is the
  // watcher's to confirm).
  void ObserveWrite(const absl::Status& result);

  // OK while healthy; otherwise the refusal for a new report: RESOURCE_EXHAUSTED when the volume is (nearly) full,
  // UNAVAILABLE when it is failing. Nothing of a refused report is stored.
  absl::Status Admit() const;

  bool healthy() const;

  // The database's write gate: RESOURCE_EXHAUSTED while the volume is below the reserve (at the last check), else OK.
  absl::Status AdmitWrite() const;

 private:
  void MarkFailed(const absl::Status& error);
  // One round of checks and recovery; returns whether storage is healthy afterwards.
  bool Check();
  void WatchLoop(bool serving);

  storage::Database* const database_;
  const StorageHealthOptions options_;

  mutable absl::Mutex mu_;
  absl::Status failure_ ABSL_GUARDED_BY(mu_);          // RocksDB's refusal; OK when none
  std::uint64_t failures_ ABSL_GUARDED_BY(mu_) = 0;    // failures observed so far
  bool low_space_ ABSL_GUARDED_BY(mu_) = false;        // below min_free_bytes at the last check
  std::uint64_t free_bytes_ ABSL_GUARDED_BY(mu_) = 0;  // at the last check
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::function<void(bool)> on_change_;  // set before the watcher starts, then read only by it
  std::thread watcher_;
};

}  // namespace pumptrack::engine

#endif  // PUMPTRACK_ENGINE_STORAGE_HEALTH_H_
