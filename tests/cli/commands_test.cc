// The commands against a real gRPC server on 127.0.0.1 serving canned devices.
#include "cli/commands.h"

#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cli/errors.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/cli/fake_inventory_service.h"

namespace pumptrack::cli {
namespace {

using ::testing::ElementsAre;
using testing::FakeInventoryService;
using ::testing::HasSubstr;
using testing::MakeDevice;
using ::testing::Not;
using testing::TestNow;
using testing::TestServer;

v1::DeviceKey Tag(const std::string& tag) {
  v1::DeviceKey key;
  key.set_asset_tag(tag);
  return key;
}

v1::HistoryEntry Change(absl::Duration ago, uint64_t sequence, const std::string& room) {
  v1::HistoryEntry entry;
  *entry.mutable_observed_at() = ToProtoTimestamp(TestNow() - ago);
  entry.set_sequence(sequence);
  entry.set_agent_id("gw-5west-01");
  entry.add_changes(v1::CHANGE_KIND_LOCATION);
  entry.mutable_before()->mutable_location()->set_room("511");
  entry.mutable_after()->mutable_location()->set_room(room);
  return entry;
}

class CommandsTest : public ::testing::Test {
 protected:
  CommandsTest() {
    service_.AddDevice(MakeDevice("PT-00001", "SN-1", "Infusia 500", "12.1.3", "general", "5-west", "501",
                                  v1::OPERATING_STATE_IDLE, absl::Seconds(5)));
    service_.AddDevice(MakeDevice("PT-00002", "SN-2", "Infusia 500", "12.1.3", "general", "5-west", "502",
                                  v1::OPERATING_STATE_INFUSING, absl::Seconds(15)));
    service_.AddDevice(MakeDevice("PT-00003", "SN-3", "Infusia 700", "12.0.9", "general", "icu", "3",
                                  v1::OPERATING_STATE_IDLE, absl::Minutes(2)));
    service_.AddDevice(MakeDevice("PT-00004", "SN-4", "Infusia 500", "12.1.3", "east", "er", "7",
                                  v1::OPERATING_STATE_ALARM, absl::Hours(1)));
    service_.AddDevice(MakeDevice("PT-00005", "SN-5", "Infusia 500", "12.1.2", "general", "5-west", "512",
                                  v1::OPERATING_STATE_OFF, absl::Hours(30)));
    connection_.server = server_.address();
    connection_.insecure = true;
  }

  CommandContext Context(OutputFormat format = OutputFormat::kTable) {
    return CommandContext{.stub = *stub_, .connection = connection_, .format = format, .now = TestNow(), .out = out_};
  }

  std::vector<std::string> RequestedPageTokens() const {
    std::vector<std::string> tokens;
    for (const v1::ListDevicesRequest& request : service_.list_requests()) tokens.push_back(request.page_token());
    return tokens;
  }

