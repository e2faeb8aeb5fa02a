// Policy.components: allowed/minimum/blocked versions per component model (rules component.firmware.* and
// component.software.*), and how the policy refuses a bad component entry.
#include <memory>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rules/checks.h"
#include "rules/policy.h"
#include "tests/rules/rules_test_util.h"

namespace pumptrack::rules {
namespace {

using ::pumptrack::rules::testing::CompliantDevice;
using ::pumptrack::rules::testing::kNow;
using ::pumptrack::rules::testing::kPolicyText;
using ::pumptrack::rules::testing::Rules;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

constexpr char kComponents[] = R"pb(
  components {
    kind: "wifi-module"
    model: "WLAN-7"
    firmware { allowed: "4.2.1" allowed: "4.3.0" minimum: "4.2.0" blocked: "4.0.1" }
    software { blocked: "1.0" }
  }
)pb";

std::shared_ptr<const CompiledPolicy> PolicyWithComponents() {
  absl::StatusOr<std::shared_ptr<const CompiledPolicy>> policy =
      CompiledPolicy::FromText(std::string(kPolicyText) + kComponents);
  EXPECT_TRUE(policy.ok()) << policy.status();
  return policy.ok() ? *policy : nullptr;
}

v1::Component& AddWifi(v1::Device& device, const std::string& firmware) {
  v1::Component& component = *device.mutable_last_observation()->add_components();
  component.set_kind("wifi-module");
  component.set_position("2");
  component.set_model("WLAN-7");
  component.set_firmware_version(firmware);
  return component;
}

std::vector<std::string> Evaluated(const v1::Device& device) {
  return Rules(Evaluate(*PolicyWithComponents(), {.device = &device, .now = kNow}));
}

TEST(ComponentChecksTest, AllowedVersionPasses) {
  v1::Device device = CompliantDevice();
  AddWifi(device, "4.2.1");
  EXPECT_THAT(Evaluated(device), IsEmpty());
}

TEST(ComponentChecksTest, BlockedNotAllowedAndBelowMinimumFirmware) {
  v1::Device device = CompliantDevice();
  AddWifi(device, "4.0.1");
  EXPECT_THAT(Evaluated(device), UnorderedElementsAre("component.firmware.blocked.wifi-module.2",
                                                      "component.firmware.not_allowed.wifi-module.2",
                                                      "component.firmware.below_minimum.wifi-module.2"));
  const std::vector<Violation> violations = Evaluate(*PolicyWithComponents(), {.device = &device, .now = kNow});
  for (const Violation& v : violations) {
    EXPECT_EQ(v.kind, v1::FINDING_KIND_MISCONFIGURED);
    EXPECT_THAT(v.reason, HasSubstr("wifi-module WLAN-7"));
  }
}

TEST(ComponentChecksTest, SoftwareIsCheckedToo) {
  v1::Device device = CompliantDevice();
  AddWifi(device, "4.3.0").set_software_version("1.0");
  EXPECT_THAT(Evaluated(device), UnorderedElementsAre("component.software.blocked.wifi-module.2"));
}

TEST(ComponentChecksTest, UnlistedComponentsAndUnreportedVersionsAreNotChecked) {
  v1::Device device = CompliantDevice();
  AddWifi(device, "").set_model("WLAN-9");  // another model: not in the policy
  AddWifi(device, "");                      // no firmware reported
  EXPECT_THAT(Evaluated(device), IsEmpty());
}

TEST(ComponentPolicyTest, BadEntriesAreNamed) {
  const std::string duplicate = std::string(kPolicyText) + kComponents + kComponents;
  EXPECT_THAT(std::string(CompiledPolicy::FromText(duplicate).status().message()), HasSubstr("components[1].model"));
  const std::string bad_version = std::string(kPolicyText) + R"pb(components {
                                                                    kind: "k"
                                                                    model: "m"
                                                                    firmware { minimum: "not a version" }
                                                                  })pb";
  EXPECT_THAT(std::string(CompiledPolicy::FromText(bad_version).status().message()),
              HasSubstr("components[0].firmware.minimum"));
  const std::string no_model = std::string(kPolicyText) + R"pb(components { kind: "k" })pb";
  EXPECT_THAT(std::string(CompiledPolicy::FromText(no_model).status().message()), HasSubstr("components[0].model"));
}

}  // namespace
}  // namespace pumptrack::rules
