// Issue #14, item 7: every enum value a table can show reads as a word people use (cli/enum_words.h), never as the
// proto's enum name; JSON output keeps the enum names.
#include "cli/enum_words.h"

#include <string>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"

namespace pumptrack::cli {
namespace {

// Checks every value of `E` except the zero one: a word, not "unknown", in lower case unless it is a name or an
// acronym, and without the '_' of an enum name (unless `underscore_ok`: role names, shown as typed).
template <typename E>
void ExpectWordsForEveryValue(const google::protobuf::EnumDescriptor& descriptor, absl::string_view (*word)(E),
                              bool underscore_ok = false) {
  for (int i = 0; i < descriptor.value_count(); ++i) {
    const google::protobuf::EnumValueDescriptor& value = *descriptor.value(i);
    if (value.number() == 0) continue;
    const std::string text(word(static_cast<E>(value.number())));
    SCOPED_TRACE(value.name() + " -> \"" + text + "\"");
    EXPECT_FALSE(text.empty());
    EXPECT_NE(text, "unknown");
    EXPECT_FALSE(absl::StrContains(text, value.name()));
    if (!underscore_ok) {
      EXPECT_FALSE(absl::StrContains(text, "_"));
    }
  }
}

TEST(EnumWordsTest, EveryValueOfEveryEnumATableShowsIsAWord) {
  ExpectWordsForEveryValue(*v1::OperatingState_descriptor(), &OperatingStateName);
  ExpectWordsForEveryValue(*v1::LocationSource_descriptor(), &LocationSourceName);
  ExpectWordsForEveryValue(*v1::WifiSecurity_descriptor(), &WifiSecurityName);
  ExpectWordsForEveryValue(*v1::SealState_descriptor(), &SealStateName);
  ExpectWordsForEveryValue(*v1::CaseState_descriptor(), &CaseStateName);
  ExpectWordsForEveryValue(*v1::PowerSource_descriptor(), &PowerSourceName);
  ExpectWordsForEveryValue(*v1::ServiceKind_descriptor(), &ServiceKindName);
  ExpectWordsForEveryValue(*v1::ChangeKind_descriptor(), &ChangeKindName);
  ExpectWordsForEveryValue(*v1::HomeSource_descriptor(), &HomeSourceName);
  ExpectWordsForEveryValue(*v1::FindingKind_descriptor(), &FindingKindName);
  ExpectWordsForEveryValue(*v1::Severity_descriptor(), &SeverityName);
  ExpectWordsForEveryValue(*v1::FindingState_descriptor(), &FindingStateName);
  ExpectWordsForEveryValue(*v1::FindingEvent::Type_descriptor(), &FindingEventTypeName);
  ExpectWordsForEveryValue(*v1::CustodyState_descriptor(), &CustodyStateName);
  ExpectWordsForEveryValue(*v1::CustodyAction_descriptor(), &CustodyActionName);
  ExpectWordsForEveryValue(*v1::Proximity_descriptor(), &ProximityName);
  ExpectWordsForEveryValue(*v1::Role_descriptor(), &RoleName, /*underscore_ok=*/true);
  ExpectWordsForEveryValue(*v1::AgentState_descriptor(), &AgentStateName);
  ExpectWordsForEveryValue(*v1::ActorKind_descriptor(), &ActorKindName);
}

TEST(EnumWordsTest, TheWordsPeopleUse) {
  EXPECT_EQ(FindingKindName(v1::FINDING_KIND_INSECURE), "insecure");
  EXPECT_EQ(FindingKindName(v1::FINDING_KIND_MISCONFIGURED), "misconfigured");
  EXPECT_EQ(FindingKindName(v1::FINDING_KIND_UNAUTHORIZED_MOVE), "unauthorized move");
  EXPECT_EQ(FindingKindName(v1::FINDING_KIND_PAR_LOW), "par low");
  EXPECT_EQ(CustodyStateName(v1::CUSTODY_STATE_IN_TRANSIT), "in transit");
  EXPECT_EQ(HomeSourceName(v1::HOME_SOURCE_SITE), "asset register");
  EXPECT_EQ(FindingKindName(static_cast<v1::FindingKind>(99)), "unknown");
}

TEST(EnumWordsTest, JsonKeepsTheEnumNames) {
  v1::Finding finding;
  finding.set_kind(v1::FINDING_KIND_UNAUTHORIZED_MOVE);
  std::string json;
  ASSERT_TRUE(google::protobuf::util::MessageToJsonString(finding, &json).ok());
  EXPECT_THAT(json, ::testing::HasSubstr("\"FINDING_KIND_UNAUTHORIZED_MOVE\""));
}

}  // namespace
}  // namespace pumptrack::cli
