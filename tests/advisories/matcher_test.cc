#include "advisories/matcher.h"

#include <string>
#include <vector>

#include "advisories/csaf_parser.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/advisories/fixtures.h"

namespace pumptrack::advisories {
namespace {

using ::testing::ElementsAre;

AdvisoryMatcher MustCompile(absl::string_view fixture) {
  absl::StatusOr<v1::Advisory> advisory = ParseCsafAdvisory(testing::ReadFixture(fixture));
  EXPECT_TRUE(advisory.ok()) << fixture << ": " << advisory.status();
  absl::StatusOr<AdvisoryMatcher> matcher = AdvisoryMatcher::Compile(advisory.ok() ? *advisory : v1::Advisory());
  EXPECT_TRUE(matcher.ok()) << matcher.status();
  return *std::move(matcher);
}

const AdvisoryProductRef kPcu{"BD", "Alaris PCU 8015"};
const AdvisoryProductRef kSystemsManager{"BD", "Alaris Systems Manager"};
const AdvisoryProductRef kGuardrails{"BD", "Alaris Guardrails Editor"};

TEST(MatcherTest, BdAlarisAffectedWithCvesScoreAndRemediation) {
  const AdvisoryMatcher matcher = MustCompile("icsma-23-193-01.json");
  const MatchResult result = matcher.Match(kPcu, "12.1.0");
  EXPECT_EQ(result.verdict, Verdict::kAffected);
  EXPECT_EQ(result.product_id, "CSAFPID-0001");
  EXPECT_EQ(result.version_text, "<=12.1.3");
  EXPECT_THAT(result.cves, ElementsAre("CVE-2023-30559", "CVE-2023-30560"));
  EXPECT_DOUBLE_EQ(result.max_base_score, 6.8);
  ASSERT_EQ(result.remediations.size(), 3u);
  EXPECT_EQ(result.remediations[0].category(), "vendor_fix");
  EXPECT_EQ(result.reason,
            "version \"12.1.0\" is in \"<=12.1.3\" (CSAFPID-0001), known affected by CVE-2023-30559, CVE-2023-30560");
}

TEST(MatcherTest, BdAlarisFixedAndOutside) {
  const AdvisoryMatcher matcher = MustCompile("icsma-23-193-01.json");
  const MatchResult fixed = matcher.Match(kPcu, "12.3.0");
  EXPECT_EQ(fixed.verdict, Verdict::kFixed);
  EXPECT_EQ(fixed.product_id, "CSAFPID-0002");
  EXPECT_THAT(fixed.cves, ElementsAre("CVE-2023-30559", "CVE-2023-30560"));
  // Above the affected range, not the listed fixed version: outside everything.
  const MatchResult outside = matcher.Match(kPcu, "12.1.4");
  EXPECT_EQ(outside.verdict, Verdict::kNotAffected);
  EXPECT_EQ(outside.product_id, "");
  EXPECT_EQ(outside.reason,
            "version \"12.1.4\" is outside every range advisory ICSMA-23-193-01 gives for BD Alaris PCU 8015");
  // Names are compared ignoring case and runs of blanks.
  EXPECT_EQ(matcher.Match({"bd", "alaris   pcu 8015"}, "12.1.3").verdict, Verdict::kAffected);
}

TEST(MatcherTest, BdAlarisVersAndAllVersions) {
  const AdvisoryMatcher matcher = MustCompile("icsma-23-193-01.json");
  EXPECT_EQ(matcher.Match(kSystemsManager, "1.2").verdict, Verdict::kAffected);
  EXPECT_EQ(matcher.Match(kSystemsManager, "1.3.3").verdict, Verdict::kNotAffected);
  const MatchResult any = matcher.Match(kGuardrails, "2020.1");
  EXPECT_EQ(any.verdict, Verdict::kAffected);
  EXPECT_THAT(any.cves, ElementsAre("CVE-2023-30563"));
  EXPECT_DOUBLE_EQ(any.max_base_score, 8.2);
}

TEST(MatcherTest, ProductNotNamed) {
  const AdvisoryMatcher matcher = MustCompile("icsma-23-193-01.json");
  const AdvisoryProductRef other{"BD", "Alaris PCU 8000"};
  EXPECT_FALSE(matcher.Names(other));
  EXPECT_TRUE(matcher.Names(kPcu));
  const MatchResult result = matcher.Match(other, "1.0");
  EXPECT_EQ(result.verdict, Verdict::kNotAffected);
  EXPECT_EQ(result.product_id, "");
  EXPECT_EQ(result.reason, "advisory ICSMA-23-193-01 does not name BD Alaris PCU 8000");
}

TEST(MatcherTest, BBraunBatteryPackByProductLineThroughItsRelationship) {
  const AdvisoryMatcher matcher = MustCompile("icsma-21-294-01.json");
  const AdvisoryProductRef battery{"B. Braun", "Battery Pack SP with Wi-Fi"};
  const MatchResult u55 = matcher.Match(battery, "U55");
  EXPECT_EQ(u55.verdict, Verdict::kAffected);
  // Listed as affected through the "installed_on" relationship product.
  EXPECT_EQ(u55.product_id, "CSAFPID-0008");
  EXPECT_EQ(u55.version_text, "<= U61 | <= L81");
  EXPECT_THAT(u55.cves, ElementsAre("CVE-2021-33885"));
  EXPECT_DOUBLE_EQ(u55.max_base_score, 9.7);
  ASSERT_EQ(u55.remediations.size(), 2u);
  EXPECT_EQ(u55.remediations[1].details(), "Place pumps on a network segment of their own.");
  EXPECT_EQ(matcher.Match(battery, "L81").verdict, Verdict::kAffected);
  EXPECT_EQ(matcher.Match(battery, "L90").verdict, Verdict::kNotAffected);
  EXPECT_EQ(matcher.Match(battery, "U62").verdict, Verdict::kFixed);
  const MatchResult other_line = matcher.Match(battery, "12.0");
  EXPECT_EQ(other_line.verdict, Verdict::kNeedsReview);
  EXPECT_EQ(other_line.reason,
            "CSAFPID-0008 \"<= U61 | <= L81\": reported version \"12.0\" is of product line \"(digits)\", which the "
            "range does not name (it names L, U)");
}

TEST(MatcherTest, BBraunSpaceComIntervalAndKnownNotAffected) {
  const AdvisoryMatcher matcher = MustCompile("icsma-21-294-01.json");
  const AdvisoryProductRef spacecom{"B. Braun", "SpaceCom"};
  const MatchResult inside = matcher.Match(spacecom, "1.3");
  EXPECT_EQ(inside.verdict, Verdict::kAffected);
  EXPECT_THAT(inside.cves, ElementsAre("CVE-2021-33885", "CVE-2021-33882"));
  EXPECT_DOUBLE_EQ(inside.max_base_score, 7.5);
  // 1.2 is inside ">= 1.1 | <= 1.3.2" (affected) and is also "=1.2" (known not affected): affected wins.
  EXPECT_EQ(matcher.Match(spacecom, "1.2").verdict, Verdict::kAffected);
  EXPECT_EQ(matcher.Match(spacecom, "1.4").verdict, Verdict::kNotAffected);
}

TEST(MatcherTest, BBraunProseAndDateNeedReview) {
  const AdvisoryMatcher matcher = MustCompile("icsma-21-294-01.json");
  const MatchResult station = matcher.Match({"B. Braun", "SpaceStation"}, "6.2");
  EXPECT_EQ(station.verdict, Verdict::kNeedsReview);
  EXPECT_EQ(station.product_id, "CSAFPID-0006");
  EXPECT_EQ(station.reason,
            "CSAFPID-0006 \"B. Braun SpaceStation v6.x (with SpaceCom 2)\": range \"v6.x (with "
            "SpaceCom 2)\": \"v6.x (with SpaceCom 2)\" is not a version");
  EXPECT_EQ(matcher.Match({"B. Braun", "Space Online Suite"}, "2.1").verdict, Verdict::kNeedsReview);
}

TEST(MatcherTest, BaxterWirelessBatteryModules) {
  const AdvisoryMatcher matcher = MustCompile("icsma-22-251-01.json");
  const AdvisoryProductRef modules{"Baxter", "Wireless Battery Module"};
  const MatchResult v22d24 = matcher.Match(modules, "v22D24");
  EXPECT_EQ(v22d24.verdict, Verdict::kAffected);
  EXPECT_EQ(v22d24.product_id, "CSAFPID-0002");
  EXPECT_THAT(v22d24.cves, ElementsAre("CVE-2022-26390", "CVE-2022-26392"));
  EXPECT_DOUBLE_EQ(v22d24.max_base_score, 5.3);
  const MatchResult v16 = matcher.Match(modules, "v16");
  EXPECT_EQ(v16.verdict, Verdict::kAffected);
  EXPECT_EQ(v16.product_id, "CSAFPID-0003");
  EXPECT_THAT(v16.cves, ElementsAre("CVE-2022-26390"));
  EXPECT_EQ(matcher.Match(modules, "v21D01").verdict, Verdict::kNotAffected);
  EXPECT_EQ(matcher.Match(modules, "v22D30").verdict, Verdict::kFixed);
  EXPECT_EQ(matcher.Match(modules, "").verdict, Verdict::kNeedsReview);
  EXPECT_EQ(matcher.Match({"Baxter", "Sigma Spectrum Infusion System"}, "8.00.01").verdict, Verdict::kAffected);
  EXPECT_EQ(matcher.Match({"Baxter", "Sigma Spectrum Infusion System"}, "8.01").verdict, Verdict::kNotAffected);
  const MatchResult iq = matcher.Match({"Baxter", "Spectrum IQ Infusion System"}, "9.0.1");
  EXPECT_EQ(iq.verdict, Verdict::kNotAffected);
  EXPECT_EQ(iq.product_id, "CSAFPID-0005");
  EXPECT_EQ(iq.reason, "version \"9.0.1\" is in \"vers:all/*\" (CSAFPID-0005), known not affected");
}

TEST(MatcherTest, SmithsMedfusionRevisionTwoFixesWhatRevisionOneLeftOpen) {
  const AdvisoryProductRef pump{"Smiths Medical", "Medfusion 4000 Wireless Syringe Infusion Pump"};
  const AdvisoryMatcher first = MustCompile("icsma-17-250-02-v1.json");
  const AdvisoryMatcher second = MustCompile("icsma-17-250-02-v2.json");
  for (const char* version : {"1.1", "1.5", "1.6", "1.6.0"}) {
    EXPECT_EQ(first.Match(pump, version).verdict, Verdict::kAffected) << version;
    EXPECT_EQ(second.Match(pump, version).verdict, Verdict::kAffected) << version;
  }
  EXPECT_EQ(first.Match(pump, "1.4").verdict, Verdict::kNotAffected);
  EXPECT_EQ(first.Match(pump, "1.7.0").verdict, Verdict::kNotAffected);
  EXPECT_EQ(second.Match(pump, "1.7.0").verdict, Verdict::kFixed);
  EXPECT_DOUBLE_EQ(second.Match(pump, "1.5").max_base_score, 8.1);
  EXPECT_EQ(second.Match({"Smiths Medical", "Medfusion 3500 Syringe Infusion Pump"}, "1.9").verdict,
            Verdict::kNotAffected);
  EXPECT_EQ(second.Match({"Smiths Medical", "Medfusion 3500 Syringe Infusion Pump"}, "1.9").product_id, "CSAFPID-0003");
}

TEST(MatcherTest, UnderInvestigationNeedsReview) {
  absl::StatusOr<v1::Advisory> advisory = ParseCsafAdvisory(testing::ReadFixture("icsma-23-193-01.json"));
  ASSERT_TRUE(advisory.ok());
  v1::ProductStatus& status = *advisory->mutable_vulnerabilities(0)->mutable_product_status();
  status.clear_fixed();
  status.add_under_investigation("CSAFPID-0002");
  advisory->mutable_vulnerabilities(1)->mutable_product_status()->clear_fixed();
  absl::StatusOr<AdvisoryMatcher> matcher = AdvisoryMatcher::Compile(*advisory);
  ASSERT_TRUE(matcher.ok());
  const MatchResult result = matcher->Match(kPcu, "12.3.0");
  EXPECT_EQ(result.verdict, Verdict::kNeedsReview);
  EXPECT_EQ(result.reason, "CSAFPID-0002 \"12.3.0\" is under investigation");
}

TEST(MatcherTest, RefusesAStoredRangeThatDoesNotValidate) {
  absl::StatusOr<v1::Advisory> advisory = ParseCsafAdvisory(testing::ReadFixture("icsma-23-193-01.json"));
  ASSERT_TRUE(advisory.ok());
  advisory->mutable_products(0)->mutable_range()->mutable_constraints(0)->set_version("not a version");
  const absl::Status status = AdvisoryMatcher::Compile(*advisory).status();
  EXPECT_TRUE(absl::IsInvalidArgument(status));
  EXPECT_EQ(status.message(),
            "advisory ICSMA-23-193-01 product CSAFPID-0001: stored range: \"not a version\" is not a version");
}

TEST(MatcherTest, VerdictNames) {
  EXPECT_EQ(VerdictName(Verdict::kAffected), "affected");
  EXPECT_EQ(VerdictName(Verdict::kNeedsReview), "needs review");
}

}  // namespace
}  // namespace pumptrack::advisories
