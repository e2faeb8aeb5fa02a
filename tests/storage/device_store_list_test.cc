// Integration tests for DeviceStore::ListDevices: order, paging, every filter dimension and index maintenance.
#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/device_store.h"
#include "storage/keys.h"
#include "tests/storage/storage_test_util.h"

namespace pumptrack::storage {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using testing_util::BaseTime;
using testing_util::Batch;
using testing_util::Obs;

using Tags = std::vector<std::string>;

class DeviceStoreListTest : public testing_util::StorageTest {
 protected:
  // A small, mixed fleet. Note "5-west" exists in two facilities.
  //   tag     facility   unit    model         firmware  state
  //   PT-001  general    5-west  Infusia 500   12.1.3    IDLE
  //   PT-002  general    4-east  Infusia 500   12.1.4    INFUSING
  //   PT-003  general    5-west  Infusia 700   12.1.4    INFUSING
  //   PT-004  childrens  picu    Infusia 500   12.1.3    ALARM
  //   PT-005  childrens  5-west  Infusia 700   12.1.3    IDLE
  //   PT-006  general    5-west  Infusia 500   12.1.3    OFF
  void AddFleet() {
    Batch batch;  // deliberately not in tag order
    batch.Add(Obs("PT-004").Facility("childrens").Unit("picu").Firmware("12.1.3").State(v1::OPERATING_STATE_ALARM));
    batch.Add(Obs("PT-002").Unit("4-east").Firmware("12.1.4").State(v1::OPERATING_STATE_INFUSING));
    batch.Add(Obs("PT-006").Unit("5-west").Firmware("12.1.3").State(v1::OPERATING_STATE_OFF));
    batch.Add(Obs("PT-001").Unit("5-west").Firmware("12.1.3").State(v1::OPERATING_STATE_IDLE));
    batch.Add(Obs("PT-005")
                  .Facility("childrens")
                  .Unit("5-west")
                  .Model("Infusia 700")
                  .Firmware("12.1.3")
                  .State(v1::OPERATING_STATE_IDLE));
    batch.Add(Obs("PT-003").Unit("5-west").Model("Infusia 700").Firmware("12.1.4").State(v1::OPERATING_STATE_INFUSING));
    MustApply(batch);
  }
  bool HasIndexEntry(keys::IndexDimension dimension, absl::string_view value, absl::string_view tag) const {
    absl::StatusOr<std::optional<std::string>> entry =
        db_->Get(ColumnFamily::kDeviceIndex, keys::DeviceIndexKey(dimension, value, tag));
    EXPECT_TRUE(entry.ok()) << entry.status();
    return entry.ok() && entry->has_value();
  }
};

TEST_F(DeviceStoreListTest, NoFilterListsEveryDeviceInAssetTagOrder) {
  Batch batch;
  for (const char* tag : {"PT-010", "PT-002", "pt-001", "PT-007", "A-1", "PT-0100", "Z.9", "PT-1"}) {
    batch.Add(Obs(tag));
  }
  MustApply(batch);
  absl::StatusOr<DevicePage> page = store_->ListDevices({}, "", 100);
  ASSERT_TRUE(page.ok()) << page.status();
  Tags tags;
  for (const v1::Device& device : page->devices) tags.push_back(device.identity().asset_tag());
  // Byte order: digits < upper case < lower case; tags are case-sensitive.
  EXPECT_THAT(tags, ElementsAre("A-1", "PT-002", "PT-007", "PT-010", "PT-0100", "PT-1", "Z.9", "pt-001"));
  EXPECT_EQ(page->next_after_tag, "");
  // Listed devices carry their full state.
  EXPECT_EQ(page->devices.front().accepted_reports(), 1u);
  EXPECT_EQ(page->devices.front().last_observation().firmware_version(), "12.1.3");
}

TEST_F(DeviceStoreListTest, PagingVisitsEveryDeviceExactlyOnceInOrder) {
  Batch batch;
  Tags all;
  for (int i = 11; i >= 1; --i) {
    batch.Add(Obs(absl::StrFormat("PT-%03d", i)));
    all.push_back(absl::StrFormat("PT-%03d", i));
  }
  std::sort(all.begin(), all.end());
  MustApply(batch);

  for (int limit : {1, 3, 4, 11, 12}) {
    Tags seen;
    std::vector<std::size_t> page_sizes;
    std::string after;
    for (int guard = 0; guard < 100; ++guard) {
      absl::StatusOr<DevicePage> page = store_->ListDevices({}, after, limit);
      ASSERT_TRUE(page.ok()) << page.status();
      ASSERT_LE(page->devices.size(), static_cast<std::size_t>(limit));
      page_sizes.push_back(page->devices.size());
      for (const v1::Device& device : page->devices) seen.push_back(device.identity().asset_tag());
      if (page->next_after_tag.empty()) break;
      EXPECT_EQ(page->next_after_tag, seen.back()) << "limit " << limit;
      after = page->next_after_tag;
    }
    EXPECT_EQ(seen, all) << "limit " << limit;
    const std::size_t full_pages = all.size() / limit;
    EXPECT_EQ(page_sizes.size(), full_pages + (all.size() % limit != 0 ? 1 : 0)) << "limit " << limit;
  }

  // Resuming after a tag that is not stored continues at the next greater one.
  absl::StatusOr<DevicePage> page = store_->ListDevices({}, "PT-0055", 2);
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->devices.size(), 2u);
  EXPECT_EQ(page->devices[0].identity().asset_tag(), "PT-006");
  EXPECT_EQ(page->devices[1].identity().asset_tag(), "PT-007");
  EXPECT_EQ(page->next_after_tag, "PT-007");
}

