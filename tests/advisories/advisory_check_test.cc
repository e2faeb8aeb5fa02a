// rules::CompiledAdvisories: the imported fixtures matched against devices through the policy's advisory_products.
#include "rules/advisory_check.h"

#include <string>
#include <vector>

#include "advisories/csaf_parser.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rules/policy.h"
#include "tests/advisories/fixtures.h"

namespace pumptrack::rules {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

v1::Advisory Fixture(const std::string& name) {
  absl::StatusOr<v1::Advisory> advisory = advisories::ParseCsafAdvisory(advisories::testing::ReadFixture(name));
  EXPECT_TRUE(advisory.ok()) << advisory.status();
  return advisory.ok() ? *advisory : v1::Advisory();
}

v1::Policy Mapping() {
  v1::Policy policy;
  auto map = [&](const char* vendor, const char* product, const char* model, const char* component) {
    v1::AdvisoryProductMapping* m = policy.add_advisory_products();
    m->set_vendor(vendor);
    m->set_product(product);
    if (model != nullptr) m->set_model(model);
    if (component != nullptr) m->set_component(component);
  };
  map("BD", "Alaris PCU 8015", "PCU-8015", nullptr);
  map("B. Braun", "Infusomat Space Large Volume Pump", "SPACE-LVP", nullptr);
  map("b. braun", "battery pack  SP with wi-fi", nullptr, "SP-WIFI-BATT");
  map("Baxter", "Wireless Battery Module", nullptr, "WBM-2");
  return policy;
}

v1::Device Pump(const std::string& model, const std::string& firmware) {
  v1::Device device;
  device.mutable_identity()->set_asset_tag("PT-1");
  device.mutable_identity()->set_model(model);
  device.mutable_last_observation()->set_firmware_version(firmware);
  return device;
}

void AddComponent(v1::Device& device, const std::string& model, const std::string& firmware) {
  v1::Component* c = device.mutable_last_observation()->add_components();
  c->set_kind("battery");
  c->set_model(model);
  c->set_firmware_version(firmware);
}

std::shared_ptr<const CompiledAdvisories> CompileAll() {
  return CompiledAdvisories::Compile({Fixture("icsma-23-193-01.json"), Fixture("icsma-21-294-01.json"),
                                      Fixture("icsma-22-251-01.json"), Fixture("icsma-17-250-02-v2.json")},
                                     Mapping());
}

TEST(SeverityFromCvss, Thresholds) {
  EXPECT_EQ(SeverityFromCvss(9.0), v1::SEVERITY_CRITICAL);
  EXPECT_EQ(SeverityFromCvss(8.9), v1::SEVERITY_HIGH);
  EXPECT_EQ(SeverityFromCvss(7.0), v1::SEVERITY_HIGH);
  EXPECT_EQ(SeverityFromCvss(6.8), v1::SEVERITY_MEDIUM);
  EXPECT_EQ(SeverityFromCvss(4.0), v1::SEVERITY_MEDIUM);
  EXPECT_EQ(SeverityFromCvss(3.9), v1::SEVERITY_LOW);
  EXPECT_EQ(SeverityFromCvss(0), v1::SEVERITY_LOW);
}

TEST(CompiledAdvisories, AffectedPumpFirmwareIsOneViolationNamingEverything) {
  const std::vector<Violation> found = CompileAll()->Evaluate(Pump("PCU-8015", "12.1.0"));
  ASSERT_EQ(found.size(), 1u);
  const Violation& v = found[0];
  EXPECT_EQ(v.kind, v1::FINDING_KIND_VULNERABLE);
  EXPECT_EQ(v.rule, "advisory.ICSMA-23-193-01");
  EXPECT_EQ(v.severity, v1::SEVERITY_MEDIUM);  // max CVSS 6.8
  EXPECT_THAT(v.reason, HasSubstr("ICSMA-23-193-01"));
  EXPECT_THAT(v.reason, HasSubstr("Alaris PCU 8015 (PCU-8015 firmware) 12.1.0 is in \"<=12.1.3\""));
  EXPECT_THAT(v.reason, HasSubstr("CVE-2023-30559"));
  EXPECT_THAT(v.reason, HasSubstr("CVE-2023-30560"));
  EXPECT_THAT(v.reason, HasSubstr("max CVSS 6.8"));
  EXPECT_THAT(v.reason, HasSubstr("vendor_fix"));
  EXPECT_EQ(v.evidence.advisory(), "ICSMA-23-193-01");
  EXPECT_EQ(v.evidence.seen(), "PCU-8015 firmware 12.1.0");
}

TEST(CompiledAdvisories, FixedNotAffectedAndUnmappedVersionsRaiseNothing) {
  std::shared_ptr<const CompiledAdvisories> compiled = CompileAll();
  EXPECT_THAT(compiled->Evaluate(Pump("PCU-8015", "12.3.0")), IsEmpty());  // fixed
  EXPECT_THAT(compiled->Evaluate(Pump("PCU-8015", "12.1.4")), IsEmpty());  // outside the range
  EXPECT_THAT(compiled->Evaluate(Pump("PCU-8016", "12.1.0")), IsEmpty());  // a model no mapping names
  EXPECT_THAT(compiled->Evaluate(Pump("PCU-8015", "")), IsEmpty());        // no version reported
  EXPECT_THAT(compiled->Evaluate(Pump("PCU-8015", "latest")), IsEmpty());  // needs review: never guessed
}

TEST(CompiledAdvisories, ComponentOfAnotherLineNeedsReviewAndRaisesNothing) {
  v1::Device pump = Pump("SPACE-LVP", "");
  AddComponent(pump, "SP-WIFI-BATT", "12.0");
  EXPECT_THAT(CompileAll()->Evaluate(pump), IsEmpty());
}

TEST(CompiledAdvisories, AffectedComponentIsCriticalThroughItsRelationship) {
  v1::Device pump = Pump("SPACE-LVP", "");
  AddComponent(pump, "SP-WIFI-BATT", "U55");
  const std::vector<Violation> found = CompileAll()->Evaluate(pump);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].rule, "advisory.ICSMA-21-294-01");
  EXPECT_EQ(found[0].severity, v1::SEVERITY_CRITICAL);  // 9.7
  EXPECT_THAT(found[0].reason, HasSubstr("battery SP-WIFI-BATT) U55"));
  EXPECT_THAT(found[0].reason, HasSubstr("CVE-2021-33885"));

  v1::Device upgraded = Pump("SPACE-LVP", "");
  AddComponent(upgraded, "SP-WIFI-BATT", "U62");
  EXPECT_THAT(CompileAll()->Evaluate(upgraded), IsEmpty());
}

