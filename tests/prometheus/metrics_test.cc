// Unit tests of the service-health metric classes: GrpcMetrics (bounded method label, codes) and StorageMetrics
// (RocksDB properties and registry state read at collection, on a real RocksDB in a temporary directory).
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "prometheus/metric_family.h"
#include "prometheus/registry.h"
#include "rocksdb/write_batch.h"
#include "service/grpc_metrics.h"
#include "service/storage_metrics.h"
#include "storage/agent_registry.h"
#include "storage/audit_log.h"
#include "storage/database.h"
#include "tests/common/test_support.h"

namespace pumptrack::service {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;

const MetricFamily* FindFamily(const std::vector<MetricFamily>& families, const std::string& name) {
  for (const MetricFamily& family : families) {
    if (family.name == name) return &family;
  }
  return nullptr;
}

// The metric of `family` whose labels are exactly `labels`.
const ClientMetric* FindMetric(const MetricFamily* family, const std::map<std::string, std::string>& labels) {
  if (family == nullptr) return nullptr;
  for (const ClientMetric& metric : family->metric) {
    std::map<std::string, std::string> found;
    for (const ClientMetric::Label& label : metric.label) found[label.name] = label.value;
    if (found == labels) return &metric;
  }
  return nullptr;
}

TEST(GrpcMetricsTest, CountsCallsByMethodAndCodeAndBoundsTheMethodLabel) {
  prometheus::Registry registry;
  GrpcMetrics metrics(registry, {"/pkg.S/A", "/pkg.S/B", "/pkg.S/A"});
  metrics.Record("/pkg.S/A", grpc::StatusCode::OK, 0.002);
  metrics.Record("/pkg.S/A", grpc::StatusCode::NOT_FOUND, 0.004);
  metrics.Record("/pkg.S/A", grpc::StatusCode::NOT_FOUND, 0.004);
  for (int i = 0; i < 100; ++i) metrics.Record("/evil.S/M" + std::to_string(i), grpc::StatusCode::UNIMPLEMENTED, 0);
  metrics.Record("/pkg.S/B", 99, 0.001);

  const std::vector<MetricFamily> families = registry.Collect();
  const MetricFamily* requests = FindFamily(families, "pumptrack_grpc_requests_total");
  ASSERT_NE(requests, nullptr);
  const ClientMetric* ok = FindMetric(requests, {{"method", "/pkg.S/A"}, {"code", "OK"}});
  const ClientMetric* not_found = FindMetric(requests, {{"method", "/pkg.S/A"}, {"code", "NOT_FOUND"}});
  const ClientMetric* unknown = FindMetric(requests, {{"method", "unknown"}, {"code", "UNIMPLEMENTED"}});
  const ClientMetric* out_of_range = FindMetric(requests, {{"method", "/pkg.S/B"}, {"code", "UNKNOWN"}});
  ASSERT_NE(ok, nullptr);
  ASSERT_NE(not_found, nullptr);
  ASSERT_NE(unknown, nullptr);
  ASSERT_NE(out_of_range, nullptr);
  EXPECT_EQ(ok->counter.value, 1);
  EXPECT_EQ(not_found->counter.value, 2);
  EXPECT_EQ(unknown->counter.value, 100);
  EXPECT_EQ(out_of_range->counter.value, 1);
  // Series: OK for A, B and unknown from the start, plus the three codes recorded.
  EXPECT_EQ(requests->metric.size(), 6u);

  const MetricFamily* duration = FindFamily(families, "pumptrack_grpc_request_duration_seconds");
  ASSERT_NE(duration, nullptr);
  EXPECT_EQ(duration->metric.size(), 3u);  // A (listed twice), B, unknown
  const ClientMetric* a = FindMetric(duration, {{"method", "/pkg.S/A"}});
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->histogram.sample_count, 3u);
  EXPECT_DOUBLE_EQ(a->histogram.sample_sum, 0.010);
}

TEST(GrpcMetricsTest, MethodsOfServicesListsEveryMethodOfKnownServices) {
  const std::vector<std::string> methods =
      GrpcMetrics::MethodsOfServices({"pumptrack.v1.AuditService", "no.such.Service"});
  EXPECT_THAT(methods, ::testing::Contains("/pumptrack.v1.AuditService/VerifyAudit"));
  for (const std::string& method : methods) EXPECT_THAT(method, ::testing::StartsWith("/pumptrack.v1.AuditService/"));
}

class StorageMetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage::DatabaseOptions options;
    options.path = dir_.path();
    absl::StatusOr<std::unique_ptr<storage::Database>> db = storage::Database::Open(options);
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    absl::StatusOr<std::unique_ptr<storage::AuditLog>> audit = storage::AuditLog::Open(db_.get());
    ASSERT_TRUE(audit.ok()) << audit.status();
    audit_ = *std::move(audit);
    absl::StatusOr<std::unique_ptr<storage::AgentRegistry>> agents =
        storage::AgentRegistry::Open(db_.get(), audit_.get());
    ASSERT_TRUE(agents.ok()) << agents.status();
    agents_ = *std::move(agents);
  }

  testing_support::ScopedTempDir dir_;
  std::unique_ptr<storage::Database> db_;
  std::unique_ptr<storage::AuditLog> audit_;
  std::unique_ptr<storage::AgentRegistry> agents_;
};

TEST_F(StorageMetricsTest, ReadsPropertiesAuditAndAgentsAtCollection) {
  StorageMetrics metrics(db_.get(), audit_.get(), agents_.get());
  const storage::Actor admin{v1::ACTOR_KIND_TOKEN, "admin"};
  ASSERT_TRUE(agents_->Enroll("gw-a", "", admin, absl::Now()).ok());
  ASSERT_TRUE(agents_->Enroll("gw-b", "", admin, absl::Now()).ok());
  ASSERT_TRUE(agents_->Revoke("gw-b", admin, absl::Now()).ok());
  rocksdb::WriteBatch batch;
  ASSERT_TRUE(batch.Put(db_->Handle(storage::ColumnFamily::kDevices), "PT-00001", std::string(1000, 'x')).ok());
  ASSERT_TRUE(db_->Write(batch, /*sync=*/true).ok());

  const std::vector<MetricFamily> families = metrics.Collect();
  const ClientMetric* syncs = FindMetric(FindFamily(families, "pumptrack_rocksdb_wal_syncs_total"), {});
  ASSERT_NE(syncs, nullptr);
  EXPECT_GE(syncs->counter.value, 4);  // three audited writes and the batch, each synced
  const ClientMetric* memtable =
      FindMetric(FindFamily(families, "pumptrack_rocksdb_memtable_bytes"), {{"column_family", "devices"}});
  ASSERT_NE(memtable, nullptr);
  EXPECT_GT(memtable->gauge.value, 1000);
  EXPECT_EQ(FindFamily(families, "pumptrack_rocksdb_live_data_bytes")->metric.size(), storage::kColumnFamilyCount);
  EXPECT_NE(
      FindMetric(FindFamily(families, "pumptrack_rocksdb_pending_compaction_bytes"), {{"column_family", "audit"}}),
      nullptr);
  const ClientMetric* errors = FindMetric(FindFamily(families, "pumptrack_rocksdb_background_errors_total"), {});
  ASSERT_NE(errors, nullptr);
  EXPECT_EQ(errors->counter.value, 0);
  EXPECT_EQ(FindMetric(FindFamily(families, "pumptrack_audit_log_entries"), {})->gauge.value, audit_->size());
  EXPECT_EQ(audit_->size(), 3u);
  const MetricFamily* agents = FindFamily(families, "pumptrack_agents");
  EXPECT_EQ(FindMetric(agents, {{"state", "enrolled"}})->gauge.value, 1);
  EXPECT_EQ(FindMetric(agents, {{"state", "revoked"}})->gauge.value, 1);
  EXPECT_EQ(agents->metric.size(), 2u);

  // WAL syncs count synced writes only.
  rocksdb::WriteBatch unsynced;
  ASSERT_TRUE(unsynced.Put(db_->Handle(storage::ColumnFamily::kDevices), "PT-00002", "y").ok());
  ASSERT_TRUE(db_->Write(unsynced, /*sync=*/false).ok());
  rocksdb::WriteBatch synced;
  ASSERT_TRUE(synced.Put(db_->Handle(storage::ColumnFamily::kDevices), "PT-00003", "z").ok());
  ASSERT_TRUE(db_->Write(synced, /*sync=*/true).ok());
  const std::vector<MetricFamily> later_families = metrics.Collect();  // outlives the pointers into it
  const ClientMetric* later = FindMetric(FindFamily(later_families, "pumptrack_rocksdb_wal_syncs_total"), {});
  ASSERT_NE(later, nullptr);
  EXPECT_EQ(later->counter.value, syncs->counter.value + 1);
}

TEST_F(StorageMetricsTest, DetachedCollectsNothing) {
  StorageMetrics metrics(db_.get(), audit_.get(), agents_.get());
  EXPECT_FALSE(metrics.Collect().empty());
  metrics.Detach();
  EXPECT_TRUE(metrics.Collect().empty());
}

}  // namespace
}  // namespace pumptrack::service
