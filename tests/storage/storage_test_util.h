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
#include "tests/common/test_support.h"

namespace pumptrack::storage::testing_util {

using ::pumptrack::testing_support::BaseTime;
using ::pumptrack::testing_support::FromTimestamp;
using ::pumptrack::testing_support::ScopedTempDir;
using ::pumptrack::testing_support::ToTimestamp;

// Fluent builder for one realistic observation of a pump. Every field has a plausible default so a test only
// states what it cares about.
class ObservationBuilder {
 public:
  explicit ObservationBuilder(absl::string_view asset_tag) {
    auto* identity = o_.mutable_identity();
    identity->set_asset_tag(std::string(asset_tag));
    identity->set_serial_number(absl::StrCat("SN-", asset_tag));
    identity->set_manufacturer("Acme Medical");
    identity->set_model("Infusia 500");
    *o_.mutable_observed_at() = ToTimestamp(BaseTime());
    o_.set_sequence(1);
    auto* location = o_.mutable_location();
    location->set_facility("general");
    location->set_building("north");
    location->set_floor("5");
    location->set_unit("5-west");
    location->set_room("512");
    location->set_source(v1::LOCATION_SOURCE_RTLS);
    location->set_confidence(0.9f);
    o_.set_firmware_version("12.1.3");
    auto* library = o_.mutable_drug_library();
    library->set_name("adult-icu");
    library->set_version("2026.11.2");
    *library->mutable_published_at() = ToTimestamp(BaseTime() - absl::Hours(24 * 30));
    library->set_digest("sha256:9f2c1e");
    auto* config = o_.mutable_configuration();
    (*config->mutable_settings())["wifi.eap"] = "tls";
    (*config->mutable_settings())["alarm.volume"] = "high";
    config->set_digest("sha256:c0nf1g");
    auto* security = o_.mutable_security();
    security->set_default_credentials(false);
    *security->mutable_credentials_changed_at() = ToTimestamp(BaseTime() - absl::Hours(24 * 90));
    auto* https = security->add_open_services();
    https->set_kind(v1::SERVICE_KIND_HTTPS_ADMIN);
    https->set_port(443);
    security->set_wifi_security(v1::WIFI_SECURITY_WPA2_ENTERPRISE);
    security->set_remote_access_enabled(false);
    security->mutable_clock_offset()->set_seconds(2);
    auto* physical = o_.mutable_physical();
    physical->set_seal_id(absl::StrCat("SEAL-", asset_tag));
    physical->set_seal_state(v1::SEAL_STATE_INTACT);
    physical->set_case_state(v1::CASE_STATE_CLOSED);
    physical->set_battery_percent(87);
    physical->set_power_source(v1::POWER_SOURCE_MAINS);
    o_.set_operating_state(v1::OPERATING_STATE_IDLE);
  }

  ObservationBuilder& Serial(absl::string_view serial) {
    o_.mutable_identity()->set_serial_number(std::string(serial));
    return *this;
  }
  ObservationBuilder& Model(absl::string_view model) {
    o_.mutable_identity()->set_model(std::string(model));
    return *this;
  }
  ObservationBuilder& At(absl::Time observed_at) {
    *o_.mutable_observed_at() = ToTimestamp(observed_at);
    return *this;
  }
  ObservationBuilder& Seq(std::uint64_t sequence) {
    o_.set_sequence(sequence);
    return *this;
  }
  ObservationBuilder& Facility(absl::string_view facility) {
    o_.mutable_location()->set_facility(std::string(facility));
    return *this;
  }
  ObservationBuilder& Building(absl::string_view building) {
    o_.mutable_location()->set_building(std::string(building));
    return *this;
  }
  ObservationBuilder& Floor(absl::string_view floor) {
    o_.mutable_location()->set_floor(std::string(floor));
    return *this;
  }
  ObservationBuilder& Unit(absl::string_view unit) {
    o_.mutable_location()->set_unit(std::string(unit));
    return *this;
  }
  ObservationBuilder& Room(absl::string_view room) {
    o_.mutable_location()->set_room(std::string(room));
    return *this;
  }
  ObservationBuilder& Source(v1::LocationSource source) {
    o_.mutable_location()->set_source(source);
    return *this;
  }
  ObservationBuilder& Confidence(float confidence) {
    o_.mutable_location()->set_confidence(confidence);
    return *this;
  }
  ObservationBuilder& Firmware(absl::string_view version) {
    o_.set_firmware_version(std::string(version));
    return *this;
  }
  ObservationBuilder& DrugLibrary(absl::string_view version, absl::string_view digest) {
    o_.mutable_drug_library()->set_version(std::string(version));
    o_.mutable_drug_library()->set_digest(std::string(digest));
    return *this;
  }
  ObservationBuilder& ConfigDigest(absl::string_view digest) {
    o_.mutable_configuration()->set_digest(std::string(digest));
    return *this;
  }
  ObservationBuilder& Seal(v1::SealState state) {
    o_.mutable_physical()->set_seal_state(state);
    return *this;
  }
  ObservationBuilder& SealId(absl::string_view seal_id) {
    o_.mutable_physical()->set_seal_id(std::string(seal_id));
    return *this;
  }
  ObservationBuilder& Case(v1::CaseState state) {
    o_.mutable_physical()->set_case_state(state);
    return *this;
  }
  ObservationBuilder& DefaultCredentials(bool value) {
    o_.mutable_security()->set_default_credentials(value);
    return *this;
  }
  ObservationBuilder& OpenTelnet() {
    auto* telnet = o_.mutable_security()->add_open_services();
    telnet->set_kind(v1::SERVICE_KIND_TELNET);
    telnet->set_port(23);
    return *this;
  }
  ObservationBuilder& Battery(std::uint32_t percent) {
    o_.mutable_physical()->set_battery_percent(percent);
    return *this;
  }
  ObservationBuilder& State(v1::OperatingState state) {
    o_.set_operating_state(state);
    return *this;
  }

  v1::Observation Build() const { return o_; }
  operator v1::Observation() const { return o_; }  // NOLINT(google-explicit-constructor)

 private:
  v1::Observation o_;
};

inline ObservationBuilder Obs(absl::string_view asset_tag) { return ObservationBuilder(asset_tag); }

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