TEST(CompiledAdvisories, TwoAdvisoriesOnOnePumpAreTwoViolations) {
  v1::Device pump = Pump("PCU-8015", "12.1.0");
  AddComponent(pump, "WBM-2", "v22D24");
  const std::vector<Violation> found = CompileAll()->Evaluate(pump);
  std::vector<std::string> rules;
  for (const Violation& v : found) rules.push_back(v.rule);
  EXPECT_THAT(rules, ElementsAre("advisory.ICSMA-23-193-01", "advisory.ICSMA-22-251-01"));
}

TEST(CompiledAdvisories, TargetsOfAnAdvisoryAreItsMappedModelsAndComponents) {
  std::shared_ptr<const CompiledAdvisories> compiled = CompileAll();
  EXPECT_THAT(compiled->TargetsOfAdvisory("ICSMA-23-193-01"), ElementsAre("model:PCU-8015"));
  EXPECT_THAT(compiled->TargetsOfAdvisory("ICSMA-21-294-01"),
              UnorderedElementsAre("model:SPACE-LVP", "component:SP-WIFI-BATT"));
  EXPECT_THAT(compiled->TargetsOfAdvisory("ICSMA-17-250-02"), IsEmpty());
  EXPECT_THAT(compiled->TargetsOfAdvisory("unknown"), IsEmpty());
}

TEST(CompiledAdvisories, UnmappedProductsAndNeedsReviewCount) {
  std::shared_ptr<const CompiledAdvisories> compiled = CompileAll();
  std::vector<std::string> unmapped;
  for (const UnmappedProduct& p : compiled->Unmapped()) unmapped.push_back(p.tracking_id + "/" + p.product);
  EXPECT_THAT(unmapped, ::testing::Contains("ICSMA-17-250-02/Medfusion 4000 Wireless Syringe Infusion Pump"));
  EXPECT_THAT(unmapped, ::testing::Contains("ICSMA-21-294-01/SpaceCom"));
  EXPECT_THAT(unmapped, ::testing::Not(::testing::Contains("ICSMA-23-193-01/Alaris PCU 8015")));
  EXPECT_GE(compiled->advisories_needing_review(), 1u);  // ICSMA-21-294-01's prose and date ranges
}

TEST(TargetsOf, ModelAndEachComponentModelOnce) {
  v1::Device pump = Pump("PCU-8015", "1");
  AddComponent(pump, "WBM-2", "v1");
  AddComponent(pump, "WBM-2", "v1");
  EXPECT_THAT(TargetsOf(pump), ElementsAre("model:PCU-8015", "component:WBM-2"));
}

