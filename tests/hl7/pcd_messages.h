// HL7 v2 messages written for these tests, modelled on the IHE PCD technical framework's published examples:
// a DEC (PCD-01) observation report, a MEM-DMC device management report and a MEM-LS location report.
// They carry patient segments on purpose: none of that may reach an observation.
#ifndef PUMPTRACK_TESTS_HL7_PCD_MESSAGES_H_
#define PUMPTRACK_TESTS_HL7_PCD_MESSAGES_H_

#include <string>

namespace pumptrack::hl7_test {

// Patient data that must never appear in anything the agent stores or sends.
inline constexpr char kPatientName[] = "DOE^JANE";
inline constexpr char kPatientId[] = "MRN-998877";

// MEM-DMC: identity, versions, battery, and two components (a Wi-Fi module at VMD 2, a battery module at VMD 3) whose
// codes are private (MDCX_) and come from the test mapping below.
inline std::string MemDmc(const std::string& control_id, const std::string& eui64, const std::string& serial,
                          const std::string& asset_tag, const std::string& firmware = "12.1.3") {
  return "MSH|^~\\&|PUMP_GW^0012210000000001^EUI-64|ACME|PUMPTRACK|HOSP|20261206120000+0000||ORU^R01^ORU_R01|" +
         control_id +
         "|P|2.6|||NE|AL||UNICODE UTF-8|||IHE_PCD_MEM_DMC^IHE PCD^1.3.6.1.4.1.19376.1.6.4.10^ISO\r"
         "PID|||" +
         kPatientId + "^^^HOSP^MR||" + kPatientName +
         "||19700101|F\r"
         "PV1||I|5W^512^1^GENERAL\r"
         "OBR|1|||69985^MDC_DEV_PUMP_INFUS_MDS^MDC|||20261206120000+0000\r"
         "OBX|1||69985^MDC_DEV_PUMP_INFUS_MDS^MDC|1.0.0.0|||||||X|||||||" +
         eui64 + "^EUI-64~" + asset_tag +
         "^ASSET\r"
         "OBX|2|ST|67972^MDC_ATTR_SYS_ID^MDC|1.0.0.1|" +
         eui64 +
         "||||||F\r"
         "OBX|3|XCN|67880^MDC_ATTR_ID_MODEL^MDC|1.0.0.2|Acme Medical^Infusia 500||||||F\r"
         "OBX|4|ST|531972^MDC_ID_PROD_SPEC_SERIAL^MDC|1.0.0.3|" +
         serial +
         "||||||F\r"
         "OBX|5|ST|531976^MDC_ID_PROD_SPEC_FW^MDC|1.0.0.4|" +
         firmware +
         "||||||F\r"
         "OBX|6|NM|67996^MDC_ATTR_VAL_BATT_CHARGE^MDC|1.0.0.5|87|262688^MDC_DIM_PERCENT^MDC|||||F\r"
         "OBX|7||MDCX_PUMP_WIFI_MODULE^Wi-Fi module^MDC|1.2.0.0|||||||X\r"
         "OBX|8|XCN|67880^MDC_ATTR_ID_MODEL^MDC|1.2.0.1|Acme Medical^WLAN-7||||||F\r"
         "OBX|9|ST|531974^MDC_ID_PROD_SPEC_HW^MDC|1.2.0.2|B||||||F\r"
         "OBX|10|ST|531976^MDC_ID_PROD_SPEC_FW^MDC|1.2.0.3|4.2.1||||||F\r"
         "OBX|11||MDCX_PUMP_BATTERY_MODULE^Battery module^MDC|1.3.0.0|||||||X\r"
         "OBX|12|ST|531975^MDC_ID_PROD_SPEC_SW^MDC|1.3.0.1|2.0||||||F\r"
         "OBX|13|ST|99999^MDCX_VENDOR_SECRET_SAUCE^MDC|1.0.0.9|whatever||||||F\r"
         "OBX|14|ST|0^PATIENT_WEIGHT^LOCAL|1.0.0.10|" +
         kPatientName + "||||||F\r";
}

// MEM-LS: only the location (a PL value from an RTLS) of a pump named by its EUI-64.
inline std::string MemLs(const std::string& control_id, const std::string& eui64, const std::string& unit,
                         const std::string& room) {
  return "MSH|^~\\&|RTLS^0012210000000002^EUI-64|ACME_RTLS|PUMPTRACK|HOSP|20261206120500+0000||ORU^R01^ORU_R01|" +
         control_id +
         "|P|2.6|||NE|AL||UNICODE UTF-8|||IHE_PCD_MEM_LS^IHE PCD^1.3.6.1.4.1.19376.1.6.4.12^ISO\r"
         "OBR|1|||MDCX_RTLS_LOCATION^Location^MDC|||20261206120500+0000\r"
         "OBX|1|PL|MDCX_ATTR_LOC^Last known location^MDC|1.0.0.1|" +
         unit + "^" + room + "^^GENERAL^^^NORTH^3||||||F|||20261206120500+0000||||" + eui64 + "^EUI-64\r";
}

// The test mapping: the shipped default plus the private component codes used above.
inline constexpr char kTestMappingExtra[] =
    "codes { code: \"MDCX_PUMP_WIFI_MODULE\" target: TARGET_COMPONENT component_kind: \"wifi-module\" }\n"
    "codes { code: \"MDCX_PUMP_BATTERY_MODULE\" target: TARGET_COMPONENT component_kind: \"battery-module\" }\n";

}  // namespace pumptrack::hl7_test

#endif  // PUMPTRACK_TESTS_HL7_PCD_MESSAGES_H_
