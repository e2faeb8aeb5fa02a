#include "cli/json.h"

#include <sstream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "pumptrack/v1/inventory_service.pb.h"
#include "tests/cli/fake_inventory_service.h"

namespace pumptrack::cli {
namespace {

using ::testing::HasSubstr;
using testing::MakeDevice;
using ::testing::StartsWith;

v1::Device Pump(const std::string& tag) {
  return MakeDevice(tag, "SN-" + tag, "Infusia 500", "12.1.3", "general", "5-west", "512", v1::OPERATING_STATE_IDLE,
                    absl::Seconds(12));
}

// Parses a JSON array of Device by wrapping it as a ListDevicesResponse.
v1::ListDevicesResponse ParseDeviceArray(const std::string& json) {
  v1::ListDevicesResponse response;
  const auto status = google::protobuf::util::JsonStringToMessage(absl::StrCat("{\"devices\": ", json, "}"), &response);
  EXPECT_TRUE(status.ok()) << status.ToString() << "\n" << json;
  return response;
}

TEST(ToJsonTest, UsesCamelCaseNamesEnumNamesAndRfc3339Times) {
  const std::string json = ToJson(Pump("PT-00042")).value();
  EXPECT_THAT(json, HasSubstr("\"assetTag\": \"PT-00042\""));
  EXPECT_THAT(json, HasSubstr("\"operatingState\": \"OPERATING_STATE_IDLE\""));
  EXPECT_THAT(json, HasSubstr("\"lastSeenAt\": \"2026-11-29T10:04:48Z\""));
}

TEST(ToJsonTest, IncludesDefaultValuesAndNoTrailingNewline) {
  const std::string json = ToJson(Pump("PT-00042")).value();
  EXPECT_THAT(json, HasSubstr("\"acceptedReports\": \"0\""));
  EXPECT_NE(json.back(), '\n');
}

TEST(PrintJsonTest, PrintsOneObjectAndANewline) {
  std::ostringstream out;
  ASSERT_TRUE(PrintJson(Pump("PT-00042"), out).ok());
  EXPECT_THAT(out.str(), StartsWith("{"));
  EXPECT_EQ(out.str().substr(out.str().size() - 2), "}\n");
  v1::Device parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(out.str(), &parsed).ok());
  EXPECT_EQ(parsed.identity().asset_tag(), "PT-00042");
}

TEST(PrintJsonArrayTest, EmptyIsAnEmptyArray) {
  std::ostringstream out;
  ASSERT_TRUE(PrintJsonArrayOf(std::vector<v1::Device>{}, out).ok());
  EXPECT_EQ(out.str(), "[]\n");
}

TEST(PrintJsonArrayTest, PrintsEveryMessageInOrderAsOneArray) {
  const std::vector<v1::Device> devices = {Pump("PT-00001"), Pump("PT-00002"), Pump("PT-00003")};
  std::ostringstream out;
  ASSERT_TRUE(PrintJsonArrayOf(devices, out).ok());
  // Nested one level deeper than protobuf's own one-space indentation.
  EXPECT_THAT(out.str(), StartsWith("[\n {\n  \"identity\": {\n   \"assetTag\": \"PT-00001\""));
  EXPECT_EQ(out.str().substr(out.str().size() - 5), " }\n]\n");
  const v1::ListDevicesResponse parsed = ParseDeviceArray(out.str());
  ASSERT_EQ(parsed.devices_size(), 3);
  EXPECT_EQ(parsed.devices(0).identity().asset_tag(), "PT-00001");
  EXPECT_EQ(parsed.devices(2).identity().asset_tag(), "PT-00003");
}

TEST(ToJsonLineTest, IsOneCompactLine) {
  const std::string json = ToJsonLine(Pump("PT-00042")).value();
  EXPECT_EQ(json.find('\n'), std::string::npos);
  EXPECT_THAT(json, HasSubstr("\"assetTag\":\"PT-00042\""));
  EXPECT_THAT(json, HasSubstr("\"acceptedReports\":\"0\""));
  EXPECT_EQ(json.front(), '{');
  EXPECT_EQ(json.back(), '}');
}

}  // namespace
}  // namespace pumptrack::cli
