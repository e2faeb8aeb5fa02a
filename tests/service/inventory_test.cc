// InventoryService against the real server: GetDevice, ListDevices (paging, filters, tokens), Locate and
// GetDeviceHistory.

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "service_test_util.h"

namespace pumptrack::service {
namespace {

using google::protobuf::util::MessageDifferencer;
using testing_util::Agent;
using testing_util::BaseTime;
using testing_util::FromTimestamp;
using testing_util::GetAllHistory;
using testing_util::Obs;
using testing_util::SerialKey;
using testing_util::ServiceTest;
using testing_util::TagKey;
using testing_util::ToTimestamp;

std::string Tag(int i) { return absl::StrFormat("PT-%03d", i); }

// --- GetDevice ----------------------------------------------------------------------------------------------------

TEST_F(ServiceTest, GetDeviceByTagAndBySerialReturnTheSameDevice) {
  const v1::Observation o = Obs("PT-00042").Serial("ACME-778812").Seq(4).Model("Infusia 700");
  ASSERT_EQ(server().MustReport(o), v1::REPORT_RESULT_ACCEPTED);
  ASSERT_EQ(server().MustReport(Obs("PT-00043")), v1::REPORT_RESULT_ACCEPTED);

  v1::Device by_tag, by_serial;
  ASSERT_TRUE(server().GetDevice(TagKey("PT-00042"), &by_tag).ok());
  ASSERT_TRUE(server().GetDevice(SerialKey("ACME-778812"), &by_serial).ok());
  EXPECT_TRUE(MessageDifferencer::Equals(by_tag, by_serial));
  EXPECT_EQ(by_tag.identity().asset_tag(), "PT-00042");
  EXPECT_EQ(by_tag.identity().serial_number(), "ACME-778812");
  EXPECT_EQ(by_tag.identity().model(), "Infusia 700");
  EXPECT_TRUE(MessageDifferencer::Equals(by_tag.last_observation(), o)) << by_tag.last_observation().DebugString();
  EXPECT_EQ(by_tag.last_agent().agent_id(), "gw-5west-01");
  EXPECT_EQ(by_tag.accepted_reports(), 1u);
  EXPECT_EQ(FromTimestamp(by_tag.location_since()), BaseTime());
}

TEST_F(ServiceTest, GetDeviceUnknownIsNotFound) {
  ASSERT_EQ(server().MustReport(Obs("PT-1")), v1::REPORT_RESULT_ACCEPTED);
  v1::Device device;
  grpc::Status status = server().GetDevice(TagKey("PT-2"), &device);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << status.error_message();
  status = server().GetDevice(SerialKey("SN-unknown"), &device);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << status.error_message();
  status = server().GetDevice(TagKey("pt-1"), &device);  // tags are case-sensitive
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << status.error_message();
}

TEST_F(ServiceTest, GetDeviceWithoutKeyOrWithMalformedKeyIsInvalidArgument) {
  v1::Device device;
  grpc::Status status = server().GetDevice(v1::DeviceKey(), &device);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StartsWith(status.error_message(), "device: ")) << status.error_message();

  status = server().GetDevice(TagKey(""), &device);  // oneof set, but empty
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StartsWith(status.error_message(), "device.asset_tag: ")) << status.error_message();
  status = server().GetDevice(TagKey("PT 1"), &device);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StartsWith(status.error_message(), "device.asset_tag: ")) << status.error_message();
  status = server().GetDevice(SerialKey(std::string(65, 'S')), &device);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StartsWith(status.error_message(), "device.serial_number: ")) << status.error_message();
}

// --- ListDevices --------------------------------------------------------------------------------------------------

