// The battery slice on the real in-process server (127.0.0.1:0, fresh RocksDB) over gRPC: battery health and cycle
// count are stored with the device and carried over reports that do not say; BATTERY_DEGRADED opens on a worn
// battery and resolves when a report shows a replaced one; BATTERY_LOW_FOR_TRANSPORT opens when a pump with too little
// charge is checked out, resolves on check-in, and is counted in pumptrack_findings_open like the other kinds; bad
// battery values are refused naming the field, with nothing stored.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pumptrack/v1/custody.grpc.pb.h"
#include "pumptrack/v1/finding.grpc.pb.h"
#include "pumptrack/v1/policy.grpc.pb.h"
#include "tests/service/service_test_util.h"

namespace pumptrack::service {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing_util::BaseTime;
using testing_util::Context;
using testing_util::Obs;
using testing_util::TestServer;

constexpr char kPolicy[] = R"pb(
  site {
    facilities { id: "general" }
    buildings { id: "north" facility: "general" }
    units { id: "5-west" facility: "general" building: "north" floor: "5" }
    units { id: "icu-1" facility: "general" building: "north" floor: "1" }
  }
  models { manufacturer: "Acme Medical" model: "Infusia 500" minimum_battery_health_percent: 70 }
  transport_minimum_battery_percent: 40
)pb";

class BatteryServiceTest : public ::testing::Test {
 protected:
  BatteryServiceTest() : server_(TestServer::Config{.metrics = true}) {}

  void SetUp() override {
    ASSERT_TRUE(server_.Start().ok());
    findings_ = v1::FindingService::NewStub(server_.channel());
    custody_ = v1::CustodyService::NewStub(server_.channel());
    v1::SetPolicyRequest request;
    request.set_text(kPolicy);
    v1::PolicyInfo info;
    grpc::Status set = v1::PolicyService::NewStub(server_.channel())->SetPolicy(Context().get(), request, &info);
    ASSERT_TRUE(set.ok()) << set.error_message();
  }

  // The pump's findings of `kind` as "rule STATE": the open and acknowledged ones (the default listing), then the
  // resolved ones.
  std::vector<std::string> Findings(const std::string& tag, v1::FindingKind kind) {
    std::vector<std::string> out;
    for (v1::FindingState state : {v1::FINDING_STATE_UNSPECIFIED, v1::FINDING_STATE_RESOLVED}) {
      v1::ListFindingsRequest request;
      request.set_asset_tag(tag);
      request.set_kind(kind);
      request.set_state(state);
      v1::ListFindingsResponse response;
      grpc::Status status = findings_->ListFindings(Context().get(), request, &response);
      EXPECT_TRUE(status.ok()) << status.error_message();
      for (const v1::Finding& f : response.findings()) {
        out.push_back(absl::StrCat(f.rule(), " ", v1::FindingState_Name(f.state())));
      }
    }
    return out;
  }

  v1::Device Device(const std::string& tag) {
    v1::DeviceKey key;
    key.set_asset_tag(tag);
    v1::Device device;
    grpc::Status status = server_.GetDevice(key, &device);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return device;
  }

  grpc::Status CheckOut(const std::string& tag) {
    v1::CheckOutRequest request;
    request.set_asset_tag(tag);
    request.set_destination_unit("icu-1");
    request.set_reason("transfer to ICU");
    request.mutable_due_in()->set_seconds(7200);
    v1::CustodyResult result;
    return custody_->CheckOut(Context().get(), request, &result);
  }

  grpc::Status CheckIn(const std::string& tag) {
    v1::CheckInRequest request;
    request.set_asset_tag(tag);
    request.set_unit("icu-1");
    request.set_observed_seal_id(absl::StrCat("SEAL-", tag));
    v1::CustodyResult result;
    return custody_->CheckIn(Context().get(), request, &result);
  }

  // The value of the pumptrack_findings_open series for `kind` (MEDIUM), or -1 when absent.
  double OpenGauge(const std::string& kind) {
    absl::StatusOr<std::string> text = server_.Metrics();
    EXPECT_TRUE(text.ok()) << text.status();
    if (!text.ok()) return -1;
    const std::string series = absl::StrCat("pumptrack_findings_open{kind=\"", kind, "\",severity=\"MEDIUM\"} ");
    const std::size_t at = text->find(series);
    if (at == std::string::npos) return -1;
    return std::stod(text->substr(at + series.size(), text->find('\n', at) - at - series.size()));
  }

  TestServer server_;
  std::unique_ptr<v1::FindingService::Stub> findings_;
  std::unique_ptr<v1::CustodyService::Stub> custody_;
};

TEST_F(BatteryServiceTest, HealthAndCyclesAreStoredAndCarriedOverReportsThatDoNotSayThem) {
  server_.MustReport(Obs("PT-1").Seq(1).At(BaseTime()).Battery(80).BatteryHealth(91).BatteryCycles(312));
  // A later report knows the charge only (a source without battery wear data).
  server_.MustReport(Obs("PT-1").Seq(2).At(BaseTime() + absl::Minutes(1)).Battery(60));
  const v1::Physical physical = Device("PT-1").last_observation().physical();
  EXPECT_EQ(physical.battery_percent(), 60u);
  EXPECT_EQ(physical.battery_health_percent(), 91u);
  EXPECT_EQ(physical.battery_cycle_count(), 312u);
  EXPECT_EQ(physical.power_source(), v1::POWER_SOURCE_MAINS);
}