  FakeInventoryService service_;
  TestServer server_{service_};
  std::unique_ptr<v1::InventoryService::Stub> stub_ = server_.NewStub();
  ConnectionOptions connection_;
  std::ostringstream out_;
};

TEST_F(CommandsTest, ListDevicesFollowsEveryPage) {
  ListDevicesOptions options;
  options.filter.set_page_size(2);
  ASSERT_TRUE(ListDevices(Context(), options).ok());
  EXPECT_THAT(RequestedPageTokens(), ElementsAre("", "after:PT-00002", "after:PT-00004"));
  EXPECT_EQ(out_.str(),
            "TAG       SERIAL  MODEL        FIRMWARE  FACILITY/UNIT/ROOM  STATE     LAST SEEN\n"
            "PT-00001  SN-1    Infusia 500  12.1.3    general/5-west/501  idle      5s ago\n"
            "PT-00002  SN-2    Infusia 500  12.1.3    general/5-west/502  infusing  15s ago\n"
            "PT-00003  SN-3    Infusia 700  12.0.9    general/icu/3       idle      2m ago\n"
            "PT-00004  SN-4    Infusia 500  12.1.3    east/er/7           alarm     1h ago\n"
            "PT-00005  SN-5    Infusia 500  12.1.2    general/5-west/512  off       1d ago\n");
}

TEST_F(CommandsTest, ListDevicesSendsTheSameFiltersWithEveryPage) {
  ListDevicesOptions options;
  options.filter.set_facility("general");
  options.filter.set_model("Infusia 500");
  options.filter.set_operating_state(v1::OPERATING_STATE_IDLE);
  options.filter.set_page_size(1);
  const std::vector<v1::Device> devices = FetchDevices(*stub_, connection_, options).value();
  ASSERT_EQ(devices.size(), 1u);
  EXPECT_EQ(devices[0].identity().asset_tag(), "PT-00001");
  for (const v1::ListDevicesRequest& request : service_.list_requests()) {
    EXPECT_EQ(request.facility(), "general");
    EXPECT_EQ(request.model(), "Infusia 500");
    EXPECT_EQ(request.operating_state(), v1::OPERATING_STATE_IDLE);
    EXPECT_EQ(request.page_size(), 1);
  }
}

TEST_F(CommandsTest, ListDevicesStopsAtTheLimit) {
  ListDevicesOptions options;
  options.filter.set_page_size(2);
  options.limit = 3;
  const std::vector<v1::Device> devices = FetchDevices(*stub_, connection_, options).value();
  ASSERT_EQ(devices.size(), 3u);
  EXPECT_EQ(devices[2].identity().asset_tag(), "PT-00003");
  EXPECT_THAT(RequestedPageTokens(), ElementsAre("", "after:PT-00002"));
}

TEST_F(CommandsTest, ListDevicesAsksForNoMoreThanTheLimit) {
  ListDevicesOptions options;
  options.limit = 2;
  const std::vector<v1::Device> devices = FetchDevices(*stub_, connection_, options).value();
  EXPECT_EQ(devices.size(), 2u);
  ASSERT_EQ(service_.list_requests().size(), 1u);
  EXPECT_EQ(service_.list_requests()[0].page_size(), 2);
}

TEST_F(CommandsTest, ListDevicesAsJsonIsOneArrayOfDevices) {
  ListDevicesOptions options;
  options.filter.set_page_size(2);
  ASSERT_TRUE(ListDevices(Context(OutputFormat::kJson), options).ok());
  v1::ListDevicesResponse parsed;
  ASSERT_TRUE(
      google::protobuf::util::JsonStringToMessage(absl::StrCat("{\"devices\": ", out_.str(), "}"), &parsed).ok())
      << out_.str();
  ASSERT_EQ(parsed.devices_size(), 5);
  EXPECT_EQ(parsed.devices(4).identity().asset_tag(), "PT-00005");
}

TEST_F(CommandsTest, ListDevicesWithNoMatchSaysSo) {
  ListDevicesOptions options;
  options.filter.set_facility("nowhere");
  ASSERT_TRUE(ListDevices(Context(), options).ok());
  EXPECT_EQ(out_.str(), "No devices found.\n");
  std::ostringstream json;
  ASSERT_TRUE(
      ListDevices(
          CommandContext{
              .stub = *stub_, .connection = connection_, .format = OutputFormat::kJson, .now = TestNow(), .out = json},
          options)
          .ok());
  EXPECT_EQ(json.str(), "[]\n");
}

TEST_F(CommandsTest, ListDevicesIgnoresAPageTokenInTheFilter) {
  ListDevicesOptions options;
  options.filter.set_page_token("forged");  // ignored: the command manages page tokens itself
  options.filter.set_page_size(2);
  ASSERT_TRUE(ListDevices(Context(), options).ok());
  EXPECT_EQ(RequestedPageTokens()[0], "");
}

TEST_F(CommandsTest, GetDevicePrintsTheDetailBlock) {
  ASSERT_TRUE(GetDevice(Context(), Tag("PT-00003")).ok());
  EXPECT_THAT(out_.str(), HasSubstr("Asset tag:            PT-00003\n"));
  EXPECT_THAT(out_.str(), HasSubstr("Model:                Infusia 700\n"));
  EXPECT_THAT(out_.str(), HasSubstr("Firmware:             12.0.9\n"));
  EXPECT_THAT(out_.str(), HasSubstr("Last seen:            2026-11-29 10:03:00Z (2m ago)\n"));
}

TEST_F(CommandsTest, GetDeviceBySerialNumber) {
  v1::DeviceKey key;
  key.set_serial_number("SN-4");
  ASSERT_TRUE(GetDevice(Context(OutputFormat::kJson), key).ok());
  v1::Device parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(out_.str(), &parsed).ok());
  EXPECT_EQ(parsed.identity().asset_tag(), "PT-00004");
}

TEST_F(CommandsTest, GetDeviceOfAnUnknownTagIsNotFound) {
  const absl::Status status = GetDevice(Context(), Tag("PT-09999"));
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ErrorLine(status), "pumptrack: device PT-09999 not found (NOT_FOUND)");
  EXPECT_EQ(out_.str(), "");
}

