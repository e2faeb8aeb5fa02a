#include "rules/version.h"

#include "gtest/gtest.h"

namespace pumptrack::rules {
namespace {

TEST(VersionTest, OrdersNumericallyNotAsText) {
  EXPECT_LT(CompareVersions("4.2.0", "4.10.0"), 0);
  EXPECT_GT(CompareVersions("12.1.3", "12.1.2"), 0);
  EXPECT_EQ(CompareVersions("4.2", "4.2.0"), 0);
  EXPECT_LT(CompareVersions("3.0.7", "3.0.7-hotfix"), 0);
}

TEST(VersionTest, RecognisesDottedVersions) {
  EXPECT_TRUE(IsDottedVersion("12.1.3"));
  EXPECT_TRUE(IsDottedVersion("4.2.0-rc1"));
  EXPECT_FALSE(IsDottedVersion(""));
  EXPECT_FALSE(IsDottedVersion("v12"));
  EXPECT_FALSE(IsDottedVersion("1..2"));
  EXPECT_FALSE(IsDottedVersion("1.2 "));
}

}  // namespace
}  // namespace pumptrack::rules
