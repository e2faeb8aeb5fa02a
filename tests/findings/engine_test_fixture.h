// The finding engine inside the service as tests drive it: real RocksDB in a temporary directory, the real ingest
// pipeline and writer thread, the findings runtime, metrics in a real registry, and an injected clock.
#ifndef PUMPTRACK_TESTS_FINDINGS_ENGINE_TEST_FIXTURE_H_
#define PUMPTRACK_TESTS_FINDINGS_ENGINE_TEST_FIXTURE_H_

#include <atomic>
#include <future>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/finding_engine.h"
#include "engine/findings_runtime.h"
#include "engine/fleet_metrics.h"
#include "engine/ingest_metrics.h"
#include "engine/ingest_pipeline.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "prometheus/registry.h"
#include "rules/policy.h"
#include "storage/audit_log.h"
#include "storage/database.h"
#include "storage/device_store.h"
#include "storage/finding_store.h"
#include "tests/common/test_support.h"
#include "tests/rules/rules_test_util.h"

namespace pumptrack::engine {

using testing_support::ScopedTempDir;

class FindingsEngineTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }
  void TearDown() override { Close(); }

  virtual void Open(std::size_t watcher_capacity = 1024) {
    storage::DatabaseOptions options;
    options.path = data_path_.empty() ? dir_.path() : data_path_;
    options.block_cache_bytes = 1 << 20;
    options.clock = [this] { return Now(); };
    absl::StatusOr<std::unique_ptr<storage::Database>> db = storage::Database::Open(options);
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    devices_ = std::make_unique<storage::DeviceStore>(db_.get());
    findings_ = std::make_unique<storage::FindingStore>(db_.get());
    absl::StatusOr<std::unique_ptr<storage::AuditLog>> audit = storage::AuditLog::Open(db_.get());
    ASSERT_TRUE(audit.ok()) << audit.status();
    audit_ = *std::move(audit);
    registry_ = std::make_shared<prometheus::Registry>();
    metrics_ = std::make_unique<IngestMetrics>(*registry_);
    fleet_ = std::make_unique<FleetMetrics>(*registry_);
    FindingEngineOptions engine_options;
    engine_options.clock = [this] { return Now(); };
    engine_options.watcher_capacity = watcher_capacity;
    absl::StatusOr<std::unique_ptr<FindingEngine>> engine =
        FindingEngine::Create(devices_.get(), findings_.get(), fleet_.get(), engine_options);
    ASSERT_TRUE(engine.ok()) << engine.status();
    engine_ = *std::move(engine);
    IngestOptions ingest_options;
    ingest_options.clock = [this] { return Now(); };
    ingest_ = std::make_unique<IngestPipeline>(devices_.get(), metrics_.get(), ingest_options, engine_.get());
    runtime_ = std::make_unique<FindingsRuntime>(db_.get(), devices_.get(), audit_.get(), engine_.get(), ingest_.get());
  }

  virtual void Close() {
    if (runtime_) runtime_->Stop();
    runtime_.reset();
    ingest_.reset();
    engine_.reset();
    audit_.reset();
    findings_.reset();
    devices_.reset();
    db_.reset();
  }

  void Reopen() {
    Close();
    Open();
  }

  absl::Time Now() const { return absl::FromUnixMicros(now_us_.load()); }
  void Advance(absl::Duration d) { now_us_ += absl::ToInt64Microseconds(d); }

  void SetPolicy(absl::string_view text) {
    absl::StatusOr<v1::PolicyInfo> info = runtime_->SetPolicy(text, {v1::ACTOR_KIND_TOKEN, "admin"});
    ASSERT_TRUE(info.ok()) << info.status();
    runtime_->WaitForReevaluation();
  }

  // Reports `device`'s last observation (sequence and observed_at set here) and waits until it is durable.
  void Report(v1::Device device, const std::string& agent_id = "gw-1") {
    v1::Observation observation = device.last_observation();
    observation.set_sequence(++sequence_);
    *observation.mutable_observed_at() = testing_support::ToTimestamp(Now());
    v1::AgentInfo agent;
    agent.set_agent_id(agent_id);
    std::promise<absl::StatusOr<std::vector<storage::ApplyResult>>> done;
    IngestRequest request;
    request.observations.push_back({&observation, &agent});
    request.done = [&done](absl::StatusOr<std::vector<storage::ApplyResult>> r) { done.set_value(std::move(r)); };
    ASSERT_TRUE(ingest_->Submit(std::move(request)).ok());
    absl::StatusOr<std::vector<storage::ApplyResult>> results = done.get_future().get();
    ASSERT_TRUE(results.ok()) << results.status();
  }

  std::vector<v1::Finding> List(v1::FindingState state = v1::FINDING_STATE_UNSPECIFIED) {
    storage::FindingFilter filter;
    filter.state = state;
    absl::StatusOr<storage::FindingPage> page = findings_->List(filter, 0, 1000);
    EXPECT_TRUE(page.ok()) << page.status();
    return page.ok() ? page->findings : std::vector<v1::Finding>{};
  }

  std::vector<std::string> OpenRules() {
    std::vector<std::string> rules;
    for (const v1::Finding& f : List()) rules.push_back(f.rule());
    return rules;
  }

  double Gauge(const std::string& name, const std::map<std::string, std::string>& labels) {
    for (const prometheus::MetricFamily& family : registry_->Collect()) {
      if (family.name != name) continue;
      for (const prometheus::ClientMetric& metric : family.metric) {
        std::map<std::string, std::string> have;
        for (const auto& label : metric.label) have[label.name] = label.value;
        bool match = true;
        for (const auto& [k, v] : labels) match &= have[k] == v;
        if (match) return metric.gauge.value;
      }
    }
    return -1;
  }

  ScopedTempDir dir_;
  std::string data_path_;  // the data directory when not dir_ (a restored copy)
  std::atomic<std::int64_t> now_us_{absl::ToUnixMicros(rules::testing::kNow)};
  std::uint64_t sequence_ = 0;
  std::unique_ptr<storage::Database> db_;
  std::unique_ptr<storage::DeviceStore> devices_;
  std::unique_ptr<storage::FindingStore> findings_;
  std::unique_ptr<storage::AuditLog> audit_;
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<IngestMetrics> metrics_;
  std::unique_ptr<FleetMetrics> fleet_;
  std::unique_ptr<FindingEngine> engine_;
  std::unique_ptr<IngestPipeline> ingest_;
  std::unique_ptr<FindingsRuntime> runtime_;
};

inline v1::Device WithTelnet(v1::Device device) {
  v1::OpenService* telnet = device.mutable_last_observation()->mutable_security()->add_open_services();
  telnet->set_kind(v1::SERVICE_KIND_TELNET);
  telnet->set_port(23);
  return device;
}

}  // namespace pumptrack::engine

#endif  // PUMPTRACK_TESTS_FINDINGS_ENGINE_TEST_FIXTURE_H_
