#include "service/storage_metrics.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/strip.h"
#include "rocksdb/db.h"
#include "storage/column_families.h"

namespace pumptrack::service {
namespace {

prometheus::MetricFamily Family(std::string name, std::string help, prometheus::MetricType type) {
  prometheus::MetricFamily family;
  family.name = std::move(name);
  family.help = std::move(help);
  family.type = type;
  return family;
}

void AddValue(prometheus::MetricFamily& family, std::vector<prometheus::ClientMetric::Label> labels, double value) {
  prometheus::ClientMetric metric;
  metric.label = std::move(labels);
  if (family.type == prometheus::MetricType::Counter) {
    metric.counter.value = value;
  } else {
    metric.gauge.value = value;
  }
  family.metric.push_back(std::move(metric));
}

// The cumulative WAL sync count RocksDB keeps in its internal DB stats (exact, unlike the text form of
// rocksdb.dbstats, which abbreviates large numbers).
std::optional<std::uint64_t> WalSyncs(rocksdb::DB& db) {
  std::map<std::string, std::string> stats;
  if (!db.GetMapProperty(rocksdb::DB::Properties::kDBStats, &stats)) return std::nullopt;
  auto it = stats.find("db.wal_syncs");
  std::uint64_t value = 0;
  if (it == stats.end() || !absl::SimpleAtoi(it->second, &value)) return std::nullopt;
  return value;
}

// "AGENT_STATE_ENROLLED" -> "enrolled".
std::string StateLabel(int state) {
  return absl::AsciiStrToLower(
      absl::StripPrefix(v1::AgentState_Name(static_cast<v1::AgentState>(state)), "AGENT_STATE_"));
}

}  // namespace

void StorageMetrics::Detach() {
  absl::MutexLock lock(&mu_);
  database_ = nullptr;
  audit_ = nullptr;
  agents_ = nullptr;
}

std::vector<prometheus::MetricFamily> StorageMetrics::Collect() const {
  absl::MutexLock lock(&mu_);
  std::vector<prometheus::MetricFamily> families;
  if (database_ == nullptr) return families;

  struct PerFamilyProperty {
    const char* property;
    prometheus::MetricFamily family;
  };
  PerFamilyProperty per_cf[] = {
      {"rocksdb.estimate-live-data-size",
       Family("pumptrack_rocksdb_live_data_bytes", "Estimated live data in SST files, by column family.",
              prometheus::MetricType::Gauge)},
      {"rocksdb.estimate-pending-compaction-bytes",
       Family("pumptrack_rocksdb_pending_compaction_bytes",
              "Estimated bytes compaction must rewrite to settle the LSM tree, by column family.",
              prometheus::MetricType::Gauge)},
      {"rocksdb.cur-size-all-mem-tables",
       Family("pumptrack_rocksdb_memtable_bytes", "Size of the active and unflushed memtables, by column family.",
              prometheus::MetricType::Gauge)},
  };
  for (std::size_t i = 0; i < storage::kColumnFamilyCount; ++i) {
    const auto cf = static_cast<storage::ColumnFamily>(i);
    const std::string name(storage::ColumnFamilyName(cf));
    for (PerFamilyProperty& entry : per_cf) {
      if (std::optional<std::uint64_t> value = database_->IntProperty(cf, entry.property)) {
        AddValue(entry.family, {{"column_family", name}}, static_cast<double>(*value));
      }
    }
  }
  for (PerFamilyProperty& entry : per_cf) {
    if (!entry.family.metric.empty()) families.push_back(std::move(entry.family));
  }

  prometheus::MetricFamily errors = Family("pumptrack_rocksdb_background_errors_total",
                                           "Background flush or compaction errors since start (the database "
                                           "stops accepting writes after a hard one).",
                                           prometheus::MetricType::Counter);
  if (std::optional<std::uint64_t> value =
          database_->IntProperty(storage::ColumnFamily::kDefault, rocksdb::DB::Properties::kBackgroundErrors)) {
    AddValue(errors, {}, static_cast<double>(*value));
    families.push_back(std::move(errors));
  }

  prometheus::MetricFamily syncs =
      Family("pumptrack_rocksdb_wal_syncs_total", "Write-ahead log syncs (fsync/fdatasync) since start.",
             prometheus::MetricType::Counter);
  if (std::optional<std::uint64_t> value = WalSyncs(database_->raw())) {
    AddValue(syncs, {}, static_cast<double>(*value));
    families.push_back(std::move(syncs));
  }

  if (audit_ != nullptr) {
    prometheus::MetricFamily audit =
        Family("pumptrack_audit_log_entries", "Entries in the hash-chained audit log.", prometheus::MetricType::Gauge);
    AddValue(audit, {}, static_cast<double>(audit_->size()));
    families.push_back(std::move(audit));
  }

  if (agents_ != nullptr) {
    // Every state is present (0 when none), so the series set is fixed.
    std::map<std::string, int> by_state;
    for (int state = v1::AgentState_MIN; state <= v1::AgentState_MAX; ++state) {
      if (v1::AgentState_IsValid(state) && state != v1::AGENT_STATE_UNSPECIFIED) by_state[StateLabel(state)] = 0;
    }
    for (const v1::Agent& agent : agents_->List()) ++by_state[StateLabel(agent.state())];
    prometheus::MetricFamily agents =
        Family("pumptrack_agents", "Registered agents (gateways) by state.", prometheus::MetricType::Gauge);
    for (const auto& [state, count] : by_state) AddValue(agents, {{"state", state}}, count);
    families.push_back(std::move(agents));
  }
  return families;
}

}  // namespace pumptrack::service
