#include "common/ids.h"

#include <string>

#include "gtest/gtest.h"

namespace pumptrack::ids {
namespace {

TEST(IdsTest, AgentIdsAllowAColonAssetTagsDoNot) {
  EXPECT_TRUE(IsValidAgentId("rtls:bridge.02_a"));
  EXPECT_TRUE(IsValidAgentId(std::string(kMaxAgentIdLength, 'a')));
  EXPECT_FALSE(IsValidAgentId(std::string(kMaxAgentIdLength + 1, 'a')));
  EXPECT_FALSE(IsValidAgentId(""));
  EXPECT_FALSE(IsValidAgentId("gw/1"));
  EXPECT_TRUE(IsValidAssetTag("PT-00042.a_b"));
  EXPECT_FALSE(IsValidAssetTag("PT:00042"));
  EXPECT_FALSE(IsValidAssetTag(std::string(kMaxAssetTagLength + 1, 'a')));
  EXPECT_FALSE(IsValidAssetTag("PT 1"));
  EXPECT_FALSE(IsValidAssetTag("\xc3\xa9"));
}

TEST(IdsTest, CheckAgentIdNamesTheField) {
  EXPECT_TRUE(CheckAgentId("agent_id", "gw-1").ok());
  const absl::Status refused = CheckAgentId("agent.agent_id", "gw 1");
  EXPECT_TRUE(absl::IsInvalidArgument(refused));
  EXPECT_EQ(refused.message(), "agent.agent_id: must be 1-64 characters from [A-Za-z0-9._:-]");
}

TEST(IdsTest, RolesRoundTripAndUnspecifiedIsNotARole) {
  for (v1::Role role :
       {v1::ROLE_VIEWER, v1::ROLE_TRANSPORT, v1::ROLE_ASSET_MANAGER, v1::ROLE_AUDITOR, v1::ROLE_ADMIN}) {
    EXPECT_EQ(ParseRole(RoleName(role)).value(), role);
  }
  EXPECT_EQ(ParseRole("Asset-Manager").value(), v1::ROLE_ASSET_MANAGER);
  EXPECT_EQ(RoleName(v1::ROLE_UNSPECIFIED), "unspecified");
  EXPECT_FALSE(ParseRole("unspecified").ok());
  EXPECT_FALSE(ParseRole("").ok());
  EXPECT_EQ(ParseRole("root").status().message(),
            "'root' is not a role; expected viewer, transport, asset_manager, auditor, admin or technician");
}

}  // namespace
}  // namespace pumptrack::ids
