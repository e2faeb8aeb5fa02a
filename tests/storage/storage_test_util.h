// Shared helpers for the storage tests: a self-deleting temporary directory, a fixture that opens a real RocksDB
// Database + DeviceStore in it, and a builder for realistic pumptrack.v1.Observation messages.
#ifndef PUMPTRACK_TESTS_STORAGE_STORAGE_TEST_UTIL_H_
#define PUMPTRACK_TESTS_STORAGE_STORAGE_TEST_UTIL_H_

#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "pumptrack/v1/device.pb.h"
#include "storage/database.h"
#include "storage/device_store.h"
#include "storage/keys.h"
#include "tests/common/observation_builder.h"
#include "tests/common/test_support.h"

namespace pumptrack::storage::testing_util {

using ::pumptrack::testing_support::BaseTime;
using ::pumptrack::testing_support::FromTimestamp;
using ::pumptrack::testing_support::ScopedTempDir;
using ::pumptrack::testing_support::ToTimestamp;

using ::pumptrack::testing_support::Obs;
using ::pumptrack::testing_support::ObservationBuilder;

inline v1::AgentInfo Agent(absl::string_view agent_id) {
  v1::AgentInfo agent;
  agent.set_agent_id(std::string(agent_id));
  agent.set_agent_version("0.1.0");
  return agent;
}

// Owns observations and agents with stable addresses so IncomingObservation pointers stay valid.
class Batch {
 public:
  Batch& Add(v1::Observation observation, absl::string_view agent_id = "gw-5west-01") {
    observations_.push_back(std::move(observation));
    agents_.push_back(Agent(agent_id));
    incoming_.push_back({&observations_.back(), &agents_.back()});
    return *this;
  }
  std::span<const IncomingObservation> span() const { return incoming_; }
  std::size_t size() const { return incoming_.size(); }

 private:
  std::deque<v1::Observation> observations_;
  std::deque<v1::AgentInfo> agents_;
  std::vector<IncomingObservation> incoming_;
};

// Fixture: a real Database and DeviceStore in a fresh temporary directory, with helpers to close and reopen it.
class StorageTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(Open()); }

  DatabaseOptions Options() const {
    DatabaseOptions options;
    options.path = dir_.path();
    options.block_cache_bytes = 1 << 20;
    return options;
  }

  void Open() { Open(Options()); }
  void Open(const DatabaseOptions& options) {
    absl::StatusOr<std::unique_ptr<Database>> db = Database::Open(options);
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    store_ = std::make_unique<DeviceStore>(db_.get());
  }
  void Close() {
    store_.reset();
    db_.reset();
  }
  void Reopen() {
    Close();
    Open();
  }

  // Service clock used for Apply in these tests.
  static absl::Time Now() { return BaseTime() + absl::Minutes(1); }

  std::vector<ApplyResult> MustApply(const Batch& batch, absl::Time now = Now()) {
    absl::StatusOr<std::vector<ApplyResult>> results = store_->Apply(batch.span(), now);
    EXPECT_TRUE(results.ok()) << results.status();
    if (!results.ok()) return {};
    EXPECT_EQ(results->size(), batch.size());
    return *results;
  }
  ApplyResult MustApplyOne(const v1::Observation& observation, absl::string_view agent_id = "gw-5west-01",
                           absl::Time now = Now()) {
    Batch batch;
    batch.Add(observation, agent_id);
    std::vector<ApplyResult> results = MustApply(batch, now);
    return results.empty() ? ApplyResult::kDuplicate : results.front();
  }

  v1::Device MustGet(absl::string_view asset_tag) const {
    absl::StatusOr<v1::Device> device = store_->GetDevice(asset_tag);
    EXPECT_TRUE(device.ok()) << device.status();
    return device.ok() ? *device : v1::Device();
  }

  // The exact bytes stored for a device, straight from the devices family.
  std::optional<std::string> RawDevice(absl::string_view asset_tag) const {
    absl::StatusOr<std::optional<std::string>> value = db_->Get(ColumnFamily::kDevices, keys::DeviceKey(asset_tag));
    EXPECT_TRUE(value.ok()) << value.status();
    return value.ok() ? *value : std::nullopt;
  }

  // Every history entry of a device (all time), newest first.
  std::vector<v1::HistoryEntry> AllHistory(absl::string_view asset_tag) const {
    absl::StatusOr<HistoryPage> page =
        store_->GetHistory(asset_tag, absl::InfinitePast(), absl::InfiniteFuture(), "", 1000);
    EXPECT_TRUE(page.ok()) << page.status();
    if (!page.ok()) return {};
    EXPECT_TRUE(page->next_cursor.empty());
    return page->entries;
  }

  // Asset tags of every device matching `filter`, following next_after_tag to the end.
  std::vector<std::string> ListTags(const DeviceFilter& filter, int limit = 100) const {
    std::vector<std::string> tags;
    std::string after;
    for (int pages = 0; pages < 1000; ++pages) {
      absl::StatusOr<DevicePage> page = store_->ListDevices(filter, after, limit);
      EXPECT_TRUE(page.ok()) << page.status();
      if (!page.ok()) break;
      for (const v1::Device& device : page->devices) tags.push_back(device.identity().asset_tag());
      if (page->next_after_tag.empty()) break;
      after = page->next_after_tag;
    }
    return tags;
  }

  ScopedTempDir dir_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<DeviceStore> store_;
};

}  // namespace pumptrack::storage::testing_util

#endif  // PUMPTRACK_TESTS_STORAGE_STORAGE_TEST_UTIL_H_