TEST_F(BatteryServiceTest, ADegradedBatteryOpensAFindingAndAReplacementResolvesIt) {
  server_.MustReport(Obs("PT-1").Seq(1).At(BaseTime()).BatteryHealth(64).BatteryCycles(905));
  server_.MustReport(Obs("PT-2").Seq(1).At(BaseTime()).BatteryHealth(70).BatteryCycles(400));
  EXPECT_THAT(Findings("PT-1", v1::FINDING_KIND_BATTERY_DEGRADED), ElementsAre("battery.degraded FINDING_STATE_OPEN"));
  EXPECT_THAT(Findings("PT-2", v1::FINDING_KIND_BATTERY_DEGRADED), IsEmpty()) << "at the minimum is healthy";
  EXPECT_EQ(OpenGauge("BATTERY_DEGRADED"), 1);
  EXPECT_EQ(Device("PT-1").open_findings(), 1u);

  // A report that does not mention health keeps the finding open (the stored health still applies).
  server_.MustReport(Obs("PT-1").Seq(2).At(BaseTime() + absl::Minutes(1)).Battery(90));
  EXPECT_THAT(Findings("PT-1", v1::FINDING_KIND_BATTERY_DEGRADED), ElementsAre("battery.degraded FINDING_STATE_OPEN"));

  // The battery is replaced: the pump reports a healthy one and the finding resolves.
  server_.MustReport(Obs("PT-1").Seq(3).At(BaseTime() + absl::Minutes(2)).BatteryHealth(100).BatteryCycles(0));
  EXPECT_THAT(Findings("PT-1", v1::FINDING_KIND_BATTERY_DEGRADED),
              ElementsAre("battery.degraded FINDING_STATE_RESOLVED"));
  EXPECT_EQ(OpenGauge("BATTERY_DEGRADED"), 0);
}

TEST_F(BatteryServiceTest, ALowPumpCheckedOutForTransportRaisesAWarningThatCheckInResolves) {
  server_.MustReport(Obs("PT-1").Seq(1).At(BaseTime()).Battery(25).Power(v1::POWER_SOURCE_BATTERY));
  server_.MustReport(Obs("PT-2").Seq(1).At(BaseTime()).Battery(95));
  EXPECT_THAT(Findings("PT-1", v1::FINDING_KIND_BATTERY_LOW_FOR_TRANSPORT), IsEmpty()) << "not checked out yet";

  ASSERT_TRUE(CheckOut("PT-1").ok());
  ASSERT_TRUE(CheckOut("PT-2").ok());
  EXPECT_THAT(Findings("PT-1", v1::FINDING_KIND_BATTERY_LOW_FOR_TRANSPORT),
              ElementsAre("battery.low_for_transport FINDING_STATE_OPEN"));
  EXPECT_THAT(Findings("PT-2", v1::FINDING_KIND_BATTERY_LOW_FOR_TRANSPORT), IsEmpty());
  EXPECT_EQ(OpenGauge("BATTERY_LOW_FOR_TRANSPORT"), 1);

  ASSERT_TRUE(CheckIn("PT-1").ok());
  EXPECT_THAT(Findings("PT-1", v1::FINDING_KIND_BATTERY_LOW_FOR_TRANSPORT),
              ElementsAre("battery.low_for_transport FINDING_STATE_RESOLVED"));
  EXPECT_EQ(OpenGauge("BATTERY_LOW_FOR_TRANSPORT"), 0);
}

TEST_F(BatteryServiceTest, ChargingDuringTransportResolvesTheWarning) {
  server_.MustReport(Obs("PT-1").Seq(1).At(BaseTime()).Battery(30));
  ASSERT_TRUE(CheckOut("PT-1").ok());
  EXPECT_THAT(Findings("PT-1", v1::FINDING_KIND_BATTERY_LOW_FOR_TRANSPORT),
              ElementsAre("battery.low_for_transport FINDING_STATE_OPEN"));
  server_.MustReport(Obs("PT-1").Seq(2).At(BaseTime() + absl::Minutes(5)).Battery(45));
  EXPECT_THAT(Findings("PT-1", v1::FINDING_KIND_BATTERY_LOW_FOR_TRANSPORT),
              ElementsAre("battery.low_for_transport FINDING_STATE_RESOLVED"));
}

TEST_F(BatteryServiceTest, OutOfRangeBatteryValuesAreRefusedNamingTheFieldAndNothingIsStored) {
  const std::vector<std::pair<v1::Observation, std::string>> bad = {
      {Obs("PT-9").BatteryHealth(101), "physical.battery_health_percent"},
      {Obs("PT-9").BatteryCycles(100'001), "physical.battery_cycle_count"},
  };
  for (const auto& [observation, field] : bad) {
    v1::ReportResponse response;
    grpc::Status status = server_.Report(observation, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << field;
    EXPECT_THAT(status.error_message(), HasSubstr(field));
  }
  v1::DeviceKey key;
  key.set_asset_tag("PT-9");
  v1::Device device;
  EXPECT_EQ(server_.GetDevice(key, &device).error_code(), grpc::StatusCode::NOT_FOUND);
}

}  // namespace
}  // namespace pumptrack::service
