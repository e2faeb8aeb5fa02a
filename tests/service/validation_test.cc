// ValidateObservation / ValidateAgentInfo / IsValidAssetTag as pure functions: the accepted shapes, exact limits,
// and the UTF-8 and control-character rules that gRPC clients cannot always reach (protobuf refuses invalid UTF-8
// in proto3 strings before the service sees it).

#include "service/validation.h"

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/unknown_field_set.h"
#include "gtest/gtest.h"
#include "service_test_util.h"

namespace pumptrack::service {
namespace {

using testing_util::Agent;
using testing_util::BaseTime;
using testing_util::Obs;
using testing_util::ToTimestamp;

const absl::Time kNow = BaseTime() + absl::Minutes(1);

std::string Describe(const std::optional<FieldViolation>& violation) {
  return violation ? absl::StrCat(violation->field, ": ", violation->reason) : "valid";
}

// Every optional field set, every collection non-empty, every enum at a non-default value.
v1::Observation FullyPopulated() {
  v1::Observation o = Obs("PT-00042").Seq(12345).At(kNow - absl::Seconds(3));
  o.mutable_identity()->set_manufacturer("Acme Medical \xe2\x84\xa2");  // U+2122
  o.mutable_location()->set_source(v1::LOCATION_SOURCE_MANUAL_SCAN);
  o.mutable_location()->set_confidence(1.0f);
  auto* services = o.mutable_security();
  for (int kind = v1::SERVICE_KIND_TELNET; kind <= v1::SERVICE_KIND_OTHER; ++kind) {
    auto* service = services->add_open_services();
    service->set_kind(static_cast<v1::ServiceKind>(kind));
    service->set_port(kind == v1::SERVICE_KIND_USB_DEBUG ? 0 : 1000 + kind);
  }
  services->set_default_credentials(true);
  services->set_remote_access_enabled(true);
  services->set_wifi_security(v1::WIFI_SECURITY_WPA3_ENTERPRISE);
  services->mutable_clock_offset()->set_seconds(-12);
  services->mutable_clock_offset()->set_nanos(-500'000'000);
  o.mutable_physical()->set_seal_state(v1::SEAL_STATE_BROKEN);
  o.mutable_physical()->set_case_state(v1::CASE_STATE_OPENED);
  o.mutable_physical()->set_power_source(v1::POWER_SOURCE_BATTERY);
  o.set_operating_state(v1::OPERATING_STATE_ALARM);
  return o;
}

TEST(ValidationTest, AcceptsAFullyPopulatedValidObservation) {
  std::optional<FieldViolation> violation = ValidateObservation(FullyPopulated(), kNow, "observation");
  EXPECT_FALSE(violation.has_value()) << Describe(violation);
}

TEST(ValidationTest, AcceptsOnlyTheRequiredFields) {
  v1::Observation o;
  o.mutable_identity()->set_asset_tag("a");
  o.mutable_identity()->set_serial_number("s");
  *o.mutable_observed_at() = ToTimestamp(kNow);
  o.set_sequence(1);
  std::optional<FieldViolation> violation = ValidateObservation(o, kNow, "observation");
  EXPECT_FALSE(violation.has_value()) << Describe(violation);
}

TEST(ValidationTest, FieldPathIsPrefixedAndOnlyTheFirstViolationIsReported) {
  v1::Observation o = Obs("PT 1").Seq(0).Battery(200);
  std::optional<FieldViolation> violation = ValidateObservation(o, kNow, "observations[3]");
  ASSERT_TRUE(violation.has_value());
  EXPECT_EQ(violation->field, "observations[3].identity.asset_tag");
  const absl::Status status = ToStatus(*violation);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), absl::StrCat("observations[3].identity.asset_tag: ", violation->reason));
}