TEST_F(DeviceStoreListTest, FilterByUnit) {
  AddFleet();
  EXPECT_EQ(ListTags(DeviceFilter{.unit = "5-west"}), (Tags{"PT-001", "PT-003", "PT-005", "PT-006"}));
  EXPECT_EQ(ListTags(DeviceFilter{.unit = "4-east"}), (Tags{"PT-002"}));
  EXPECT_EQ(ListTags(DeviceFilter{.unit = "picu"}), (Tags{"PT-004"}));
  // Exact match only: no prefix matches.
  EXPECT_THAT(ListTags(DeviceFilter{.unit = "5-"}), IsEmpty());
  EXPECT_THAT(ListTags(DeviceFilter{.unit = "5-west-annex"}), IsEmpty());
}

TEST_F(DeviceStoreListTest, FilterByFacility) {
  AddFleet();
  EXPECT_EQ(ListTags(DeviceFilter{.facility = "general"}), (Tags{"PT-001", "PT-002", "PT-003", "PT-006"}));
  EXPECT_EQ(ListTags(DeviceFilter{.facility = "childrens"}), (Tags{"PT-004", "PT-005"}));
}

TEST_F(DeviceStoreListTest, FilterByModel) {
  AddFleet();
  EXPECT_EQ(ListTags(DeviceFilter{.model = "Infusia 700"}), (Tags{"PT-003", "PT-005"}));
  EXPECT_EQ(ListTags(DeviceFilter{.model = "Infusia 500"}), (Tags{"PT-001", "PT-002", "PT-004", "PT-006"}));
}

TEST_F(DeviceStoreListTest, FilterByFirmware) {
  AddFleet();
  EXPECT_EQ(ListTags(DeviceFilter{.firmware_version = "12.1.4"}), (Tags{"PT-002", "PT-003"}));
  EXPECT_EQ(ListTags(DeviceFilter{.firmware_version = "12.1.3"}), (Tags{"PT-001", "PT-004", "PT-005", "PT-006"}));
  EXPECT_THAT(ListTags(DeviceFilter{.firmware_version = "12.1"}), IsEmpty());
}

