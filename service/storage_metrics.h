#ifndef PUMPTRACK_SERVICE_STORAGE_METRICS_H_
#define PUMPTRACK_SERVICE_STORAGE_METRICS_H_

#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "prometheus/collectable.h"
#include "prometheus/metric_family.h"
#include "storage/agent_registry.h"
#include "storage/audit_log.h"
#include "storage/database.h"

namespace pumptrack::service {

// Storage health, read from RocksDB properties when Prometheus scrapes (a handful of in-memory property reads per
// column family, and the in-memory agent registry; nothing on disk is scanned):
//   pumptrack_rocksdb_live_data_bytes{column_family}            rocksdb.estimate-live-data-size
//   pumptrack_rocksdb_pending_compaction_bytes{column_family}   rocksdb.estimate-pending-compaction-bytes
//   pumptrack_rocksdb_memtable_bytes{column_family}             rocksdb.cur-size-all-mem-tables
//   pumptrack_rocksdb_background_errors_total                   rocksdb.background-errors
//   pumptrack_rocksdb_wal_syncs_total                           db.wal_syncs of the rocksdb.dbstats map
//   pumptrack_audit_log_entries                                 AuditLog::size()
//   pumptrack_agents{state}                                     agents by registry state (enrolled, revoked)
// Column families are a fixed set, so the series count is constant. Thread-safe.
class StorageMetrics final : public prometheus::Collectable {
 public:
  StorageMetrics(const storage::Database* database, const storage::AuditLog* audit,
                 const storage::AgentRegistry* agents)
      : database_(database), audit_(audit), agents_(agents) {}

  // Stops reading storage: later collections return nothing. Call before the database or audit log is destroyed.
  void Detach();

  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  mutable absl::Mutex mu_;
  const storage::Database* database_ ABSL_GUARDED_BY(mu_);
  const storage::AuditLog* audit_ ABSL_GUARDED_BY(mu_);
  const storage::AgentRegistry* agents_ ABSL_GUARDED_BY(mu_);
};

}  // namespace pumptrack::service

#endif  // PUMPTRACK_SERVICE_STORAGE_METRICS_H_