TEST_F(CommandsTest, LocatePrintsOneLine) {
  v1::Device device = MakeDevice("PT-00042", "SN-42", "Infusia 500", "12.1.3", "general", "5-west", "512",
                                 v1::OPERATING_STATE_IDLE, absl::Seconds(12));
  v1::Location& location = *device.mutable_last_observation()->mutable_location();
  location.set_building("north");
  location.set_floor("3");
  location.set_source(v1::LOCATION_SOURCE_RTLS);
  location.set_confidence(0.95f);
  *device.mutable_location_since() =
      ToProtoTimestamp(absl::FromCivil(absl::CivilSecond(2026, 11, 29, 10, 2, 11), absl::UTCTimeZone()));
  service_.AddDevice(device);

  ASSERT_TRUE(Locate(Context(), Tag("PT-00042")).ok());
  EXPECT_EQ(out_.str(),
            "PT-00042 is in general / north / 3 / 5-west / room 512 since 2026-11-29 10:02:11Z (2m ago), RTLS, "
            "confidence 0.95, last seen 12s ago\n");
}

TEST_F(CommandsTest, LocateOfAnUnknownSerialIsNotFound) {
  v1::DeviceKey key;
  key.set_serial_number("SN-404");
  const absl::Status status = Locate(Context(), key);
  EXPECT_EQ(ErrorLine(status), "pumptrack: device with serial SN-404 not found (NOT_FOUND)");
}

TEST_F(CommandsTest, HistoryFollowsPagesNewestFirst) {
  std::vector<v1::HistoryEntry> entries;
  for (int i = 0; i < 250; ++i) entries.push_back(Change(absl::Minutes(i + 1), 1000 - i, absl::StrCat(600 + i)));
  service_.SetHistory("PT-00001", entries);
  HistoryOptions options{.device = Tag("PT-00001")};
  const std::vector<v1::HistoryEntry> fetched = FetchHistory(*stub_, connection_, options).value();
  ASSERT_EQ(fetched.size(), 250u);
  EXPECT_EQ(fetched.front().sequence(), 1000u);
  EXPECT_EQ(fetched.back().sequence(), 751u);
  EXPECT_EQ(service_.history_requests().size(), 3u);
}

TEST_F(CommandsTest, HistorySendsTheTimeRangeAndStopsAtTheLimit) {
  service_.SetHistory("PT-00001", {Change(absl::Minutes(1), 3, "503"), Change(absl::Minutes(2), 2, "502"),
                                   Change(absl::Hours(5), 1, "501")});
  HistoryOptions options{
      .device = Tag("PT-00001"), .start = TestNow() - absl::Hours(1), .end = TestNow() - absl::Seconds(30), .limit = 1};
  ASSERT_TRUE(ShowHistory(Context(), options).ok());
  ASSERT_EQ(service_.history_requests().size(), 1u);
  const v1::GetDeviceHistoryRequest request = service_.history_requests()[0];
  EXPECT_EQ(ToAbslTime(request.start_time()), TestNow() - absl::Hours(1));
  EXPECT_EQ(ToAbslTime(request.end_time()), TestNow() - absl::Seconds(30));
  EXPECT_EQ(request.page_size(), 1);
  EXPECT_EQ(out_.str(),
            "OBSERVED AT           SEQ  AGENT        CHANGES\n"
            "2026-11-29 10:04:00Z  3    gw-5west-01  location 511 -> 503\n");
}