TEST_F(DeviceStoreListTest, FilterByOperatingState) {
  AddFleet();
  EXPECT_EQ(ListTags(DeviceFilter{.operating_state = v1::OPERATING_STATE_INFUSING}), (Tags{"PT-002", "PT-003"}));
  EXPECT_EQ(ListTags(DeviceFilter{.operating_state = v1::OPERATING_STATE_IDLE}), (Tags{"PT-001", "PT-005"}));
  EXPECT_EQ(ListTags(DeviceFilter{.operating_state = v1::OPERATING_STATE_ALARM}), (Tags{"PT-004"}));
  EXPECT_EQ(ListTags(DeviceFilter{.operating_state = v1::OPERATING_STATE_OFF}), (Tags{"PT-006"}));
}

TEST_F(DeviceStoreListTest, CombinedFiltersMustAllMatch) {
  AddFleet();
  EXPECT_EQ(ListTags(DeviceFilter{.facility = "general", .unit = "5-west"}), (Tags{"PT-001", "PT-003", "PT-006"}));
  EXPECT_EQ(ListTags(DeviceFilter{.unit = "5-west", .operating_state = v1::OPERATING_STATE_IDLE}),
            (Tags{"PT-001", "PT-005"}));
  EXPECT_EQ(ListTags(DeviceFilter{.facility = "childrens", .model = "Infusia 500"}), (Tags{"PT-004"}));
  EXPECT_EQ(ListTags(DeviceFilter{
                .model = "Infusia 500", .firmware_version = "12.1.3", .operating_state = v1::OPERATING_STATE_IDLE}),
            (Tags{"PT-001"}));
  EXPECT_EQ(ListTags(DeviceFilter{.facility = "general",
                                  .unit = "5-west",
                                  .model = "Infusia 700",
                                  .firmware_version = "12.1.4",
                                  .operating_state = v1::OPERATING_STATE_INFUSING}),
            (Tags{"PT-003"}));
  EXPECT_THAT(ListTags(DeviceFilter{.facility = "childrens", .unit = "4-east"}), IsEmpty());
  EXPECT_THAT(ListTags(DeviceFilter{.firmware_version = "12.1.4", .operating_state = v1::OPERATING_STATE_IDLE}),
              IsEmpty());
}

TEST_F(DeviceStoreListTest, PagingWithAFilterVisitsEveryMatchOnce) {
  AddFleet();
  for (int limit : {1, 2, 3}) {
    EXPECT_EQ(ListTags(DeviceFilter{.unit = "5-west"}, limit), (Tags{"PT-001", "PT-003", "PT-005", "PT-006"}))
        << "limit " << limit;
    EXPECT_EQ(ListTags(DeviceFilter{.facility = "general", .unit = "5-west"}, limit),
              (Tags{"PT-001", "PT-003", "PT-006"}))
        << "limit " << limit;
  }
  absl::StatusOr<DevicePage> page = store_->ListDevices(DeviceFilter{.unit = "5-west"}, "PT-001", 2);
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->devices.size(), 2u);
  EXPECT_EQ(page->devices[0].identity().asset_tag(), "PT-003");
  EXPECT_EQ(page->devices[1].identity().asset_tag(), "PT-005");
  EXPECT_EQ(page->next_after_tag, "PT-005");
}

