// `pumptrack export fhir`: the FHIR mapping (cli/fhir.h) and the command against fake InventoryService and
// FindingService on real gRPC servers. The bundle's conformance to the FHIR R4 schema is checked by node in
// tests/fhir (label export).
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/csv_columns.h"
#include "cli/errors.h"
#include "cli/fhir.h"
#include "cli/format.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/cli/fake_finding_services.h"
#include "tests/cli/fake_inventory_service.h"
#include "tests/cli/fake_security_services.h"
#include "tests/cli/run_cli.h"

namespace pumptrack::cli {
namespace {

using testing::FakeAuth;
using testing::FakeFindingService;
using testing::FakeInventoryService;
using ::testing::HasSubstr;
using testing::kTestToken;
using testing::MakeDevice;
using testing::MakeFinding;
using ::testing::Not;
using testing::RunCli;
using testing::RunResult;
using ::testing::SizeIs;
using testing::TestNow;
using testing::TestServer;

google::protobuf::Struct Parse(const std::string& json) {
  google::protobuf::Struct parsed;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(json, &parsed).ok()) << json;
  return parsed;
}

const google::protobuf::Value& Field(const google::protobuf::Struct& object, const std::string& key) {
  static const google::protobuf::Value kMissing;
  const auto found = object.fields().find(key);
  return found == object.fields().end() ? kMissing : found->second;
}

const google::protobuf::Struct& Entry(const google::protobuf::Struct& bundle, int i) {
  return Field(Field(bundle, "entry").list_value().values(i).struct_value(), "resource").struct_value();
}

v1::Device Pump() {
  v1::Device device = MakeDevice("PT-00042", "SN-42", "Infusia 500", "12.1.3", "general", "5-west", "512",
                                 v1::OPERATING_STATE_IDLE, absl::Seconds(5));
  v1::Component* battery = device.mutable_last_observation()->add_components();
  battery->set_kind("battery");
  battery->set_position("1");
  battery->set_serial_number("B-7");
  battery->set_hardware_version("rev C");
  battery->set_firmware_version("2.0.1");
  v1::Component* module = device.mutable_last_observation()->add_components();
  module->set_kind("channel");
  module->set_software_version("5.4");
  return device;
}

TEST(FhirTest, ADeviceCarriesItsIdentityVersionsStatusAndLocation) {
  const std::vector<v1::Device> devices = {Pump()};
  const auto json = FhirDeviceBundle(devices, {}, {.asset_tag_system = "https://h.example/tags", .now = TestNow()});
  ASSERT_TRUE(json.ok()) << json.status();
  const google::protobuf::Struct bundle = Parse(*json);
  EXPECT_EQ(Field(bundle, "resourceType").string_value(), "Bundle");
  EXPECT_EQ(Field(bundle, "type").string_value(), "collection");
  EXPECT_EQ(Field(bundle, "timestamp").string_value(), "2026-11-29T10:05:00Z");
  const google::protobuf::Struct& device = Entry(bundle, 0);
  EXPECT_EQ(Field(device, "resourceType").string_value(), "Device");
  EXPECT_EQ(Field(device, "id").string_value(), "PT-00042");
  const auto& identifier = Field(device, "identifier").list_value().values(0).struct_value();
  EXPECT_EQ(Field(identifier, "system").string_value(), "https://h.example/tags");
  EXPECT_EQ(Field(identifier, "value").string_value(), "PT-00042");
  EXPECT_EQ(Field(device, "status").string_value(), "active");
  EXPECT_EQ(Field(device, "serialNumber").string_value(), "SN-42");
  EXPECT_EQ(Field(device, "manufacturer").string_value(), "Acme Medical");
  EXPECT_EQ(Field(device, "modelNumber").string_value(), "Infusia 500");
  EXPECT_EQ(Field(Field(device, "location").struct_value(), "display").string_value(), "general / 5-west / room 512");
  EXPECT_EQ(Field(device, "safety").kind_case(), google::protobuf::Value::KIND_NOT_SET);

  // The pump's firmware, then each component's hardware, software and firmware, typed with MDC codes.
  std::vector<std::string> versions;
  for (const auto& version : Field(device, "version").list_value().values()) {
    const auto& coding = Field(Field(version.struct_value(), "type").struct_value(), "coding").list_value();
    const auto& code = coding.values(0).struct_value();
    EXPECT_EQ(Field(code, "system").string_value(), "urn:iso:std:iso:11073:10101");
    const std::string component =
        Field(Field(version.struct_value(), "component").struct_value(), "value").string_value();
    versions.push_back(absl::StrCat(Field(code, "code").string_value(), " ", Field(code, "display").string_value(), " ",
                                    component, " ", Field(version.struct_value(), "value").string_value()));
  }
  EXPECT_THAT(versions, ::testing::ElementsAre("531976 MDC_ID_PROD_SPEC_FW  12.1.3",
                                               "531974 MDC_ID_PROD_SPEC_HW battery/1/B-7 rev C",
                                               "531976 MDC_ID_PROD_SPEC_FW battery/1/B-7 2.0.1",
                                               "531975 MDC_ID_PROD_SPEC_SW channel 5.4"));
  EXPECT_THAT(*json, Not(HasSubstr("atient")));
}

TEST(FhirTest, OutOfServiceCustodyIsInactiveWithTheReason) {
  std::vector<v1::Device> devices = {Pump(), Pump(), Pump()};
  devices[0].mutable_custody()->set_state(v1::CUSTODY_STATE_QUARANTINED);
  devices[1].mutable_custody()->set_state(v1::CUSTODY_STATE_IN_TRANSIT);
  devices[2].mutable_custody()->set_state(v1::CUSTODY_STATE_RETIRED);
  const google::protobuf::Struct bundle = Parse(*FhirDeviceBundle(devices, {}, {.now = TestNow()}));
  EXPECT_EQ(Field(Entry(bundle, 0), "status").string_value(), "inactive");
  EXPECT_EQ(Field(Field(Entry(bundle, 0), "statusReason").list_value().values(0).struct_value(), "text").string_value(),
            "quarantined");
  EXPECT_EQ(Field(Entry(bundle, 1), "status").string_value(), "active");
  EXPECT_EQ(Field(Entry(bundle, 2), "status").string_value(), "inactive");
  const auto& identifier = Field(Entry(bundle, 0), "identifier").list_value().values(0).struct_value();
  EXPECT_EQ(Field(identifier, "system").string_value(), "urn:pumptrack:asset-tag");
}

TEST(FhirTest, OpenCriticalFindingsBecomeSafetyAndNotes) {
  const std::vector<v1::Device> devices = {Pump()};
  std::map<std::string, std::vector<v1::Finding>> findings;
  findings["PT-00042"].push_back(MakeFinding("F-3", "PT-00042", v1::FINDING_KIND_MISCONFIGURED, "firmware.blocked",
                                             v1::SEVERITY_CRITICAL, v1::FINDING_STATE_OPEN, "5-west",
                                             absl::Seconds(5)));
  const google::protobuf::Struct bundle = Parse(*FhirDeviceBundle(devices, findings, {.now = TestNow()}));
  const auto& safety = Field(Entry(bundle, 0), "safety").list_value();
  ASSERT_THAT(safety.values(), SizeIs(1));
  EXPECT_EQ(Field(safety.values(0).struct_value(), "text").string_value(),
            "misconfigured: Reason for firmware.blocked.");
  const auto& note = Field(Entry(bundle, 0), "note").list_value().values(0).struct_value();
  EXPECT_EQ(Field(note, "text").string_value(),
            "Open critical finding F-3 (firmware.blocked): Reason for firmware.blocked.");
}

TEST(FhirTest, IdsKeepOnlyWhatFhirAllows) {
  EXPECT_EQ(FhirId("PT-00042"), "PT-00042");
  EXPECT_EQ(FhirId("PT 42/a_b"), "PT-42-a-b");
  EXPECT_EQ(FhirId(std::string(80, 'x')), std::string(64, 'x'));
}

TEST(FhirTest, AnEmptyFleetIsABundleWithoutEntries) {
  const google::protobuf::Struct bundle = Parse(*FhirDeviceBundle({}, {}, {.now = TestNow()}));
  EXPECT_EQ(Field(bundle, "entry").kind_case(), google::protobuf::Value::KIND_NOT_SET);
}

// docs/EXPORTS.md's table lists every command's columns in the order the CLI prints them.
template <typename Item>
std::string DocumentedRow(absl::string_view command, const std::vector<CsvColumn<Item>>& columns, bool skip_first) {
  std::vector<std::string> names;
  for (std::size_t i = skip_first ? 1 : 0; i < columns.size(); ++i)
    names.push_back(absl::StrCat("`", columns[i].header, "`"));
  return absl::StrCat("| `", command, "` | ", skip_first ? "unit / facility / asset_tag (after --by), " : "",
                      absl::StrJoin(names, ", "), " |");
}

TEST(CsvColumnsTest, TheDocumentedColumnsAreThePrintedOnes) {
  std::ifstream file(PUMPTRACK_SOURCE_DIR "/docs/EXPORTS.md");
  ASSERT_TRUE(file.good());
  std::stringstream text;
  text << file.rdbuf();
  const std::string doc = text.str();
  EXPECT_THAT(doc, HasSubstr(DocumentedRow("devices list", DeviceCsvColumns(), false)));
  EXPECT_THAT(doc, HasSubstr(DocumentedRow("devices history", HistoryCsvColumns(), false)));
  EXPECT_THAT(doc, HasSubstr(DocumentedRow("findings list", FindingCsvColumns(), false)));
  EXPECT_THAT(doc, HasSubstr(DocumentedRow("risk", RiskCsvColumns(v1::GetRiskRequest::GROUP_BY_UNIT), true)));
  EXPECT_THAT(doc, HasSubstr(DocumentedRow("custody history", CustodyEventCsvColumns(), false)));
  EXPECT_THAT(doc, HasSubstr(DocumentedRow("custody list", CheckoutCsvColumns(), false)));
  EXPECT_THAT(doc, HasSubstr(DocumentedRow("find-available", AvailablePumpCsvColumns(), false)));
  EXPECT_THAT(doc, HasSubstr(DocumentedRow("maintenance history", MaintenanceRecordCsvColumns(), false)));
  EXPECT_THAT(doc, HasSubstr(DocumentedRow("maintenance due", DuePumpCsvColumns(), false)));
  EXPECT_THAT(doc, HasSubstr(DocumentedRow("advisories list", AdvisoryCsvColumns(), false)));
  EXPECT_THAT(doc, HasSubstr(DocumentedRow("advisories unmapped", UnmappedProductCsvColumns(), false)));
  EXPECT_THAT(doc, HasSubstr(DocumentedRow("tokens list", TokenCsvColumns(), false)));
  EXPECT_THAT(doc, HasSubstr(DocumentedRow("agents list", AgentCsvColumns(), false)));
  EXPECT_THAT(doc, HasSubstr(DocumentedRow("audit list", AuditCsvColumns(), false)));
  EXPECT_THAT(doc, HasSubstr(DocumentedRow("backup list", BackupCsvColumns(), false)));
  EXPECT_THAT(doc, HasSubstr(DocumentedRow("report utilization", UtilizationCsvColumns(), false)));
}

class ExportFhirCommandTest : public ::testing::Test {
 protected:
  ExportFhirCommandTest() {
    environment_.now = TestNow();
    environment_.token = kTestToken;
    inventory_.AddDevice(Pump());
    inventory_.AddDevice(MakeDevice("PT-00043", "SN-43", "Infusia 700", "3.1", "general", "icu-1", "3",
                                    v1::OPERATING_STATE_INFUSING, absl::Seconds(9)));
    findings_.SetFindings({
        MakeFinding("F-2", "PT-00042", v1::FINDING_KIND_MISCONFIGURED, "firmware.blocked", v1::SEVERITY_CRITICAL,
                    v1::FINDING_STATE_OPEN, "5-west", absl::Seconds(5)),
        MakeFinding("F-1", "PT-00043", v1::FINDING_KIND_MISSING, "missing.silent", v1::SEVERITY_HIGH,
                    v1::FINDING_STATE_OPEN, "icu-1", absl::Minutes(40)),
    });
  }