TEST_F(ServiceTest, ListDevicesPagesThroughEveryDeviceOnceInTagOrder) {
  std::vector<int> order = {7, 2, 9, 0, 5, 3, 8, 1, 6, 4};
  for (int i : order) ASSERT_EQ(server().MustReport(Obs(Tag(i))), v1::REPORT_RESULT_ACCEPTED);

  v1::ListDevicesRequest request;
  request.set_page_size(3);
  std::vector<std::string> tags;
  std::vector<int> page_sizes;
  for (int page = 0; page < 20; ++page) {
    v1::ListDevicesResponse response;
    grpc::Status status = server().ListDevices(request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    ASSERT_LE(response.devices_size(), 3);
    page_sizes.push_back(response.devices_size());
    for (const v1::Device& device : response.devices()) tags.push_back(device.identity().asset_tag());
    if (response.next_page_token().empty()) break;
    request.set_page_token(response.next_page_token());
  }
  std::vector<std::string> expected;
  for (int i = 0; i < 10; ++i) expected.push_back(Tag(i));
  EXPECT_EQ(tags, expected);
  EXPECT_EQ(page_sizes, (std::vector<int>{3, 3, 3, 1}));

  // page_size 0 means the default (100): everything on one page.
  v1::ListDevicesResponse all;
  ASSERT_TRUE(server().ListDevices(v1::ListDevicesRequest(), &all).ok());
  EXPECT_EQ(all.devices_size(), 10);
  EXPECT_TRUE(all.next_page_token().empty());
}

TEST_F(ServiceTest, ListDevicesExactMultipleOfPageSizeEndsWithoutToken) {
  for (int i = 0; i < 6; ++i) ASSERT_EQ(server().MustReport(Obs(Tag(i))), v1::REPORT_RESULT_ACCEPTED);
  v1::ListDevicesRequest request;
  request.set_page_size(3);
  int pages = 0;
  std::vector<std::string> tags = server().ListAllTags(request, &pages);
  EXPECT_EQ(tags.size(), 6u);
  EXPECT_LE(pages, 3);
}

class ListFilterTest : public ServiceTest {
 protected:
  void SetUp() override {
    ServiceTest::SetUp();
    struct Pump {
      const char* tag;
      const char* facility;
      const char* unit;
      const char* model;
      const char* firmware;
      v1::OperatingState state;
    };
    const std::vector<Pump> pumps = {
        {"PT-01", "general", "5-west", "Infusia 500", "12.1.3", v1::OPERATING_STATE_IDLE},
        {"PT-02", "general", "5-west", "Infusia 500", "12.2.0", v1::OPERATING_STATE_INFUSING},
        {"PT-03", "general", "4-east", "Infusia 700", "12.1.3", v1::OPERATING_STATE_INFUSING},
        {"PT-04", "annex", "1-north", "Infusia 500", "12.1.3", v1::OPERATING_STATE_ALARM},
        {"PT-05", "annex", "5-west", "Infusia 700", "11.0.0", v1::OPERATING_STATE_OFF},
        {"PT-06", "general", "4-east", "Infusia 500", "12.1.3", v1::OPERATING_STATE_IDLE},
    };
    for (const Pump& p : pumps) {
      ASSERT_EQ(server().MustReport(
                    Obs(p.tag).Facility(p.facility).Unit(p.unit).Model(p.model).Firmware(p.firmware).State(p.state)),
                v1::REPORT_RESULT_ACCEPTED);
    }
  }

  std::vector<std::string> List(const std::string& facility, const std::string& unit, const std::string& model,
                                const std::string& firmware, v1::OperatingState state, int page_size = 0) {
    v1::ListDevicesRequest request;
    request.set_facility(facility);
    request.set_unit(unit);
    request.set_model(model);
    request.set_firmware_version(firmware);
    request.set_operating_state(state);
    request.set_page_size(page_size);
    return server().ListAllTags(request);
  }

  using Tags = std::vector<std::string>;
  static constexpr v1::OperatingState kAny = v1::OPERATING_STATE_UNSPECIFIED;
};

TEST_F(ListFilterTest, EachFilterMatchesExactly) {
  EXPECT_EQ(List("", "5-west", "", "", kAny), (Tags{"PT-01", "PT-02", "PT-05"}));
  EXPECT_EQ(List("general", "", "", "", kAny), (Tags{"PT-01", "PT-02", "PT-03", "PT-06"}));
  EXPECT_EQ(List("", "", "Infusia 700", "", kAny), (Tags{"PT-03", "PT-05"}));
  EXPECT_EQ(List("", "", "", "12.1.3", kAny), (Tags{"PT-01", "PT-03", "PT-04", "PT-06"}));
  EXPECT_EQ(List("", "", "", "", v1::OPERATING_STATE_INFUSING), (Tags{"PT-02", "PT-03"}));
  EXPECT_EQ(List("", "", "", "", v1::OPERATING_STATE_ALARM), (Tags{"PT-04"}));
  EXPECT_EQ(List("nowhere", "", "", "", kAny), Tags{});
  EXPECT_EQ(List("", "5-wes", "", "", kAny), Tags{});        // exact, not prefix
  EXPECT_EQ(List("", "", "infusia 500", "", kAny), Tags{});  // case-sensitive
}

TEST_F(ListFilterTest, FiltersCombineAndPage) {
  EXPECT_EQ(List("general", "5-west", "", "", kAny), (Tags{"PT-01", "PT-02"}));
  EXPECT_EQ(List("", "4-east", "", "", v1::OPERATING_STATE_IDLE), (Tags{"PT-06"}));
  EXPECT_EQ(List("", "", "Infusia 500", "12.1.3", v1::OPERATING_STATE_IDLE), (Tags{"PT-01", "PT-06"}));
  EXPECT_EQ(List("annex", "", "Infusia 700", "11.0.0", v1::OPERATING_STATE_OFF), (Tags{"PT-05"}));
  EXPECT_EQ(List("annex", "4-east", "", "", kAny), Tags{});
  // Paging within a filter: one device per page.
  EXPECT_EQ(List("", "5-west", "", "", kAny, /*page_size=*/1), (Tags{"PT-01", "PT-02", "PT-05"}));
  EXPECT_EQ(List("general", "", "", "", kAny, /*page_size=*/2), (Tags{"PT-01", "PT-02", "PT-03", "PT-06"}));
}

TEST_F(ListFilterTest, FiltersFollowStateChanges) {
  ASSERT_EQ(
      server().MustReport(Obs("PT-01").Seq(2).Unit("4-east").Firmware("12.2.0").State(v1::OPERATING_STATE_INFUSING)),
      v1::REPORT_RESULT_ACCEPTED);
  EXPECT_EQ(List("", "5-west", "", "", kAny), (Tags{"PT-02", "PT-05"}));
  EXPECT_EQ(List("", "4-east", "", "", kAny), (Tags{"PT-01", "PT-03", "PT-06"}));
  EXPECT_EQ(List("", "", "", "12.2.0", kAny), (Tags{"PT-01", "PT-02"}));
  EXPECT_EQ(List("", "", "", "", v1::OPERATING_STATE_IDLE), (Tags{"PT-06"}));
}

TEST_F(ListFilterTest, PageTokenReusedWithOtherFiltersIsInvalidArgument) {
  v1::ListDevicesRequest request;
  request.set_unit("5-west");
  request.set_page_size(1);
  v1::ListDevicesResponse first;
  ASSERT_TRUE(server().ListDevices(request, &first).ok());
  ASSERT_FALSE(first.next_page_token().empty());

  std::vector<std::function<void(v1::ListDevicesRequest&)>> changes = {
      [](auto& r) { r.set_unit("4-east"); },
      [](auto& r) { r.clear_unit(); },
      [](auto& r) { r.set_facility("general"); },
      [](auto& r) { r.set_model("Infusia 500"); },
      [](auto& r) { r.set_firmware_version("12.1.3"); },
      [](auto& r) { r.set_operating_state(v1::OPERATING_STATE_IDLE); },
  };
  for (std::size_t i = 0; i < changes.size(); ++i) {
    SCOPED_TRACE(i);
    v1::ListDevicesRequest other = request;
    other.set_page_token(first.next_page_token());
    changes[i](other);
    v1::ListDevicesResponse response;
    grpc::Status status = server().ListDevices(other, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
    EXPECT_TRUE(absl::StartsWith(status.error_message(), "page_token: ")) << status.error_message();
  }
  // Same filters, other page size: the token stays valid.
  request.set_page_token(first.next_page_token());
  request.set_page_size(10);
  v1::ListDevicesResponse rest;
  ASSERT_TRUE(server().ListDevices(request, &rest).ok());
  EXPECT_EQ(rest.devices_size(), 2);
}

TEST_F(ServiceTest, ListDevicesGarbagePageTokenIsInvalidArgument) {
  for (const std::string& token :
       std::vector<std::string>{"garbage!!", "AAAA", "bm90IGEgdG9rZW4gYXQgYWxs", std::string("\x01\x02", 2)}) {
    SCOPED_TRACE(token);
    v1::ListDevicesRequest request;
    request.set_page_token(token);
    v1::ListDevicesResponse response;
    grpc::Status status = server().ListDevices(request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
    EXPECT_TRUE(absl::StartsWith(status.error_message(), "page_token: ")) << status.error_message();
  }
}

TEST_F(ServiceTest, ListDevicesPageSizeOutOfRangeIsInvalidArgument) {
  for (int page_size : {-1, 1001, -1000000}) {
    SCOPED_TRACE(page_size);
    v1::ListDevicesRequest request;
    request.set_page_size(page_size);
    v1::ListDevicesResponse response;
    grpc::Status status = server().ListDevices(request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
    EXPECT_TRUE(absl::StartsWith(status.error_message(), "page_size: ")) << status.error_message();
  }
  v1::ListDevicesRequest max;
  max.set_page_size(1000);
  v1::ListDevicesResponse response;
  EXPECT_TRUE(server().ListDevices(max, &response).ok());
}

TEST_F(ServiceTest, ListDevicesUnknownOperatingStateIsInvalidArgument) {
  v1::ListDevicesRequest request;
  request.set_operating_state(static_cast<v1::OperatingState>(99));
  v1::ListDevicesResponse response;
  grpc::Status status = server().ListDevices(request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_TRUE(absl::StartsWith(status.error_message(), "operating_state: ")) << status.error_message();
}

// --- Locate -------------------------------------------------------------------------------------------------------

// Issue #14: a report from a source that knows the firmware but not where the pump is (no location at all) keeps
// the known location: Locate still answers the unit, and history records only the firmware change.
TEST_F(ServiceTest, ReportWithoutLocationKeepsTheKnownLocation) {
  const absl::Time t0 = BaseTime();
  ASSERT_EQ(server().MustReport(Obs("PT-1").Seq(1).At(t0).Room("512")), v1::REPORT_RESULT_ACCEPTED);
  v1::Observation firmware_only = Obs("PT-1").Seq(2).At(t0 + absl::Seconds(30)).Firmware("12.2.0");
  firmware_only.clear_location();
  ASSERT_EQ(server().MustReport(firmware_only), v1::REPORT_RESULT_ACCEPTED);

  v1::LocateResponse located;
  ASSERT_TRUE(server().Locate(TagKey("PT-1"), &located).ok());
  EXPECT_EQ(located.location().facility(), "general");
  EXPECT_EQ(located.location().unit(), "5-west");
  EXPECT_EQ(located.location().room(), "512");
  EXPECT_EQ(FromTimestamp(located.since()), t0);
  const std::vector<v1::HistoryEntry> history = GetAllHistory(server(), "PT-1");
  ASSERT_EQ(history.size(), 2u);
  ASSERT_EQ(history[0].changes_size(), 1);
  EXPECT_EQ(history[0].changes(0), v1::CHANGE_KIND_FIRMWARE);

  // Saying so explicitly clears it.
  v1::Observation left = Obs("PT-1").Seq(3).At(t0 + absl::Seconds(60));
  left.mutable_location()->Clear();
  left.mutable_location()->set_left_known_places(true);
  ASSERT_EQ(server().MustReport(left), v1::REPORT_RESULT_ACCEPTED);
  ASSERT_TRUE(server().Locate(TagKey("PT-1"), &located).ok());
  EXPECT_TRUE(located.location().left_known_places());
  EXPECT_EQ(located.location().unit(), "");
  EXPECT_EQ(GetAllHistory(server(), "PT-1").front().changes(0), v1::CHANGE_KIND_LOCATION);

  // left_known_places with a place named is refused, naming the field.
  v1::Observation contradictory = Obs("PT-1").Seq(4).At(t0 + absl::Seconds(90));
  contradictory.mutable_location()->set_left_known_places(true);
  v1::ReportRequest request;
  *request.mutable_agent() = testing_util::Agent();
  *request.mutable_observation() = contradictory;
  v1::ReportResponse response;
  grpc::Status status = server().agent().Report(testing_util::Context().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StartsWith(status.error_message(), "observation.location.left_known_places: "))
      << status.error_message();
}

TEST_F(ServiceTest, LocateSinceStaysOnConfidenceChangeAndMovesOnRoomChange) {
  const absl::Time t0 = BaseTime();
  server().clock().Set(t0 + absl::Hours(3));
  ASSERT_EQ(server().MustReport(Obs("PT-1").Seq(1).At(t0).Room("512").Confidence(0.9f)), v1::REPORT_RESULT_ACCEPTED);

  v1::LocateResponse located;
  ASSERT_TRUE(server().Locate(TagKey("PT-1"), &located).ok());
  EXPECT_EQ(located.identity().asset_tag(), "PT-1");
  EXPECT_EQ(located.location().facility(), "general");
  EXPECT_EQ(located.location().unit(), "5-west");
  EXPECT_EQ(located.location().room(), "512");
  EXPECT_EQ(located.location().source(), v1::LOCATION_SOURCE_RTLS);
  EXPECT_FLOAT_EQ(located.location().confidence(), 0.9f);
  EXPECT_EQ(FromTimestamp(located.since()), t0);
  EXPECT_EQ(FromTimestamp(located.observed_at()), t0);
  EXPECT_EQ(FromTimestamp(located.last_seen_at()), t0 + absl::Hours(3));

  // Only the confidence changes: same place, `since` stays.
  ASSERT_EQ(server().MustReport(Obs("PT-1").Seq(2).At(t0 + absl::Hours(1)).Room("512").Confidence(0.4f)),
            v1::REPORT_RESULT_ACCEPTED);
  ASSERT_TRUE(server().Locate(TagKey("PT-1"), &located).ok());
  EXPECT_FLOAT_EQ(located.location().confidence(), 0.4f);
  EXPECT_EQ(FromTimestamp(located.since()), t0);
  EXPECT_EQ(FromTimestamp(located.observed_at()), t0 + absl::Hours(1));

  // The room changes: `since` moves to that observation.
  ASSERT_EQ(server().MustReport(Obs("PT-1").Seq(3).At(t0 + absl::Hours(2)).Room("514")), v1::REPORT_RESULT_ACCEPTED);
  ASSERT_TRUE(server().Locate(SerialKey("SN-PT-1"), &located).ok());
  EXPECT_EQ(located.location().room(), "514");
  EXPECT_EQ(FromTimestamp(located.since()), t0 + absl::Hours(2));
  EXPECT_EQ(FromTimestamp(located.observed_at()), t0 + absl::Hours(2));
}

TEST_F(ServiceTest, LocateUnknownOrUnkeyedDevice) {
  v1::LocateResponse located;
  EXPECT_EQ(server().Locate(TagKey("PT-404"), &located).error_code(), grpc::StatusCode::NOT_FOUND);
  grpc::Status status = server().Locate(v1::DeviceKey(), &located);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StartsWith(status.error_message(), "device: ")) << status.error_message();
}

// --- GetDeviceHistory ---------------------------------------------------------------------------------------------

class HistoryTest : public ServiceTest {
 protected:
  void SetUp() override {
    ServiceTest::SetUp();
    server().clock().Set(t0 + absl::Hours(5));
    // seq 1: first seen; 2: moved; 3: firmware; 4: confidence only (no entry); 5: moved + firmware.
    ASSERT_EQ(server().MustReport(Obs("PT-1").Seq(1).At(t0).Room("512")), v1::REPORT_RESULT_ACCEPTED);
    ASSERT_EQ(server().MustReport(Obs("PT-1").Seq(2).At(t0 + absl::Hours(1)).Room("513")), v1::REPORT_RESULT_ACCEPTED);
    ASSERT_EQ(server().MustReport(Obs("PT-1").Seq(3).At(t0 + absl::Hours(2)).Room("513").Firmware("12.2.0")),
              v1::REPORT_RESULT_ACCEPTED);
    ASSERT_EQ(
        server().MustReport(Obs("PT-1").Seq(4).At(t0 + absl::Hours(3)).Room("513").Firmware("12.2.0").Confidence(0.3f)),
        v1::REPORT_RESULT_ACCEPTED);
    ASSERT_EQ(server().MustReport(Obs("PT-1").Seq(5).At(t0 + absl::Hours(4)).Room("514").Firmware("12.3.0")),
              v1::REPORT_RESULT_ACCEPTED);
    ASSERT_EQ(server().MustReport(Obs("PT-2").Seq(1).At(t0)), v1::REPORT_RESULT_ACCEPTED);
  }

  v1::GetDeviceHistoryRequest Request(std::optional<absl::Time> start = std::nullopt,
                                      std::optional<absl::Time> end = std::nullopt, int page_size = 0) {
    v1::GetDeviceHistoryRequest request;
    *request.mutable_device() = TagKey("PT-1");
    if (start) *request.mutable_start_time() = ToTimestamp(*start);
    if (end) *request.mutable_end_time() = ToTimestamp(*end);
    request.set_page_size(page_size);
    return request;
  }

  static std::vector<std::uint64_t> Sequences(const std::vector<v1::HistoryEntry>& entries) {
    std::vector<std::uint64_t> sequences;
    for (const auto& entry : entries) sequences.push_back(entry.sequence());
    return sequences;
  }

  // Follows page tokens; returns all entries (and the number of pages).
  std::vector<v1::HistoryEntry> AllPages(v1::GetDeviceHistoryRequest request, int* pages) {
    std::vector<v1::HistoryEntry> entries;
    *pages = 0;
    for (int i = 0; i < 50; ++i) {
      v1::GetDeviceHistoryResponse response;
      grpc::Status status = server().History(request, &response);
      EXPECT_TRUE(status.ok()) << status.error_message();
      if (!status.ok()) break;
      ++*pages;
      entries.insert(entries.end(), response.entries().begin(), response.entries().end());
      if (response.next_page_token().empty()) break;
      request.set_page_token(response.next_page_token());
    }
    return entries;
  }

  const absl::Time t0 = BaseTime();
};

TEST_F(HistoryTest, NewestFirstWithChangeKindsAndSnapshots) {
  std::vector<v1::HistoryEntry> entries = GetAllHistory(server(), "PT-1");
  ASSERT_EQ(Sequences(entries), (std::vector<std::uint64_t>{5, 3, 2, 1}));

  EXPECT_EQ(FromTimestamp(entries[0].observed_at()), t0 + absl::Hours(4));
  EXPECT_THAT(entries[0].changes(),
              ::testing::UnorderedElementsAre(v1::CHANGE_KIND_LOCATION, v1::CHANGE_KIND_FIRMWARE));
  EXPECT_EQ(entries[0].before().location().room(), "513");
  EXPECT_EQ(entries[0].after().location().room(), "514");
  EXPECT_EQ(entries[0].before().firmware_version(), "12.2.0");
  EXPECT_EQ(entries[0].after().firmware_version(), "12.3.0");
  EXPECT_EQ(entries[0].agent_id(), "gw-5west-01");

  EXPECT_THAT(entries[1].changes(), ::testing::ElementsAre(v1::CHANGE_KIND_FIRMWARE));
  EXPECT_THAT(entries[2].changes(), ::testing::ElementsAre(v1::CHANGE_KIND_LOCATION));
  EXPECT_THAT(entries[3].changes(), ::testing::ElementsAre(v1::CHANGE_KIND_FIRST_SEEN));
  EXPECT_FALSE(entries[3].has_before());
  EXPECT_EQ(entries[3].after().location().room(), "512");
}

TEST_F(HistoryTest, TimeRangeIsStartInclusiveEndExclusive) {
  v1::GetDeviceHistoryResponse response;
  ASSERT_TRUE(server().History(Request(t0 + absl::Hours(1), t0 + absl::Hours(4)), &response).ok());
  EXPECT_EQ(Sequences({response.entries().begin(), response.entries().end()}), (std::vector<std::uint64_t>{3, 2}));

  ASSERT_TRUE(server().History(Request(t0 + absl::Hours(1), t0 + absl::Hours(4) + absl::Seconds(1)), &response).ok());
  EXPECT_EQ(Sequences({response.entries().begin(), response.entries().end()}), (std::vector<std::uint64_t>{5, 3, 2}));

  ASSERT_TRUE(server().History(Request(t0 + absl::Minutes(90)), &response).ok());  // open end
  EXPECT_EQ(Sequences({response.entries().begin(), response.entries().end()}), (std::vector<std::uint64_t>{5, 3}));

  ASSERT_TRUE(server().History(Request(std::nullopt, t0 + absl::Seconds(1)), &response).ok());  // open start
  EXPECT_EQ(Sequences({response.entries().begin(), response.entries().end()}), (std::vector<std::uint64_t>{1}));

  ASSERT_TRUE(server().History(Request(t0 + absl::Minutes(10), t0 + absl::Minutes(20)), &response).ok());
  EXPECT_EQ(response.entries_size(), 0);
  EXPECT_TRUE(response.next_page_token().empty());
}

TEST_F(HistoryTest, PagingReturnsEveryEntryOnceInOrder) {
  for (int page_size : {1, 2, 3}) {
    SCOPED_TRACE(page_size);
    int pages = 0;
    std::vector<v1::HistoryEntry> entries = AllPages(Request(std::nullopt, std::nullopt, page_size), &pages);
    EXPECT_EQ(Sequences(entries), (std::vector<std::uint64_t>{5, 3, 2, 1}));
    EXPECT_GE(pages, (4 + page_size - 1) / page_size);
    EXPECT_LE(pages, 4 / page_size + 1);
  }
  // Paging within a time range.
  int pages = 0;
  std::vector<v1::HistoryEntry> entries =
      AllPages(Request(t0 + absl::Hours(1), t0 + absl::Hours(5), /*page_size=*/1), &pages);
  EXPECT_EQ(Sequences(entries), (std::vector<std::uint64_t>{5, 3, 2}));
}

TEST_F(HistoryTest, PageTokenIsBoundToDeviceAndRange) {
  v1::GetDeviceHistoryRequest request = Request(t0, t0 + absl::Hours(5), 1);
  v1::GetDeviceHistoryResponse first;
  ASSERT_TRUE(server().History(request, &first).ok());
  ASSERT_FALSE(first.next_page_token().empty());

  v1::GetDeviceHistoryResponse response;
  v1::GetDeviceHistoryRequest other_range = Request(t0, t0 + absl::Hours(4), 1);
  other_range.set_page_token(first.next_page_token());
  grpc::Status status = server().History(other_range, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_TRUE(absl::StartsWith(status.error_message(), "page_token: ")) << status.error_message();

  v1::GetDeviceHistoryRequest other_device = request;
  *other_device.mutable_device() = TagKey("PT-2");
  other_device.set_page_token(first.next_page_token());
  status = server().History(other_device, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();

  v1::GetDeviceHistoryRequest garbage = request;
  garbage.set_page_token("xyz");
  status = server().History(garbage, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_TRUE(absl::StartsWith(status.error_message(), "page_token: ")) << status.error_message();
}

TEST_F(HistoryTest, InvalidRequestsAreRefused) {
  v1::GetDeviceHistoryResponse response;
  grpc::Status status = server().History(Request(t0 + absl::Hours(2), t0 + absl::Hours(2)), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StartsWith(status.error_message(), "end_time: ")) << status.error_message();

  v1::GetDeviceHistoryRequest bad_start = Request();
  bad_start.mutable_start_time()->set_nanos(-5);
  status = server().History(bad_start, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StartsWith(status.error_message(), "start_time: ")) << status.error_message();

  status = server().History(Request(std::nullopt, std::nullopt, -1), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StartsWith(status.error_message(), "page_size: ")) << status.error_message();
  status = server().History(Request(std::nullopt, std::nullopt, 1001), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  v1::GetDeviceHistoryRequest unknown = Request();
  *unknown.mutable_device() = TagKey("PT-404");
  EXPECT_EQ(server().History(unknown, &response).error_code(), grpc::StatusCode::NOT_FOUND);
  v1::GetDeviceHistoryRequest unkeyed = Request();
  unkeyed.clear_device();
  EXPECT_EQ(server().History(unkeyed, &response).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

}  // namespace
}  // namespace pumptrack::service
