// Validation at the edge, through the real server: every class of malformed unary Report is refused with
// INVALID_ARGUMENT whose message starts with the offending field's path, and nothing is stored.

#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/synchronization/notification.h"
#include "google/protobuf/util/time_util.h"
#include "grpcpp/generic/generic_stub.h"
#include "service_test_util.h"

namespace pumptrack::service {
namespace {

using testing_util::Agent;
using testing_util::BaseTime;
using testing_util::Context;
using testing_util::Obs;
using testing_util::SerialKey;
using testing_util::ServiceTest;
using testing_util::TagKey;
using testing_util::ToTimestamp;

constexpr absl::string_view kTag = "PT-00042";
// The fixture's service clock.
const absl::Time kNow = BaseTime() + absl::Minutes(1);

struct BadInput {
  std::string name;
  std::function<void(v1::ReportRequest&)> mutate;
  // The field path the error message must start with ("<field>: <reason>").
  std::string field;
  // A fragment the reason must contain (optional).
  std::string reason = "";
};

// Test names show the case's name, not the struct's bytes.
void PrintTo(const BadInput& input, std::ostream* os) { *os << input.name; }

v1::ReportRequest ValidRequest() {
  v1::ReportRequest request;
  *request.mutable_agent() = Agent();
  *request.mutable_observation() = Obs(kTag).Seq(7);
  return request;
}

v1::Observation& O(v1::ReportRequest& r) { return *r.mutable_observation(); }

std::vector<BadInput> BadInputs() {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  return {
      // Identity.
      {"MissingIdentity", [](auto& r) { O(r).clear_identity(); }, "observation.identity", "is required"},
      {"EmptyAssetTag", [](auto& r) { O(r).mutable_identity()->clear_asset_tag(); }, "observation.identity.asset_tag",
       "[A-Za-z0-9._-]"},
      {"AssetTagWithSpaceAndSlash", [](auto& r) { O(r).mutable_identity()->set_asset_tag("PT 42/a"); },
       "observation.identity.asset_tag", "[A-Za-z0-9._-]"},
      {"AssetTagNonAscii", [](auto& r) { O(r).mutable_identity()->set_asset_tag("PT-\xc3\xa9"); },
       "observation.identity.asset_tag"},
      {"AssetTagTooLong", [](auto& r) { O(r).mutable_identity()->set_asset_tag(std::string(65, 'A')); },
       "observation.identity.asset_tag", "1-64"},
      {"MissingSerial", [](auto& r) { O(r).mutable_identity()->clear_serial_number(); },
       "observation.identity.serial_number", "is required"},
      {"SerialTooLong", [](auto& r) { O(r).mutable_identity()->set_serial_number(std::string(65, 'S')); },
       "observation.identity.serial_number", "at most 64 bytes"},
      {"ModelTooLong", [](auto& r) { O(r).mutable_identity()->set_model(std::string(65, 'm')); },
       "observation.identity.model", "at most 64 bytes"},
      // Time.
      {"MissingObservedAt", [](auto& r) { O(r).clear_observed_at(); }, "observation.observed_at", "is required"},
      {"ObservedAtSixMinutesAhead", [](auto& r) { *O(r).mutable_observed_at() = ToTimestamp(kNow + absl::Minutes(6)); },
       "observation.observed_at", "in the future"},
      {"ObservedAtOneYearAhead",
       [](auto& r) { *O(r).mutable_observed_at() = ToTimestamp(kNow + absl::Hours(24 * 365)); },
       "observation.observed_at", "in the future"},
      {"ObservedAtBefore2000",
       [](auto& r) {
         *O(r).mutable_observed_at() =
             ToTimestamp(absl::FromCivil(absl::CivilSecond(1999, 12, 31, 23, 59, 59), absl::UTCTimeZone()));
       },
       "observation.observed_at", "before 2000-01-01"},
      {"ObservedAtZeroEpoch", [](auto& r) { O(r).mutable_observed_at()->set_seconds(0); }, "observation.observed_at",
       "before 2000-01-01"},
      {"ObservedAtNegativeNanos", [](auto& r) { O(r).mutable_observed_at()->set_nanos(-1); }, "observation.observed_at",
       "not a valid timestamp"},
      {"DrugLibraryPublishedInFuture",
       [](auto& r) { *O(r).mutable_drug_library()->mutable_published_at() = ToTimestamp(kNow + absl::Hours(1)); },
       "observation.drug_library.published_at", "in the future"},
      {"CredentialsChangedBefore2000",
       [](auto& r) { O(r).mutable_security()->mutable_credentials_changed_at()->set_seconds(946684799); },
       "observation.security.credentials_changed_at", "before 2000-01-01"},
      // Sequence.
      {"SequenceZero", [](auto& r) { O(r).set_sequence(0); }, "observation.sequence", "at least 1"},
      {"SequenceAbove2To53", [](auto& r) { O(r).set_sequence((std::uint64_t{1} << 53) + 1); }, "observation.sequence",
       "at most 2^53"},
      {"SequenceMaxUint64", [](auto& r) { O(r).set_sequence(std::numeric_limits<std::uint64_t>::max()); },
       "observation.sequence", "at most 2^53"},
      // Location confidence.
      {"ConfidenceNaN", [nan](auto& r) { O(r).mutable_location()->set_confidence(nan); },
       "observation.location.confidence", "finite"},
      {"ConfidenceInfinite", [inf](auto& r) { O(r).mutable_location()->set_confidence(inf); },
       "observation.location.confidence", "finite"},
      {"ConfidenceNegative", [](auto& r) { O(r).mutable_location()->set_confidence(-0.01f); },
       "observation.location.confidence", "[0, 1]"},
      {"ConfidenceAboveOne", [](auto& r) { O(r).mutable_location()->set_confidence(1.5f); },
       "observation.location.confidence", "[0, 1]"},
      // A location that says the pump left every known place names none.
      {"LeftKnownPlacesWithAPlace", [](auto& r) { O(r).mutable_location()->set_left_known_places(true); },
       "observation.location.left_known_places", "must not be set together"},
      // Physical.
      {"BatteryAbove100", [](auto& r) { O(r).mutable_physical()->set_battery_percent(101); },
       "observation.physical.battery_percent", "0-100"},
      {"BatteryHealthAbove100", [](auto& r) { O(r).mutable_physical()->set_battery_health_percent(101); },
       "observation.physical.battery_health_percent", "0-100"},
      {"BatteryCyclesAbove100000", [](auto& r) { O(r).mutable_physical()->set_battery_cycle_count(100'001); },
       "observation.physical.battery_cycle_count", "0-100000"},
      // Unknown enum values (proto3 enums are open: the wire carries them through).
      {"UnknownOperatingState", [](auto& r) { O(r).set_operating_state(static_cast<v1::OperatingState>(99)); },
       "observation.operating_state", "unknown enum value 99"},
      {"UnknownLocationSource",
       [](auto& r) { O(r).mutable_location()->set_source(static_cast<v1::LocationSource>(42)); },
       "observation.location.source", "unknown enum value 42"},
      {"UnknownServiceKind",
       [](auto& r) { O(r).mutable_security()->mutable_open_services(0)->set_kind(static_cast<v1::ServiceKind>(77)); },
       "observation.security.open_services[0].kind", "unknown enum value 77"},
      {"UnknownWifiSecurity",
       [](auto& r) { O(r).mutable_security()->set_wifi_security(static_cast<v1::WifiSecurity>(-3)); },
       "observation.security.wifi_security", "unknown enum value -3"},
      {"UnknownSealState", [](auto& r) { O(r).mutable_physical()->set_seal_state(static_cast<v1::SealState>(4)); },
       "observation.physical.seal_state", "unknown enum value 4"},
      {"UnknownPowerSource",
       [](auto& r) { O(r).mutable_physical()->set_power_source(static_cast<v1::PowerSource>(3)); },
       "observation.physical.power_source", "unknown enum value 3"},
      // Oversize strings and collections.
      {"Firmware65Bytes", [](auto& r) { O(r).set_firmware_version(std::string(65, '1')); },
       "observation.firmware_version", "at most 64 bytes, got 65"},
      {"FacilityTooLong", [](auto& r) { O(r).mutable_location()->set_facility(std::string(65, 'f')); },
       "observation.location.facility", "at most 64 bytes"},
      {"DrugLibraryName129Bytes", [](auto& r) { O(r).mutable_drug_library()->set_name(std::string(129, 'n')); },
       "observation.drug_library.name", "at most 128 bytes"},
      {"ConfigurationDigestTooLong", [](auto& r) { O(r).mutable_configuration()->set_digest(std::string(129, 'd')); },
       "observation.configuration.digest", "at most 128 bytes"},
      {"SettingValue300Bytes",
       [](auto& r) { (*O(r).mutable_configuration()->mutable_settings())["wifi.eap"] = std::string(300, 'v'); },
       "observation.configuration.settings[wifi.eap]", "at most 256 bytes, got 300"},
      {"SettingKeyTooLong",
       [](auto& r) { (*O(r).mutable_configuration()->mutable_settings())[std::string(129, 'k')] = "x"; },
       "observation.configuration.settings.key", "at most 128 bytes"},
      {"SettingKeyEmpty", [](auto& r) { (*O(r).mutable_configuration()->mutable_settings())[""] = "x"; },
       "observation.configuration.settings.key", "is required"},
      {"TooManySettings",
       [](auto& r) {
         auto& settings = *O(r).mutable_configuration()->mutable_settings();
         for (int i = 0; i < 257; ++i) settings[absl::StrCat("k", i)] = "v";
       },
       "observation.configuration.settings", "at most 256 entries"},
      {"TooManyOpenServices",
       [](auto& r) {
         for (int i = 0; i < 64; ++i) {
           auto* service = O(r).mutable_security()->add_open_services();
           service->set_kind(v1::SERVICE_KIND_OTHER);
           service->set_port(1000 + i);
         }
       },
       "observation.security.open_services", "at most 64 entries"},
      {"OpenServicePort65536", [](auto& r) { O(r).mutable_security()->mutable_open_services(0)->set_port(65536); },
       "observation.security.open_services[0].port", "at most 65535"},
      // Control characters in text (valid UTF-8, so protobuf lets them through to the validator).
      {"NewlineInModel", [](auto& r) { O(r).mutable_identity()->set_model("Infusia\n500"); },
       "observation.identity.model", "without control characters"},
      {"NulInRoom",
       [](auto& r) {
         O(r).mutable_location()->set_room(
             std::string("51\0"
                         "2",
                         4));
       },
       "observation.location.room", "without control characters"},
      {"DelInSealId", [](auto& r) { O(r).mutable_physical()->set_seal_id("SEAL\x7f"); }, "observation.physical.seal_id",
       "without control characters"},
      {"C1ControlInManufacturer", [](auto& r) { O(r).mutable_identity()->set_manufacturer("Acme\xc2\x85Medical"); },
       "observation.identity.manufacturer", "without control characters"},
      {"EscapeInFirmware", [](auto& r) { O(r).set_firmware_version("12.1\x1b[31m"); }, "observation.firmware_version",
       "without control characters"},
      // Clock offset.
      {"ClockOffsetElevenYears",
       [](auto& r) { O(r).mutable_security()->mutable_clock_offset()->set_seconds(int64_t{11} * 365 * 86400); },
       "observation.security.clock_offset", "10 years"},
      {"ClockOffsetMinusElevenYears",
       [](auto& r) { O(r).mutable_security()->mutable_clock_offset()->set_seconds(int64_t{-11} * 365 * 86400); },
       "observation.security.clock_offset", "10 years"},
      {"ClockOffsetMixedSigns",
       [](auto& r) {
         O(r).mutable_security()->mutable_clock_offset()->set_seconds(5);
         O(r).mutable_security()->mutable_clock_offset()->set_nanos(-5);
       },
       "observation.security.clock_offset", "valid duration"},
      // Agent.
      {"AgentMissing", [](auto& r) { r.clear_agent(); }, "agent.agent_id", "[A-Za-z0-9._:-]"},
      {"AgentIdEmpty", [](auto& r) { r.mutable_agent()->clear_agent_id(); }, "agent.agent_id", "1-64"},
      {"AgentIdBadCharacters", [](auto& r) { r.mutable_agent()->set_agent_id("gw 5west/01"); }, "agent.agent_id",
       "[A-Za-z0-9._:-]"},
      {"AgentIdTooLong", [](auto& r) { r.mutable_agent()->set_agent_id(std::string(65, 'g')); }, "agent.agent_id",
       "1-64"},
      {"AgentVersionControlCharacter", [](auto& r) { r.mutable_agent()->set_agent_version("0.1\t0"); },
       "agent.agent_version", "without control characters"},
  };
}

class ReportValidationTest : public ServiceTest, public ::testing::WithParamInterface<BadInput> {
 protected:
  // Nothing at all is stored: the fleet is empty, and neither the tag nor the serial resolves.
  void ExpectNothingStored(const v1::ReportRequest& request) {
    v1::ListDevicesRequest list;
    v1::ListDevicesResponse response;
    grpc::Status status = server().ListDevices(list, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(response.devices_size(), 0);

    const v1::DeviceIdentity& identity = request.observation().identity();
    v1::Device device;
    if (IsValidAssetTagForLookup(identity.asset_tag())) {
      EXPECT_EQ(server().GetDevice(TagKey(identity.asset_tag()), &device).error_code(), grpc::StatusCode::NOT_FOUND);
    }
    if (!identity.serial_number().empty() && identity.serial_number().size() <= 64) {
      EXPECT_EQ(server().GetDevice(SerialKey(identity.serial_number()), &device).error_code(),
                grpc::StatusCode::NOT_FOUND);
    }
  }

  static bool IsValidAssetTagForLookup(const std::string& tag) {
    if (tag.empty() || tag.size() > 64) return false;
    for (char ch : tag) {
      if (!absl::ascii_isalnum(static_cast<unsigned char>(ch)) && ch != '.' && ch != '_' && ch != '-') return false;
    }
    return true;
  }
};

TEST_P(ReportValidationTest, RejectedWithFieldAndNothingStored) {
  const BadInput& input = GetParam();
  v1::ReportRequest request = ValidRequest();
  input.mutate(request);

  v1::ReportResponse response;
  grpc::Status status = server().agent().Report(Context().get(), request, &response);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_TRUE(absl::StartsWith(status.error_message(), input.field + ": "))
      << "message \"" << status.error_message() << "\" does not name " << input.field;
  if (!input.reason.empty()) {
    EXPECT_TRUE(absl::StrContains(status.error_message(), input.reason))
        << "message \"" << status.error_message() << "\" lacks \"" << input.reason << "\"";
  }
  EXPECT_EQ(response.result(), v1::REPORT_RESULT_UNSPECIFIED);
  ExpectNothingStored(request);

  // The same request with the defect undone is accepted: the test really isolates one bad field.
  EXPECT_EQ(server().MustReport(ValidRequest().observation()), v1::REPORT_RESULT_ACCEPTED);
}

INSTANTIATE_TEST_SUITE_P(BadInputs, ReportValidationTest, ::testing::ValuesIn(BadInputs()),
                         [](const ::testing::TestParamInfo<BadInput>& param_info) { return param_info.param.name; });

// Values exactly at each documented limit are accepted.
TEST_F(ServiceTest, ReportAcceptsValuesAtEveryLimit) {
  v1::Observation o = Obs(std::string(64, 'T')).Seq(1).At(kNow + absl::Minutes(5)).Battery(100).Confidence(1.0f);
  o.mutable_identity()->set_serial_number(std::string(64, 'S'));
  o.mutable_physical()->set_seal_id(std::string(64, 'L'));
  o.set_firmware_version(std::string(64, '1'));
  o.mutable_security()->mutable_open_services(0)->set_port(65535);
  o.mutable_security()->mutable_clock_offset()->set_seconds(int64_t{-3653} * 86400);
  o.mutable_identity()->set_manufacturer(
      "Acm\xc3\xa9 M\xc3\xa9"
      "dical \xe2\x9c\x93 \xf0\x9f\x92\x89");  // multibyte
  auto& settings = *o.mutable_configuration()->mutable_settings();
  settings.clear();
  for (int i = 0; i < 255; ++i) settings[absl::StrCat("k", i)] = "v";
  settings[std::string(128, 'k')] = std::string(256, 'v');
  ASSERT_EQ(o.configuration().settings_size(), 256);
  EXPECT_EQ(server().MustReport(o), v1::REPORT_RESULT_ACCEPTED);

  v1::Observation lower =
      Obs("PT-LOW").At(absl::FromCivil(absl::CivilDay(2000, 1, 1), absl::UTCTimeZone())).Confidence(0.0f).Battery(0);
  lower.mutable_security()->clear_clock_offset();
  lower.mutable_security()->mutable_open_services(0)->set_port(0);
  EXPECT_EQ(server().MustReport(lower), v1::REPORT_RESULT_ACCEPTED);

  // A sparse observation with only the required fields is valid too.
  v1::Observation sparse;
  sparse.mutable_identity()->set_asset_tag("PT-SPARSE");
  sparse.mutable_identity()->set_serial_number("SN-SPARSE");
  *sparse.mutable_observed_at() = ToTimestamp(kNow);
  sparse.set_sequence(1);
  EXPECT_EQ(server().MustReport(sparse), v1::REPORT_RESULT_ACCEPTED);
  EXPECT_EQ(server().MustGetDevice(std::string(64, 'T')).accepted_reports(), 1u);
}

// Invalid UTF-8 in a proto3 `string` field makes protobuf's parser refuse the whole request without naming the
// field. AgentService is registered with raw methods and parses requests itself, so the agent still gets
// INVALID_ARGUMENT naming the field, and nothing is stored. The bytes are built by hand (a valid request, then one
// field patched to 0xC3 0x28, an invalid 2-byte sequence) and sent through a raw ByteBuffer call, so no client-side
// protobuf check is involved.
TEST_F(ServiceTest, ReportWithInvalidUtf8IsInvalidArgumentNamingTheField) {
  v1::ReportRequest request = ValidRequest();
  request.mutable_observation()->mutable_identity()->set_manufacturer("Acme~~Medical");
  std::string bytes = request.SerializeAsString();
  const std::size_t at = bytes.find("Acme~~Medical");
  ASSERT_NE(at, std::string::npos);
  bytes[at + 4] = '\xc3';
  bytes[at + 5] = '\x28';

  grpc::Slice slice(bytes);
  grpc::ByteBuffer body(&slice, 1);
  grpc::ByteBuffer reply;
  grpc::TemplatedGenericStub<grpc::ByteBuffer, grpc::ByteBuffer> stub(server().channel());
  absl::Notification done;
  grpc::Status status;
  auto context = Context();
  stub.UnaryCall(context.get(), "/pumptrack.v1.AgentService/Report", grpc::StubOptions(), &body, &reply,
                 [&](grpc::Status s) {
                   status = std::move(s);
                   done.Notify();
                 });
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(10)));

  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_EQ(status.error_message(),
            "observation.identity.manufacturer: must be valid UTF-8 without control characters");
  v1::Device device;
  EXPECT_EQ(server().GetDevice(TagKey(kTag), &device).error_code(), grpc::StatusCode::NOT_FOUND);

  // Sanity: the unpatched bytes are a valid request.
  request.mutable_observation()->mutable_identity()->set_manufacturer("Acme Medical");
  EXPECT_EQ(server().MustReport(request.observation()), v1::REPORT_RESULT_ACCEPTED);
}

// The same through the generated stub, with the field set via mutable_*()->assign(): the C++ client serializes it
// (release builds only log), and the server refuses it naming the field.
TEST_F(ServiceTest, ReportWithInvalidUtf8ViaGeneratedStubNamesTheField) {
  v1::ReportRequest request = ValidRequest();
  request.mutable_observation()->mutable_location()->mutable_room()->assign(
      "5\xff"
      "12");
  v1::ReportResponse response;
  grpc::Status status = server().agent().Report(Context().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_TRUE(absl::StartsWith(status.error_message(), "observation.location.room: must be valid UTF-8"))
      << status.error_message();
  v1::Device device;
  EXPECT_EQ(server().GetDevice(TagKey(kTag), &device).error_code(), grpc::StatusCode::NOT_FOUND);
}

}  // namespace
}  // namespace pumptrack::service