TEST(ValidationTest, ObservedAtBoundaries) {
  auto check = [](absl::Time observed_at) { return ValidateObservation(Obs("PT-1").At(observed_at), kNow, "o"); };
  const absl::Time y2k = absl::FromCivil(absl::CivilDay(2000, 1, 1), absl::UTCTimeZone());
  EXPECT_FALSE(check(kNow + absl::Minutes(5)).has_value());
  EXPECT_EQ(check(kNow + absl::Minutes(5) + absl::Microseconds(1))->field, "o.observed_at");
  EXPECT_FALSE(check(y2k).has_value());
  EXPECT_EQ(check(y2k - absl::Microseconds(1))->field, "o.observed_at");
  v1::Observation bad_nanos = Obs("PT-1");
  bad_nanos.mutable_observed_at()->set_nanos(1'000'000'000);
  EXPECT_EQ(ValidateObservation(bad_nanos, kNow, "o")->reason, "is not a valid timestamp");
}

TEST(ValidationTest, ClockOffsetBoundaries) {
  auto check = [](std::int64_t seconds, std::int32_t nanos) {
    v1::Observation o = Obs("PT-1");
    o.mutable_security()->mutable_clock_offset()->set_seconds(seconds);
    o.mutable_security()->mutable_clock_offset()->set_nanos(nanos);
    return ValidateObservation(o, kNow, "o");
  };
  const std::int64_t ten_years = std::int64_t{3653} * 86400;
  EXPECT_FALSE(check(ten_years, 0).has_value());
  EXPECT_FALSE(check(-ten_years, 0).has_value());
  EXPECT_EQ(check(ten_years, 1)->field, "o.security.clock_offset");
  EXPECT_EQ(check(-ten_years - 1, 0)->field, "o.security.clock_offset");
  EXPECT_EQ(check(0, 1'000'000'000)->field, "o.security.clock_offset");
  EXPECT_FALSE(check(0, -999'999'999).has_value());
}

// Invalid UTF-8 cannot be sent through gRPC (protobuf refuses it first), so the validator's own check is exercised
// here: every malformed sequence is rejected with the field named.
TEST(ValidationTest, RejectsEveryKindOfInvalidUtf8) {
  const std::vector<std::string> invalid = {
      "\x80",              // lone continuation byte
      "ab\xc3",            // truncated 2-byte sequence at the end
      "\xe2\x82",          // truncated 3-byte sequence
      "\xc3\x28",          // bad continuation
      "\xc0\xaf",          // overlong '/' (2 bytes)
      "\xe0\x80\xaf",      // overlong '/' (3 bytes)
      "\xf0\x80\x80\xaf",  // overlong '/' (4 bytes)
      "\xed\xa0\x80",      // UTF-16 surrogate U+D800
      "\xf4\x90\x80\x80",  // above U+10FFFF
      "\xf5\x80\x80\x80",  // invalid lead byte
      "\xff",              // never valid
  };
  for (const std::string& bytes : invalid) {
    SCOPED_TRACE(absl::CEscape(bytes));
    v1::Observation o = Obs("PT-1");
    o.mutable_location()->mutable_unit()->assign("5-w" + bytes);
    std::optional<FieldViolation> violation = ValidateObservation(o, kNow, "observation");
    ASSERT_TRUE(violation.has_value());
    EXPECT_EQ(violation->field, "observation.location.unit");
    EXPECT_EQ(violation->reason, "must be valid UTF-8 without control characters");
  }
}

TEST(ValidationTest, AcceptsMultibyteUtf8AndRejectsControlCharacters) {
  auto check_room = [](const std::string& room) {
    v1::Observation o = Obs("PT-1");
    o.mutable_location()->set_room(room);
    return ValidateObservation(o, kNow, "o");
  };
  for (const std::string ok :
       {"Zimmer 5\xc3\xa4", "\xe2\x82\xac", "\xf0\x9f\x92\x89", "\xc2\xa0", "\xef\xbf\xbd", "\xf4\x8f\xbf\xbf"}) {
    EXPECT_FALSE(check_room(ok).has_value()) << absl::CEscape(ok) << ": " << Describe(check_room(ok));
  }
  for (const std::string& bad : {std::string("a\0b", 3), std::string("\x1f"), std::string("\t"), std::string("\x7f"),
                                 std::string("\xc2\x80"), std::string("\xc2\x9f")}) {
    SCOPED_TRACE(absl::CEscape(bad));
    std::optional<FieldViolation> violation = check_room(bad);
    ASSERT_TRUE(violation.has_value());
    EXPECT_EQ(violation->field, "o.location.room");
  }
}

TEST(ValidationTest, AssetTags) {
  EXPECT_TRUE(IsValidAssetTag("PT-00042"));
  EXPECT_TRUE(IsValidAssetTag("a.b_c-D9"));
  EXPECT_TRUE(IsValidAssetTag(std::string(64, 'x')));
  EXPECT_FALSE(IsValidAssetTag(""));
  EXPECT_FALSE(IsValidAssetTag(std::string(65, 'x')));
  for (const char* bad : {"PT 1", "PT/1", "PT:1", "PT\n", "P\xc3\xa9", "PT+1", "PT*"}) {
    EXPECT_FALSE(IsValidAssetTag(bad)) << absl::CEscape(bad);
  }
}

TEST(ValidationTest, AgentInfo) {
  EXPECT_FALSE(ValidateAgentInfo(Agent("gw-5west-01"), "agent").has_value());
  EXPECT_FALSE(ValidateAgentInfo(Agent("urn:gw:5west.01_a"), "agent").has_value());  // ':' allowed here
  EXPECT_FALSE(ValidateAgentInfo(Agent(std::string(64, 'g')), "agent").has_value());
  for (const std::string& bad :
       {std::string(), std::string(65, 'g'), std::string("gw 1"), std::string("gw/1"), std::string("gw\xc3\xa9")}) {
    std::optional<FieldViolation> violation = ValidateAgentInfo(Agent(bad), "agent");
    ASSERT_TRUE(violation.has_value()) << absl::CEscape(bad);
    EXPECT_EQ(violation->field, "agent.agent_id");
  }
  v1::AgentInfo long_version = Agent();
  long_version.set_agent_version(std::string(65, '1'));
  EXPECT_EQ(ValidateAgentInfo(long_version, "agent")->field, "agent.agent_version");
}

TEST(ValidationTest, Components) {
  v1::Observation o = Obs("PT-00042").Seq(1).At(kNow - absl::Seconds(3));
  v1::Component& wifi = *o.add_components();
  wifi.set_kind("wifi-module");
  wifi.set_position("2");
  wifi.set_model("WLAN-7");
  wifi.set_firmware_version(std::string(64, '4'));
  EXPECT_FALSE(ValidateObservation(o, kNow, "o").has_value());

  wifi.set_firmware_version(std::string(65, '4'));
  EXPECT_EQ(Describe(ValidateObservation(o, kNow, "o")),
            "o.components[0].firmware_version: must be at most 64 bytes, got 65");
  wifi.set_firmware_version("4.2.1");
  wifi.set_kind("Wi-Fi");
  EXPECT_EQ(Describe(ValidateObservation(o, kNow, "o")),
            "o.components[0].kind: must be 1-64 characters from [a-z0-9._-]");
  wifi.set_kind("wifi-module");
  for (int i = 0; i < 32; ++i) *o.add_components() = wifi;
  EXPECT_EQ(Describe(ValidateObservation(o, kNow, "o")), "o.components: must hold at most 32 entries");
}

// Whether any message in `message`'s tree (map values included) keeps an unknown field.
bool HasUnknownFields(const google::protobuf::Message& message) {
  const google::protobuf::Reflection& reflection = *message.GetReflection();
  if (!reflection.GetUnknownFields(message).empty()) return true;
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  reflection.ListFields(message, &fields);
  for (const google::protobuf::FieldDescriptor* field : fields) {
    if (field->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) continue;
    if (field->is_repeated()) {
      for (int i = 0; i < reflection.FieldSize(message, field); ++i) {
        if (HasUnknownFields(reflection.GetRepeatedMessage(message, field, i))) return true;
      }
    } else if (HasUnknownFields(reflection.GetMessage(message, field))) {
      return true;
    }
  }
  return false;
}

std::string Bytes(const google::protobuf::UnknownFieldSet& fields) {
  std::string bytes;
  fields.SerializeToString(&bytes);
  return bytes;
}

std::string Deterministic(const google::protobuf::Message& message) {
  std::string bytes;
  google::protobuf::io::StringOutputStream stream(&bytes);
  google::protobuf::io::CodedOutputStream coded(&stream);
  coded.SetSerializationDeterministic(true);
  message.SerializeToCodedStream(&coded);
  coded.Trim();
  return bytes;
}

// An observation with unknown fields at every depth a sender could put them: the top, nested messages, repeated
// messages, a Timestamp, and inside a configuration settings entry on the wire.
v1::Observation WithUnknownFieldsEverywhere() {
  v1::Observation o = FullyPopulated();
  (*o.mutable_configuration()->mutable_settings())["wifi.ssid"] = "clinical-devices";
  o.add_components()->set_kind("wifi-module");
  const auto add = [](google::protobuf::Message& m, int number, const std::string& text) {
    m.GetReflection()->MutableUnknownFields(&m)->AddLengthDelimited(number, text);
  };
  add(o, 4242, "patient: Jane Doe, MRN 123456");
  add(*o.mutable_location(), 900, "bed of patient 7");
  add(*o.mutable_identity(), 901, "MRN 9");
  add(*o.mutable_configuration(), 902, "x");
  add(*o.mutable_security()->mutable_open_services(0), 903, "y");
  add(*o.mutable_components(0), 904, "z");
  add(*o.mutable_observed_at(), 905, "t");
  add(*o.mutable_physical(), 906, "p");
  std::string wire = o.SerializeAsString();

  // One more settings entry whose wire form carries a third field, appended as a second `configuration` (protobuf
  // merges repeated occurrences of a message field).
  const google::protobuf::FieldDescriptor* configuration =
      v1::Observation::descriptor()->FindFieldByName("configuration");
  const google::protobuf::FieldDescriptor* settings = v1::Configuration::descriptor()->FindFieldByName("settings");
  google::protobuf::UnknownFieldSet entry;
  entry.AddLengthDelimited(1, "test.entry");
  entry.AddLengthDelimited(2, "5");
  entry.AddLengthDelimited(3, "patient: Jane Doe");
  google::protobuf::UnknownFieldSet configuration_part;
  configuration_part.AddLengthDelimited(settings->number(), Bytes(entry));
  google::protobuf::UnknownFieldSet observation_part;
  observation_part.AddLengthDelimited(configuration->number(), Bytes(configuration_part));
  wire += Bytes(observation_part);

  v1::Observation parsed;
  EXPECT_TRUE(parsed.ParseFromString(wire));
  return parsed;
}

TEST(DropUnknownFieldsTest, LeavesWhatDiscardUnknownFieldsLeavesAtEveryDepth) {
  const v1::Observation received = WithUnknownFieldsEverywhere();
  ASSERT_TRUE(HasUnknownFields(received));
  ASSERT_EQ(received.configuration().settings().at("test.entry"), "5");

  v1::Observation ours = received;
  DropUnknownFields(ours);
  v1::Observation upstream = received;
  upstream.DiscardUnknownFields();

  EXPECT_FALSE(HasUnknownFields(ours));
  EXPECT_EQ(Deterministic(ours), Deterministic(upstream));
  EXPECT_EQ(ours.configuration().settings().at("test.entry"), "5");
  EXPECT_EQ(ours.configuration().settings().at("wifi.ssid"), "clinical-devices");
  EXPECT_FALSE(absl::StrContains(ours.SerializeAsString(), "patient"));
  EXPECT_FALSE(absl::StrContains(ours.SerializeAsString(), "MRN"));

  v1::AgentInfo agent = Agent();
  agent.GetReflection()->MutableUnknownFields(&agent)->AddLengthDelimited(555, "patient: John Roe");
  DropUnknownFields(agent);
  EXPECT_FALSE(HasUnknownFields(agent));
}

}  // namespace
}  // namespace pumptrack::service