TEST_F(CommandsTest, HistoryWithoutRangeSendsNoBounds) {
  HistoryOptions options{.device = Tag("PT-00001")};
  ASSERT_TRUE(ShowHistory(Context(), options).ok());
  ASSERT_EQ(service_.history_requests().size(), 1u);
  EXPECT_FALSE(service_.history_requests()[0].has_start_time());
  EXPECT_FALSE(service_.history_requests()[0].has_end_time());
  EXPECT_EQ(out_.str(), "No changes found.\n");
}

TEST_F(CommandsTest, HistoryAsJsonIsOneArrayOfEntries) {
  service_.SetHistory("PT-00002", {Change(absl::Minutes(1), 2, "502"), Change(absl::Minutes(2), 1, "501")});
  ASSERT_TRUE(ShowHistory(Context(OutputFormat::kJson), HistoryOptions{.device = Tag("PT-00002")}).ok());
  v1::GetDeviceHistoryResponse parsed;
  ASSERT_TRUE(
      google::protobuf::util::JsonStringToMessage(absl::StrCat("{\"entries\": ", out_.str(), "}"), &parsed).ok())
      << out_.str();
  ASSERT_EQ(parsed.entries_size(), 2);
  EXPECT_EQ(parsed.entries(0).sequence(), 2u);
}

TEST_F(CommandsTest, HistoryOfAnUnknownDeviceIsNotFound) {
  const absl::Status status = ShowHistory(Context(), HistoryOptions{.device = Tag("PT-09999")});
  EXPECT_EQ(ErrorLine(status), "pumptrack: device PT-09999 not found (NOT_FOUND)");
}

TEST_F(CommandsTest, EachCallHasTheConfiguredDeadline) {
  service_.SetDelay(absl::Milliseconds(500));
  connection_.timeout = absl::Milliseconds(50);
  const absl::Status status = GetDevice(Context(), Tag("PT-00001"));
  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(status.message(), absl::StrCat("no answer from ", server_.address(), " within 50ms"));
}

// Answers every ListDevices call with one device and the same next-page token.
class StuckPagingService final : public v1::InventoryService::Service {
  grpc::Status ListDevices(grpc::ServerContext*, const v1::ListDevicesRequest*,
                           v1::ListDevicesResponse* response) override {
    response->add_devices()->mutable_identity()->set_asset_tag("PT-00001");
    response->set_next_page_token("same");
    return grpc::Status::OK;
  }
};

TEST(PagingTest, StopsWhenTheServerRepeatsAPageToken) {
  StuckPagingService service;
  TestServer server(service);
  std::unique_ptr<v1::InventoryService::Stub> stub = server.NewStub();
  ConnectionOptions connection;
  connection.server = server.address();
  std::ostringstream out;
  const absl::Status status = ListDevices(
      CommandContext{.stub = *stub, .connection = connection, .now = TestNow(), .out = out}, ListDevicesOptions{});
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(status.message(), "the server returned the same page token twice; stopping");
  EXPECT_EQ(out.str(), "");
}

// Fails ListDevices after the first page.
class FailingSecondPageService final : public v1::InventoryService::Service {
  grpc::Status ListDevices(grpc::ServerContext*, const v1::ListDevicesRequest* request,
                           v1::ListDevicesResponse* response) override {
    if (!request->page_token().empty()) return grpc::Status(grpc::StatusCode::INTERNAL, "storage read failed");
    response->add_devices()->mutable_identity()->set_asset_tag("PT-00001");
    response->set_next_page_token("page-2");
    return grpc::Status::OK;
  }
};

TEST(PagingTest, AFailedLaterPagePrintsNothing) {
  FailingSecondPageService service;
  TestServer server(service);
  std::unique_ptr<v1::InventoryService::Stub> stub = server.NewStub();
  ConnectionOptions connection;
  connection.server = server.address();
  std::ostringstream out;
  const absl::Status status = ListDevices(
      CommandContext{.stub = *stub, .connection = connection, .now = TestNow(), .out = out}, ListDevicesOptions{});
  EXPECT_EQ(ErrorLine(status), "pumptrack: device list: storage read failed (INTERNAL)");
  EXPECT_THAT(out.str(), Not(HasSubstr("PT-00001")));
}

}  // namespace
}  // namespace pumptrack::cli