TEST_F(DeviceStoreListTest, IndexesFollowMovesUpgradesAndStateChanges) {
  AddFleet();
  // PT-001 moves from general/5-west to childrens/picu, is upgraded to 12.1.4 and starts infusing.
  ASSERT_EQ(MustApplyOne(Obs("PT-001")
                             .Seq(2)
                             .At(BaseTime() + absl::Minutes(30))
                             .Facility("childrens")
                             .Unit("picu")
                             .Firmware("12.1.4")
                             .State(v1::OPERATING_STATE_INFUSING)),
            ApplyResult::kAccepted);

  EXPECT_EQ(ListTags(DeviceFilter{.unit = "5-west"}), (Tags{"PT-003", "PT-005", "PT-006"}));
  EXPECT_EQ(ListTags(DeviceFilter{.unit = "picu"}), (Tags{"PT-001", "PT-004"}));
  EXPECT_EQ(ListTags(DeviceFilter{.facility = "general"}), (Tags{"PT-002", "PT-003", "PT-006"}));
  EXPECT_EQ(ListTags(DeviceFilter{.facility = "childrens"}), (Tags{"PT-001", "PT-004", "PT-005"}));
  EXPECT_EQ(ListTags(DeviceFilter{.firmware_version = "12.1.3"}), (Tags{"PT-004", "PT-005", "PT-006"}));
  EXPECT_EQ(ListTags(DeviceFilter{.operating_state = v1::OPERATING_STATE_IDLE}), (Tags{"PT-005"}));
  EXPECT_EQ(ListTags(DeviceFilter{.operating_state = v1::OPERATING_STATE_INFUSING}),
            (Tags{"PT-001", "PT-002", "PT-003"}));

  // The stale index entries are really deleted, not merely filtered out; unchanged ones are kept.
  EXPECT_FALSE(HasIndexEntry(keys::IndexDimension::kUnit, "5-west", "PT-001"));
  EXPECT_FALSE(HasIndexEntry(keys::IndexDimension::kFacility, "general", "PT-001"));
  EXPECT_FALSE(HasIndexEntry(keys::IndexDimension::kFirmware, "12.1.3", "PT-001"));
  EXPECT_FALSE(HasIndexEntry(keys::IndexDimension::kOperatingState, "OPERATING_STATE_IDLE", "PT-001"));
  EXPECT_TRUE(HasIndexEntry(keys::IndexDimension::kUnit, "picu", "PT-001"));
  EXPECT_TRUE(HasIndexEntry(keys::IndexDimension::kModel, "Infusia 500", "PT-001"));
  EXPECT_TRUE(HasIndexEntry(keys::IndexDimension::kOperatingState, "OPERATING_STATE_INFUSING", "PT-001"));

  // A device whose new observation leaves the unit empty drops out of every unit index.
  ASSERT_EQ(MustApplyOne(Obs("PT-006").Seq(2).At(BaseTime() + absl::Minutes(31)).Unit("")), ApplyResult::kAccepted);
  EXPECT_EQ(ListTags(DeviceFilter{.unit = "5-west"}), (Tags{"PT-003", "PT-005"}));
  EXPECT_FALSE(HasIndexEntry(keys::IndexDimension::kUnit, "5-west", "PT-006"));
  EXPECT_EQ(ListTags({}).size(), 6u);
}

TEST_F(DeviceStoreListTest, EmptyStoreAndUnknownFilterValuesGiveEmptyPages) {
  absl::StatusOr<DevicePage> empty = store_->ListDevices({}, "", 10);
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_THAT(empty->devices, IsEmpty());
  EXPECT_EQ(empty->next_after_tag, "");

  AddFleet();
  for (const DeviceFilter& filter : {DeviceFilter{.unit = "9-north"}, DeviceFilter{.facility = "annex"},
                                     DeviceFilter{.model = "Infusia 900"}, DeviceFilter{.firmware_version = "99.0"}}) {
    absl::StatusOr<DevicePage> page = store_->ListDevices(filter, "", 10);
    ASSERT_TRUE(page.ok()) << page.status();
    EXPECT_THAT(page->devices, IsEmpty());
    EXPECT_EQ(page->next_after_tag, "");
  }
  // Resuming after the last device gives an empty, complete page.
  absl::StatusOr<DevicePage> past_end = store_->ListDevices({}, "PT-006", 10);
  ASSERT_TRUE(past_end.ok()) << past_end.status();
  EXPECT_THAT(past_end->devices, IsEmpty());
  EXPECT_EQ(past_end->next_after_tag, "");
}

}  // namespace
}  // namespace pumptrack::storage