  RunResult Run(const std::vector<std::string>& args) {
    std::vector<std::string> all = {"--insecure", "--server", server_.address()};
    all.insert(all.end(), args.begin(), args.end());
    return RunCli(all, environment_);
  }

  FakeAuth auth_;
  FakeInventoryService inventory_;
  FakeFindingService findings_{auth_};
  TestServer server_{{&inventory_, &findings_}};
  Environment environment_;
};

TEST_F(ExportFhirCommandTest, WritesEveryPageOfDevicesWithTheirOpenCriticalFindings) {
  const std::string out = ::testing::TempDir() + "/export-fhir-test.json";
  const RunResult result = Run({"export", "fhir", "--out", out});
  ASSERT_EQ(result.exit_code, kExitOk) << result.err;
  EXPECT_EQ(result.out, absl::StrCat("Wrote 2 devices (1 open critical findings) to ", out, " as a FHIR R4 Bundle.\n"));
  ASSERT_THAT(findings_.list_requests(), SizeIs(1));
  EXPECT_EQ(findings_.list_requests()[0].severity(), v1::SEVERITY_CRITICAL);
  EXPECT_EQ(findings_.list_requests()[0].state(), v1::FINDING_STATE_OPEN);
  std::ifstream file(out);
  std::stringstream text;
  text << file.rdbuf();
  const google::protobuf::Struct bundle = Parse(text.str());
  EXPECT_EQ(Field(bundle, "entry").list_value().values_size(), 2);
  EXPECT_EQ(Field(Entry(bundle, 0), "safety").list_value().values_size(), 1);
  EXPECT_EQ(Field(Entry(bundle, 1), "safety").kind_case(), google::protobuf::Value::KIND_NOT_SET);
  EXPECT_FALSE(std::filesystem::exists(out + ".tmp"));
  std::filesystem::remove(out);
}

TEST_F(ExportFhirCommandTest, PrintsToStandardOutputAndFailsWholeOnARefusedCall) {
  const RunResult printed = Run({"export", "fhir"});
  ASSERT_EQ(printed.exit_code, kExitOk) << printed.err;
  EXPECT_EQ(Field(Parse(printed.out), "resourceType").string_value(), "Bundle");

  environment_.token = "ptk_WrongToken";
  const std::string out = ::testing::TempDir() + "/export-fhir-refused.json";
  const RunResult refused = Run({"export", "fhir", "--out", out});
  EXPECT_EQ(refused.exit_code, kExitFailure);
  EXPECT_THAT(refused.err, HasSubstr("UNAUTHENTICATED"));
  EXPECT_FALSE(std::filesystem::exists(out));
}

}  // namespace
}  // namespace pumptrack::cli
