// ReportService.GetUtilization's edge (service/utilization_handlers.cc): device rows in pages with opaque tokens bound
// to the window's start and the grouping, and every bad paging field refused with INVALID_ARGUMENT naming it. Real
// RocksDB in a temporary directory, reports through the real DeviceStore::Apply with the roll-up in its hook.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "engine/utilization_rollup.h"
#include "gtest/gtest.h"
#include "pumptrack/v1/report.pb.h"
#include "service/utilization_handlers.h"
#include "storage/proto_time.h"
#include "storage/utilization_store.h"
#include "tests/storage/storage_test_util.h"

namespace pumptrack::service {
namespace {

using storage::testing_util::BaseTime;
using storage::testing_util::Batch;
using storage::testing_util::Obs;

class UtilizationPagingTest : public storage::testing_util::StorageTest {
 protected:
  void SetUp() override {
    StorageTest::SetUp();
    utilization_store_ = std::make_unique<storage::UtilizationStore>(db_.get());
    rollup_ = std::make_unique<engine::UtilizationRollup>(utilization_store_.get(), nullptr);
    ASSERT_TRUE(rollup_->Load().ok());
    // 250 pumps, PT-0000 .. PT-0249, reported in reverse tag order.
    Batch batch;
    for (int p = 249; p >= 0; --p) {
      batch.Add(Obs(absl::StrFormat("PT-%04d", p)).At(BaseTime()).State(v1::OPERATING_STATE_IDLE).Build());
    }
    absl::StatusOr<std::vector<storage::ApplyResult>> results = store_->Apply(
        batch.span(), Now(), true, [&](const v1::Device*, const v1::Device& after, rocksdb::WriteBatch& write) {
          return rollup_->Stage(after, write);
        });
    ASSERT_TRUE(results.ok()) << results.status();
    rollup_->Commit();
  }

  v1::GetUtilizationRequest DeviceRequest() const {
    v1::GetUtilizationRequest request;
    *request.mutable_since() = storage::ToProtoTimestamp(BaseTime());
    *request.mutable_until() = storage::ToProtoTimestamp(BaseTime() + absl::Hours(1));
    request.set_group_by(v1::UTILIZATION_GROUPING_DEVICE);
    return request;
  }

  absl::StatusOr<v1::GetUtilizationResponse> Get(const v1::GetUtilizationRequest& request) const {
    return GetUtilization(request, *rollup_, BaseTime() + absl::Hours(2));
  }

  std::unique_ptr<storage::UtilizationStore> utilization_store_;
  std::unique_ptr<engine::UtilizationRollup> rollup_;
};

TEST_F(UtilizationPagingTest, EveryDeviceOnceInTagOrderAcrossPages) {
  v1::GetUtilizationRequest request = DeviceRequest();
  std::vector<std::string> tags;
  std::vector<int> sizes;
  for (int guard = 0; guard < 10; ++guard) {
    absl::StatusOr<v1::GetUtilizationResponse> page = Get(request);
    ASSERT_TRUE(page.ok()) << page.status();
    sizes.push_back(page->rows_size());
    for (const v1::UtilizationRow& row : page->rows()) {
      tags.push_back(row.asset_tag());
      EXPECT_EQ(row.time().idle_ms(), 3'600'000);
    }
    if (page->next_page_token().empty()) break;
    EXPECT_EQ(page->next_page_token().find("PT-"), std::string::npos) << "the token is opaque";
    request.set_page_token(page->next_page_token());
  }
  EXPECT_EQ(sizes, (std::vector<int>{100, 100, 50}));  // page_size 0 means 100
  ASSERT_EQ(tags.size(), 250u);
  for (int p = 0; p < 250; ++p) EXPECT_EQ(tags[p], absl::StrFormat("PT-%04d", p));

  request = DeviceRequest();
  request.set_page_size(1000);
  absl::StatusOr<v1::GetUtilizationResponse> whole = Get(request);
  ASSERT_TRUE(whole.ok());
  EXPECT_EQ(whole->rows_size(), 250);
  EXPECT_TRUE(whole->next_page_token().empty());
}

TEST_F(UtilizationPagingTest, UnitsAndModelsAnswerInOneResponse) {
  v1::GetUtilizationRequest request = DeviceRequest();
  request.set_group_by(v1::UTILIZATION_GROUPING_UNIT);
  request.set_page_size(1);
  absl::StatusOr<v1::GetUtilizationResponse> units = Get(request);
  ASSERT_TRUE(units.ok()) << units.status();
  ASSERT_EQ(units->rows_size(), 1);
  EXPECT_EQ(units->rows(0).devices(), 250u);
  EXPECT_TRUE(units->next_page_token().empty());
}

TEST_F(UtilizationPagingTest, BadPagingFieldsAreRefusedNamingTheField) {
  auto refused = [&](const v1::GetUtilizationRequest& request, const std::string& field) {
    absl::StatusOr<v1::GetUtilizationResponse> response = Get(request);
    ASSERT_FALSE(response.ok());
    EXPECT_EQ(response.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(response.status().message().substr(0, field.size() + 1), field + ":") << response.status();
  };
  v1::GetUtilizationRequest request = DeviceRequest();
  request.set_page_size(-1);
  refused(request, "page_size");
  request.set_page_size(1001);
  refused(request, "page_size");

  request = DeviceRequest();
  request.set_page_token("not-a-token");
  refused(request, "page_token");

  // A token is bound to the window's start and to the grouping.
  request = DeviceRequest();
  absl::StatusOr<v1::GetUtilizationResponse> first = Get(request);
  ASSERT_TRUE(first.ok());
  ASSERT_FALSE(first->next_page_token().empty());
  v1::GetUtilizationRequest other_window = DeviceRequest();
  *other_window.mutable_since() = storage::ToProtoTimestamp(BaseTime() - absl::Minutes(1));
  other_window.set_page_token(first->next_page_token());
  refused(other_window, "page_token");
  v1::GetUtilizationRequest by_unit = DeviceRequest();
  by_unit.set_group_by(v1::UTILIZATION_GROUPING_UNIT);
  by_unit.set_page_token(first->next_page_token());
  refused(by_unit, "page_token");
  // The same token with the window's end pinned differently still reads the next page (the CLI pins `until`).
  v1::GetUtilizationRequest later_end = DeviceRequest();
  *later_end.mutable_until() = storage::ToProtoTimestamp(BaseTime() + absl::Minutes(90));
  later_end.set_page_token(first->next_page_token());
  absl::StatusOr<v1::GetUtilizationResponse> second = Get(later_end);
  ASSERT_TRUE(second.ok()) << second.status();
  ASSERT_GT(second->rows_size(), 0);
  EXPECT_EQ(second->rows(0).asset_tag(), "PT-0100");
}

}  // namespace
}  // namespace pumptrack::service
