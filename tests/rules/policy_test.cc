#include "rules/policy.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/rules/rules_test_util.h"

namespace pumptrack::rules {
namespace {

using ::testing::HasSubstr;

absl::Status Parse(absl::string_view text) { return CompiledPolicy::FromText(text).status(); }

TEST(PolicyTest, ParsesAndIndexesTheSite) {
  std::shared_ptr<const CompiledPolicy> policy = testing::TestPolicy();
  ASSERT_NE(policy->FindUnit("general", "5-west"), nullptr);
  EXPECT_EQ(policy->FindUnit("general", "5-west")->par_level(), 4u);
  EXPECT_EQ(policy->FindUnit("annex", "5-west"), nullptr);
  EXPECT_EQ(policy->FindUnitAnywhere("icu-1")->facility(), "general");
  EXPECT_TRUE(policy->IsExitZone("general", "biomed", "dock-exit"));
  EXPECT_FALSE(policy->IsExitZone("general", "biomed", "biomed-101"));
  EXPECT_NE(policy->FindModel("Infusia 500"), nullptr);
  EXPECT_THAT(policy->digest(), ::testing::StartsWith("sha256:"));
}

TEST(PolicyTest, MissingThresholdsByStateAndOverride) {
  std::shared_ptr<const CompiledPolicy> policy = testing::TestPolicy();
  EXPECT_EQ(policy->MissingAfter(v1::OPERATING_STATE_IDLE, absl::ZeroDuration()), absl::Minutes(30));
  EXPECT_EQ(policy->MissingAfter(v1::OPERATING_STATE_OFF, absl::ZeroDuration()), absl::Hours(24));
  EXPECT_EQ(policy->MissingAfter(v1::OPERATING_STATE_OFF, absl::Seconds(5)), absl::Seconds(5));
  EXPECT_EQ(CompiledPolicy::Empty()->MissingAfter(v1::OPERATING_STATE_IDLE, absl::ZeroDuration()),
            kDefaultMissingAfter);
}

TEST(PolicyTest, SyntaxErrorsNameTheLine) {
  absl::Status status = Parse("revision: \"x\"\nsite {\n  units { id: 5 }\n}\n");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("line 3"));
  status = Parse("no_such_field: 1\n");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("line 1"));
}

TEST(PolicyTest, SemanticErrorsNameTheField) {
  struct Case {
    const char* text;
    const char* field;
  };
  const Case cases[] = {
      {R"(site { units { id: "a" facility: "nowhere" } })", "site.units[0].facility"},
      {R"(site { facilities { id: "f" } facilities { id: "f" } })", "site.facilities[1].id"},
      {R"(site { facilities { id: "bad id" } })", "site.facilities[0].id"},
      {R"(site { facilities { id: "f" } units { id: "u" facility: "f" building: "nope" } })", "site.units[0].building"},
      {R"(models { model: "M" } models { model: "M" })", "models[1].model"},
      {R"(models { model: "M" firmware { minimum: "latest" } })", "models[0].firmware.minimum"},
      {R"(models { model: "M" vulnerable_firmware { advisory: "A" fixed: "2.0" } })",
       "models[0].vulnerable_firmware[0].severity"},
      {R"(models { model: "M" drug_libraries { care_area: "icu" name: "x" max_age { seconds: -5 } } })",
       "models[0].drug_libraries[0].max_age"},
      {R"(missing { thresholds { after { seconds: 60 } } })", "missing.thresholds[0].operating_state"},
      {R"(missing { default_after { seconds: 0 } })", "missing.default_after"},
  };
  for (const Case& c : cases) {
    absl::Status status = Parse(c.text);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.text;
    EXPECT_THAT(status.message(), HasSubstr(c.field)) << c.text;
  }
}

TEST(PolicyTest, RefusesOversizeText) {
  const std::string huge(kMaxPolicyTextBytes + 1, ' ');
  EXPECT_EQ(Parse(huge).code(), absl::StatusCode::kInvalidArgument);
}

TEST(PolicyTest, TextRoundTripsThroughTheProto) {
  std::shared_ptr<const CompiledPolicy> policy = testing::TestPolicy();
  absl::StatusOr<std::shared_ptr<const CompiledPolicy>> again = CompiledPolicy::FromProto(policy->proto());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->proto().SerializeAsString(), policy->proto().SerializeAsString());
}

}  // namespace
}  // namespace pumptrack::rules