TEST(AdvisoryProfile, KeepsOnlyWhatMatchingReadsInOneOrder) {
  v1::Device pump = Pump("PCU-8015", "12.1.0");
  AddComponent(pump, "WBM-2", "v22D24");
  AddComponent(pump, "", "1.0");  // no model: nothing to match
  v1::Component* battery = pump.mutable_last_observation()->add_components();
  battery->set_model("SP-WIFI-BATT");
  battery->set_software_version("U55");  // no firmware: the software version is matched
  const AdvisoryProfile profile = AdvisoryProfileOf(pump);
  EXPECT_EQ(profile.model, "PCU-8015");
  EXPECT_EQ(profile.firmware_version, "12.1.0");
  EXPECT_THAT(profile.components, ElementsAre(AdvisoryProfile::Component{"SP-WIFI-BATT", "U55"},
                                              AdvisoryProfile::Component{"WBM-2", "v22D24"}));
  EXPECT_THAT(profile.Targets(), ElementsAre("component:SP-WIFI-BATT", "component:WBM-2", "model:PCU-8015"));

  // Another pump with the same parts in another order, another tag, place and kind: the same profile.
  v1::Device other = Pump("PCU-8015", "12.1.0");
  other.mutable_identity()->set_asset_tag("PT-2");
  other.mutable_last_observation()->mutable_location()->set_unit("icu");
  v1::Component* first = other.mutable_last_observation()->add_components();
  first->set_kind("wifi");
  first->set_model("SP-WIFI-BATT");
  first->set_software_version("U55");
  AddComponent(other, "WBM-2", "v22D24");
  EXPECT_EQ(AdvisoryProfileOf(other), profile);
  EXPECT_EQ(AdvisoryProfileOf(other).Key(), profile.Key());
  // A different version is a different profile, and length-prefixed parts cannot run together.
  EXPECT_NE(AdvisoryProfileOf(Pump("PCU-8015", "12.1.3")).Key(), AdvisoryProfileOf(Pump("PCU-8015", "12.1.0")).Key());
  EXPECT_NE(AdvisoryProfileOf("AB", "C", {}).Key(), AdvisoryProfileOf("A", "BC", {}).Key());
  // Without a model the firmware is never matched, so it is not part of the profile.
  EXPECT_EQ(AdvisoryProfileOf("", "9.9", {}), AdvisoryProfile());
  EXPECT_TRUE(AdvisoryProfile().empty());
}

TEST(AdvisoryProfile, ItsDeviceGetsTheVerdictsOfEveryDeviceItStandsFor) {
  std::shared_ptr<const CompiledAdvisories> compiled = CompileAll();
  auto rules_of = [&](const v1::Device& device) {
    std::vector<std::string> out;
    for (const Violation& v : compiled->Evaluate(device)) out.push_back(v.rule);
    return out;
  };
  std::vector<v1::Device> pumps = {Pump("PCU-8015", "12.1.0"), Pump("PCU-8015", "12.3.0"), Pump("SPACE-LVP", "")};
  AddComponent(pumps[0], "WBM-2", "v22D24");
  AddComponent(pumps[2], "SP-WIFI-BATT", "U55");
  pumps.push_back(pumps[2]);
  pumps.back().mutable_last_observation()->mutable_components(0)->set_firmware_version("U62");
  for (const v1::Device& pump : pumps) {
    EXPECT_EQ(rules_of(AdvisoryProfileOf(pump).AsDevice()), rules_of(pump)) << pump.ShortDebugString();
  }
  EXPECT_THAT(rules_of(pumps[0]), ElementsAre("advisory.ICSMA-23-193-01", "advisory.ICSMA-22-251-01"));
  EXPECT_THAT(rules_of(pumps[2]), ElementsAre("advisory.ICSMA-21-294-01"));
  EXPECT_THAT(rules_of(pumps[3]), IsEmpty());
}

