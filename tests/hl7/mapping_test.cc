#include "agents/hl7/mapping.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/hl7/pcd_messages.h"

namespace pumptrack::agents::hl7 {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
namespace v1 = pumptrack::v1;

Mapper TestMapper() {
  absl::StatusOr<pumptrack::hl7::MappingTable> table =
      ParseMappingTable(absl::StrCat(DefaultMappingText(), hl7_test::kTestMappingExtra));
  EXPECT_TRUE(table.ok()) << table.status();
  return Mapper(*table);
}

MappedMessage MapText(Mapper& mapper, const std::string& text) {
  absl::StatusOr<Message> message = Message::Parse(text);
  EXPECT_TRUE(message.ok()) << message.status();
  return mapper.Map(*message, absl::FromUnixSeconds(1'800'000'000));
}

TEST(MappingTableTest, TheShippedDefaultParses) {
  absl::StatusOr<pumptrack::hl7::MappingTable> table = ParseMappingTable(DefaultMappingText());
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_EQ(table->asset_tag_authority(), "ASSET");
  EXPECT_GE(table->codes_size(), 7);
}

TEST(MappingTableTest, BadEntriesAreNamed) {
  EXPECT_THAT(std::string(ParseMappingTable("codes { target: TARGET_MODEL }").status().message()),
              HasSubstr("codes[0]"));
  EXPECT_THAT(std::string(ParseMappingTable("codes { code: \"1\" }").status().message()), HasSubstr("needs a target"));
  EXPECT_THAT(std::string(ParseMappingTable("codes { code: \"1\" target: TARGET_COMPONENT component_kind: \"Wi Fi\" }")
                              .status()
                              .message()),
              HasSubstr("component_kind"));
  EXPECT_THAT(
      std::string(ParseMappingTable("codes { code: \"1\" target: TARGET_OPERATING_STATE states { key: \"3\" value: "
                                    "\"RUNNING\" } }")
                      .status()
                      .message()),
      HasSubstr("RUNNING"));
  EXPECT_EQ(ParseMappingTable("codes {").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(MapperTest, MemDmcGivesIdentityVersionsBatteryAndComponents) {
  Mapper mapper = TestMapper();
  const MappedMessage out = MapText(mapper, hl7_test::MemDmc("C1", "0012210000000A01", "SN-1", "PT-00001"));
  ASSERT_FALSE(out.rejection) << out.rejection->reason;
  ASSERT_EQ(out.observations.size(), 1u);
  const v1::Observation& o = out.observations[0];
  EXPECT_EQ(o.identity().asset_tag(), "PT-00001");
  EXPECT_EQ(o.identity().serial_number(), "SN-1");
  EXPECT_EQ(o.identity().manufacturer(), "Acme Medical");
  EXPECT_EQ(o.identity().model(), "Infusia 500");
  EXPECT_EQ(o.firmware_version(), "12.1.3");
  EXPECT_EQ(o.physical().battery_percent(), 87u);
  EXPECT_EQ(o.observed_at().seconds(), 1'800'000'000);
  EXPECT_EQ(o.sequence(), 0u);
  ASSERT_EQ(o.components_size(), 2);
  EXPECT_EQ(o.components(0).kind(), "wifi-module");
  EXPECT_EQ(o.components(0).position(), "2");
  EXPECT_EQ(o.components(0).model(), "WLAN-7");
  EXPECT_EQ(o.components(0).hardware_version(), "B");
  EXPECT_EQ(o.components(0).firmware_version(), "4.2.1");
  EXPECT_EQ(o.components(1).kind(), "battery-module");
  EXPECT_EQ(o.components(1).software_version(), "2.0");
  // PV1-3 is the only location here: the pump is where the gateway's patient is.
  EXPECT_EQ(o.location().unit(), "5W");
  EXPECT_EQ(o.location().room(), "512");
  EXPECT_EQ(o.location().facility(), "GENERAL");
  EXPECT_EQ(o.location().source(), v1::LOCATION_SOURCE_GATEWAY_PORT);
  EXPECT_EQ(out.patient_segments, 2);  // PID, PV1
  EXPECT_EQ(out.unknown_codes, 3);     // the MDS header, the vendor's code, the patient weight
}

TEST(MapperTest, NoPatientDataReachesTheObservation) {
  Mapper mapper = TestMapper();
  const MappedMessage out = MapText(mapper, hl7_test::MemDmc("C1", "0012210000000A01", "SN-1", "PT-00001"));
  ASSERT_EQ(out.observations.size(), 1u);
  std::string bytes;
  ASSERT_TRUE(out.observations[0].SerializeToString(&bytes));
  const std::string text = out.observations[0].DebugString();
  for (const std::string& phi :
       {std::string("DOE"), std::string("JANE"), std::string(hl7_test::kPatientId), std::string("19700101")}) {
    EXPECT_THAT(bytes, Not(HasSubstr(phi)));
    EXPECT_THAT(text, Not(HasSubstr(phi)));
  }
}

TEST(MapperTest, MemLsIsAPartialObservationWithTheIdentityLearnedBefore) {
  Mapper mapper = TestMapper();
  ASSERT_FALSE(MapText(mapper, hl7_test::MemDmc("C1", "0012210000000A01", "SN-1", "PT-00001")).rejection);
  const MappedMessage out = MapText(mapper, hl7_test::MemLs("C2", "0012210000000A01", "ICU", "7"));
  ASSERT_FALSE(out.rejection) << out.rejection->reason;
  ASSERT_EQ(out.observations.size(), 1u);
  const v1::Observation& o = out.observations[0];
  EXPECT_EQ(o.identity().asset_tag(), "PT-00001");
  EXPECT_EQ(o.identity().serial_number(), "SN-1");
  EXPECT_EQ(o.location().unit(), "ICU");
  EXPECT_EQ(o.location().room(), "7");
  EXPECT_EQ(o.location().facility(), "GENERAL");
  EXPECT_EQ(o.location().building(), "NORTH");
  EXPECT_EQ(o.location().floor(), "3");
  EXPECT_EQ(o.location().source(), v1::LOCATION_SOURCE_RTLS);
  // Everything the message does not say stays absent.
  EXPECT_EQ(o.firmware_version(), "");
  EXPECT_EQ(o.identity().model(), "");
  EXPECT_FALSE(o.has_physical());
  EXPECT_FALSE(o.has_drug_library());
  EXPECT_EQ(o.components_size(), 0);
}

TEST(MapperTest, MemLsForAnUnknownDeviceIsAnErrorNamingTheField) {
  Mapper mapper = TestMapper();
  const MappedMessage out = MapText(mapper, hl7_test::MemLs("C2", "00122100000FFFFF", "ICU", "7"));
  ASSERT_TRUE(out.rejection);
  EXPECT_EQ(out.rejection->code, AckCode::kError);
  EXPECT_EQ(out.rejection->hl7_error, 101);
  EXPECT_EQ(out.rejection->location.segment, "OBX");
  EXPECT_EQ(out.rejection->location.field, 18);
  EXPECT_TRUE(out.observations.empty());
}

TEST(MapperTest, OtherMessageTypesAreRejected) {
  Mapper mapper = TestMapper();
  const MappedMessage out = MapText(mapper, "MSH|^~\\&|A|B|C|D|1||ADT^A01|9|P|2.6\rPID|||1\r");
  ASSERT_TRUE(out.rejection);
  EXPECT_EQ(out.rejection->code, AckCode::kReject);
  EXPECT_EQ(out.rejection->hl7_error, 200);
  EXPECT_EQ(out.rejection->location.field, 9);
}

TEST(MapperTest, MissingControlIdIsAnError) {
  Mapper mapper = TestMapper();
  const MappedMessage out = MapText(mapper, "MSH|^~\\&|A|B|C|D|1||ORU^R01||P|2.6\r");
  ASSERT_TRUE(out.rejection);
  EXPECT_EQ(out.rejection->hl7_error, 101);
  EXPECT_EQ(out.rejection->location.field, 10);
}

TEST(MapperTest, BatteryOutOfRangeIsAnErrorAndNothingIsMapped) {
  Mapper mapper = TestMapper();
  std::string text = hl7_test::MemDmc("C1", "0012210000000A01", "SN-1", "PT-00001");
  text.replace(text.find("|87|"), 4, "|187|");
  const MappedMessage out = MapText(mapper, text);
  ASSERT_TRUE(out.rejection);
  EXPECT_EQ(out.rejection->hl7_error, 102);
  EXPECT_EQ(out.rejection->location.segment, "OBX");
  EXPECT_EQ(out.rejection->location.occurrence, 6);
  EXPECT_EQ(out.rejection->location.field, 5);
  EXPECT_TRUE(out.observations.empty());
}

TEST(MapperTest, PrtSuppliesDeviceIdentifiersAndSerial) {
  Mapper mapper = TestMapper();
  const MappedMessage out =
      MapText(mapper,
              "MSH|^~\\&|GW|ACME|PT|HOSP|20261206||ORU^R01^ORU_R01|P1|P|2.7\r"
              "OBR|1\r"
              "OBX|1|ST|531976^MDC_ID_PROD_SPEC_FW^MDC|1.0.0.1|9.9||||||F\r"
              "PRT||UC||EQUIP^Equipment^HL70443||||||0012210000000B02^EUI-64~PT-00077^ASSET||||||||||SN-77\r");
  ASSERT_FALSE(out.rejection) << out.rejection->reason;
  ASSERT_EQ(out.observations.size(), 1u);
  EXPECT_EQ(out.observations[0].identity().asset_tag(), "PT-00077");
  EXPECT_EQ(out.observations[0].identity().serial_number(), "SN-77");
  EXPECT_EQ(out.observations[0].firmware_version(), "9.9");
}

TEST(MapperTest, SeveralDevicesInOneMessageAndOperatingState) {
  absl::StatusOr<pumptrack::hl7::MappingTable> table = ParseMappingTable(
      absl::StrCat(DefaultMappingText(),
                   "codes { code: \"MDCX_PUMP_STATE\" target: TARGET_OPERATING_STATE states { key: \"infusing\" value: "
                   "\"INFUSING\" } states { key: \"stopped\" value: \"IDLE\" } }\n"
                   "codes { code: \"MDCX_DRUG_LIB\" target: TARGET_DRUG_LIBRARY_NAME }\n"));
  ASSERT_TRUE(table.ok()) << table.status();
  Mapper mapper(*table);
  const MappedMessage out = MapText(mapper,
                                    "MSH|^~\\&|GW|ACME|PT|HOSP|20261206||ORU^R01^ORU_R01|D1|P|2.6\r"
                                    "OBR|1\r"
                                    "OBX|1|ST|531972^MDC_ID_PROD_SPEC_SERIAL^MDC|1.0.0.1|SN-A||||||F\r"
                                    "OBX|2|ST|MDCX_PUMP_STATE|1.0.0.2|infusing||||||F\r"
                                    "OBX|3|ST|531972^MDC_ID_PROD_SPEC_SERIAL^MDC|2.0.0.1|SN-B||||||F\r"
                                    "OBX|4|ST|MDCX_PUMP_STATE|2.0.0.2|stopped||||||F\r"
                                    "OBX|5|ST|MDCX_DRUG_LIB|2.0.0.3|adult-icu||||||F\r"
                                    "ZZZ|custom\r");
  ASSERT_FALSE(out.rejection) << out.rejection->reason;
  ASSERT_EQ(out.observations.size(), 2u);
  EXPECT_EQ(out.observations[0].identity().asset_tag(), "SN-A");
  EXPECT_EQ(out.observations[0].operating_state(), v1::OPERATING_STATE_INFUSING);
  EXPECT_EQ(out.observations[1].identity().asset_tag(), "SN-B");
  EXPECT_EQ(out.observations[1].operating_state(), v1::OPERATING_STATE_IDLE);
  EXPECT_EQ(out.observations[1].drug_library().name(), "adult-icu");
  EXPECT_EQ(out.unknown_segments, 1);
}

TEST(MapperTest, BatteryHealthAndCycleCountFromAVendorsPrivateCodes) {
  // IEEE 11073-10101 has no code for either: a site maps its vendor's (docs/BATTERY.md).
  absl::StatusOr<pumptrack::hl7::MappingTable> table = ParseMappingTable(
      absl::StrCat(DefaultMappingText(), "codes { code: \"MDCX_BATT_HEALTH\" target: TARGET_BATTERY_HEALTH_PERCENT }\n",
                   "codes { code: \"MDCX_BATT_CYCLES\" target: TARGET_BATTERY_CYCLE_COUNT }\n"));
  ASSERT_TRUE(table.ok()) << table.status();
  Mapper mapper(*table);
  const std::string head =
      "MSH|^~\\&|GW|ACME|PT|HOSP|20261206||ORU^R01^ORU_R01|B1|P|2.6\r"
      "OBR|1\r"
      "OBX|1|ST|531972^MDC_ID_PROD_SPEC_SERIAL^MDC|1.0.0.1|SN-A||||||F\r"
      "OBX|2|NM|67996^MDC_ATTR_VAL_BATT_CHARGE^MDC|1.0.0.5|64|262688^MDC_DIM_PERCENT^MDC|||||F\r";
  const MappedMessage out = MapText(mapper, head +
                                                "OBX|3|NM|MDCX_BATT_HEALTH|1.0.0.6|82.6||||||F\r"
                                                "OBX|4|NM|MDCX_BATT_CYCLES|1.0.0.7|412||||||F\r");
  ASSERT_FALSE(out.rejection) << out.rejection->reason;
  ASSERT_EQ(out.observations.size(), 1u);
  const v1::Physical& physical = out.observations[0].physical();
  EXPECT_EQ(physical.battery_percent(), 64u);
  EXPECT_EQ(physical.battery_health_percent(), 83u);
  EXPECT_EQ(physical.battery_cycle_count(), 412u);

  // Without them the fields stay unset ("not known"), not zero.
  const MappedMessage charge_only = MapText(mapper, head);
  ASSERT_FALSE(charge_only.rejection) << charge_only.rejection->reason;
  EXPECT_FALSE(charge_only.observations[0].physical().has_battery_health_percent());
  EXPECT_FALSE(charge_only.observations[0].physical().has_battery_cycle_count());

  // Out of range: an error naming OBX-5 of that segment, nothing mapped.
  for (const std::string& bad : {std::string("OBX|3|NM|MDCX_BATT_HEALTH|1.0.0.6|101||||||F\r"),
                                 std::string("OBX|3|NM|MDCX_BATT_CYCLES|1.0.0.7|-3||||||F\r"),
                                 std::string("OBX|3|NM|MDCX_BATT_CYCLES|1.0.0.7|100001||||||F\r")}) {
    SCOPED_TRACE(bad);
    const MappedMessage refused = MapText(mapper, head + bad);
    ASSERT_TRUE(refused.rejection);
    EXPECT_EQ(refused.rejection->hl7_error, 102);
    EXPECT_EQ(refused.rejection->location.segment, "OBX");
    EXPECT_EQ(refused.rejection->location.occurrence, 3);
    EXPECT_EQ(refused.rejection->location.field, 5);
    EXPECT_THAT(refused.rejection->reason, HasSubstr("battery"));
    EXPECT_TRUE(refused.observations.empty());
  }
}

}  // namespace
}  // namespace pumptrack::agents::hl7