TEST(PolicyAdvisoryProducts, ValidatedWithThePolicy) {
  const std::string models = "models { model: \"PCU-8015\" }\n";
  EXPECT_TRUE(CompiledPolicy::FromText(models + "advisory_products { vendor: \"BD\" product: \"Alaris PCU 8015\" "
                                                "model: \"PCU-8015\" }")
                  .ok());
  EXPECT_TRUE(CompiledPolicy::FromText(models + "advisory_products { vendor: \"Baxter\" product: \"WBM\" "
                                                "component: \"WBM-2\" }")
                  .ok());
  absl::StatusOr<std::shared_ptr<const CompiledPolicy>> unknown = CompiledPolicy::FromText(
      models + "advisory_products { vendor: \"BD\" product: \"Alaris PCU 8015\" model: \"PCU-9999\" }");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(unknown.status().message(), HasSubstr("advisory_products[0].model"));
  absl::StatusOr<std::shared_ptr<const CompiledPolicy>> no_target =
      CompiledPolicy::FromText(models + "advisory_products { vendor: \"BD\" product: \"Alaris PCU 8015\" }");
  ASSERT_FALSE(no_target.ok());
  EXPECT_THAT(no_target.status().message(), HasSubstr("needs a model or a component"));
  absl::StatusOr<std::shared_ptr<const CompiledPolicy>> no_vendor =
      CompiledPolicy::FromText(models + "advisory_products { product: \"X\" model: \"PCU-8015\" }");
  ASSERT_FALSE(no_vendor.ok());
  EXPECT_THAT(no_vendor.status().message(), HasSubstr("advisory_products[0].vendor"));
  absl::StatusOr<std::shared_ptr<const CompiledPolicy>> duplicate =
      CompiledPolicy::FromText(models +
                               "advisory_products { vendor: \"BD\" product: \"P\" model: \"PCU-8015\" }\n"
                               "advisory_products { vendor: \"bd\" product: \"p\" model: \"PCU-8015\" }");
  ASSERT_FALSE(duplicate.ok());
  EXPECT_THAT(duplicate.status().message(), HasSubstr("advisory_products[1]: duplicate mapping"));
}

TEST(CompiledAdvisories, MatchesNameTheComponentVersionRangeAndRemediationOfOneAdvisory) {
  v1::Device pump = Pump("PCU-8015", "12.1.0");
  AddComponent(pump, "WBM-2", "v22D24");
  const std::shared_ptr<const CompiledAdvisories> compiled = CompileAll();
  // The pump's own firmware for ICSMA-23-193-01: no component.
  const std::vector<v1::AffectedMatch> firmware = compiled->Matches(pump, "ICSMA-23-193-01");
  ASSERT_EQ(firmware.size(), 1u);
  EXPECT_EQ(firmware[0].vendor(), "BD");
  EXPECT_EQ(firmware[0].product(), "Alaris PCU 8015");
  EXPECT_EQ(firmware[0].component_model(), "");
  EXPECT_EQ(firmware[0].component_kind(), "firmware");
  EXPECT_EQ(firmware[0].matched_version(), "12.1.0");
  EXPECT_EQ(firmware[0].version_range(), "<=12.1.3");
  EXPECT_THAT(firmware[0].cves(), UnorderedElementsAre("CVE-2023-30559", "CVE-2023-30560"));
  EXPECT_DOUBLE_EQ(firmware[0].max_base_score(), 6.8);
  ASSERT_FALSE(firmware[0].remediations().empty());
  EXPECT_EQ(firmware[0].remediations(0).category(), "vendor_fix");

  // The Wi-Fi battery module for the Baxter advisory: only that advisory's match, naming the component.
  std::vector<v1::AffectedMatch> all;
  for (const std::string& id : {std::string("ICSMA-23-193-01"), std::string("ICSMA-22-251-01")}) {
    for (v1::AffectedMatch& m : compiled->Matches(pump, id)) all.push_back(std::move(m));
  }
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[1].component_model(), "WBM-2");
  EXPECT_EQ(all[1].component_kind(), "battery");
  EXPECT_EQ(all[1].matched_version(), "v22D24");

  EXPECT_THAT(compiled->Matches(pump, "ICSMA-21-294-01"), IsEmpty());
  EXPECT_THAT(compiled->Matches(pump, ""), IsEmpty());
  EXPECT_THAT(compiled->Matches(Pump("PCU-8015", "12.3.0"), "ICSMA-23-193-01"), IsEmpty());
}

TEST(SimilarModels, SharedWordsOrNumbersMostAlikeFirst) {
  EXPECT_EQ(SimilarModels("BD", "Alaris PCU 8015", {"Infusia 500", "PCU-8015", "BD-8015-X", "PCU-8016"}),
            (std::vector<std::string>{"BD-8015-X", "PCU-8015", "PCU-8016"}));
  EXPECT_EQ(SimilarModels("Baxter", "Wireless Battery Module", {"WBM-2", "PCU-8015"}), std::vector<std::string>{});
}

TEST(PolicyModels, PumpModelsThenComponentModelsEachOnce) {
  v1::Policy policy;
  policy.add_models()->set_model("PCU-8015");
  policy.add_models()->set_model("SPACE-LVP");
  policy.add_components()->set_model("WBM-2");
  policy.add_components()->set_model("PCU-8015");
  EXPECT_THAT(PolicyModels(policy), ElementsAre("PCU-8015", "SPACE-LVP", "WBM-2"));
}

}  // namespace
}  // namespace pumptrack::rules
