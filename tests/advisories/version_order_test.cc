#include "advisories/version_order.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "rules/version.h"

namespace pumptrack::advisories {
namespace {

TEST(NaturalOrderTest, DigitsCompareNumerically) {
  EXPECT_LT(CompareVersionsNaturally("4.2.0", "4.10.0"), 0);
  EXPECT_GT(CompareVersionsNaturally("12.1.3", "12.1.2"), 0);
  EXPECT_EQ(CompareVersionsNaturally("8.00.01", "8.0.1"), 0);
  EXPECT_LT(CompareVersionsNaturally("9", "10"), 0);
  EXPECT_LT(CompareVersionsNaturally("99999999999999999999999", "100000000000000000000000"), 0);
}

TEST(NaturalOrderTest, LettersSplitRunsAndCompareLexically) {
  // v22D24 → 22, D, 24.
  EXPECT_GT(CompareVersionsNaturally("v22D24", "v22D19"), 0);
  EXPECT_LT(CompareVersionsNaturally("v22D24", "v22D28"), 0);
  EXPECT_GT(CompareVersionsNaturally("v22D24", "v20D32"), 0);
  EXPECT_LT(CompareVersionsNaturally("v22C99", "v22D1"), 0);
  EXPECT_LT(CompareVersionsNaturally("U7", "U61"), 0);
  EXPECT_LT(CompareVersionsNaturally("L81", "U61"), 0);
  EXPECT_LT(CompareVersionsNaturally("4.2.0-rc2", "4.2.0-rc10"), 0);
  EXPECT_EQ(CompareVersionsNaturally("22d24", "22D24"), 0);
}

TEST(NaturalOrderTest, LeadingVAndSeparators) {
  EXPECT_EQ(CompareVersionsNaturally("v22D24", "22D24"), 0);
  EXPECT_EQ(CompareVersionsNaturally("V1.2", "1.2"), 0);
  EXPECT_EQ(CompareVersionsNaturally("1-2_3+4", "1.2.3.4"), 0);
  // Only a "v" before a digit is dropped.
  EXPECT_NE(CompareVersionsNaturally("vx1", "x1"), 0);
  // Separators split runs: "1.2" is not "12".
  EXPECT_LT(CompareVersionsNaturally("1.2", "12"), 0);
}

TEST(NaturalOrderTest, MissingRunsCountAsZero) {
  EXPECT_EQ(CompareVersionsNaturally("4.2", "4.2.0"), 0);
  EXPECT_EQ(CompareVersionsNaturally("4.2", "4.2.0.0"), 0);
  EXPECT_LT(CompareVersionsNaturally("4.2", "4.2.1"), 0);
  EXPECT_LT(CompareVersionsNaturally("3.0.7", "3.0.7-hotfix"), 0);
  EXPECT_LT(CompareVersionsNaturally("1.0", "1.0-rc1"), 0);
  // A digit run sorts before a letter run.
  EXPECT_LT(CompareVersionsNaturally("22.5", "22D"), 0);
}

TEST(NaturalOrderTest, IsATotalOrderOnSamples) {
  const std::vector<std::string> samples = {"1",     "1.0.1", "1.1",          "1.10",      "1.2",
                                            "1.2a",  "1.2b",  "U61",          "L81",       "v22D24",
                                            "22D19", "20D32", "3.0.7-hotfix", "4.2.0-rc1", "012U000061"};
  for (const std::string& a : samples) {
    EXPECT_EQ(CompareVersionsNaturally(a, a), 0) << a;
    for (const std::string& b : samples) {
      EXPECT_EQ(CompareVersionsNaturally(a, b), -CompareVersionsNaturally(b, a)) << a << " vs " << b;
      for (const std::string& c : samples) {
        if (CompareVersionsNaturally(a, b) < 0 && CompareVersionsNaturally(b, c) < 0) {
          EXPECT_LT(CompareVersionsNaturally(a, c), 0) << a << " < " << b << " < " << c;
        }
      }
    }
  }
}

// For the plain dotted numbers the policy uses today, the advisory comparator agrees with rules::CompareVersions.
TEST(NaturalOrderTest, AgreesWithRulesOnDottedNumbers) {
  const std::vector<std::string> samples = {"1",     "1.0",    "1.0.0",  "1.0.1",  "1.2",  "1.10",    "2.0",
                                            "4.2.0", "4.10.0", "12.1.3", "12.1.2", "12.3", "8.00.01", "8.0.2"};
  const auto sign = [](int x) { return (x > 0) - (x < 0); };
  for (const std::string& a : samples) {
    for (const std::string& b : samples) {
      EXPECT_EQ(sign(CompareVersionsNaturally(a, b)), sign(rules::CompareVersions(a, b))) << a << " vs " << b;
    }
  }
  // Where they differ, on purpose.
  EXPECT_GT(rules::CompareVersions("4.2.0-rc2", "4.2.0-rc10"), 0);
  EXPECT_LT(CompareVersionsNaturally("4.2.0-rc2", "4.2.0-rc10"), 0);
}

TEST(VersionSyntaxTest, AcceptsVendorVersions) {
  for (const char* version : {"12.1.3", "v22D24", "U61", "L81", "4.2.0-rc1", "028U000061", "686E", "1", "V1.2"}) {
    EXPECT_TRUE(CheckVersionSyntax(version).ok()) << version;
  }
}

TEST(VersionSyntaxTest, RefusesProseDatesWildcards) {
  EXPECT_EQ(CheckVersionSyntax("").message(), "empty version");
  EXPECT_EQ(CheckVersionSyntax("v6.x (with SpaceCom 2)").message(), "\"v6.x (with SpaceCom 2)\" is not a version");
  EXPECT_EQ(CheckVersionSyntax("6.x").message(),
            "\"6.x\" is a wildcard, not a version (pumptrack does not guess what it covers)");
  EXPECT_EQ(CheckVersionSyntax("6.*").message(),
            "\"6.*\" is a wildcard, not a version (pumptrack does not guess what it covers)");
  EXPECT_EQ(CheckVersionSyntax("2019-07-18").message(), "\"2019-07-18\" is a date, not a version");
  EXPECT_EQ(CheckVersionSyntax("2019.07.18").message(), "\"2019.07.18\" is a date, not a version");
  EXPECT_EQ(CheckVersionSyntax("All").message(), "\"All\" is not a version (it has no digit)");
  EXPECT_EQ(CheckVersionSyntax("1..2").message(), "\"1..2\" is not a version");
  EXPECT_EQ(CheckVersionSyntax("1.2.").message(), "\"1.2.\" is not a version");
  EXPECT_EQ(CheckVersionSyntax("1.2 ").message(), "\"1.2 \" is not a version");
  EXPECT_FALSE(CheckVersionSyntax(std::string(65, '1')).ok());
  EXPECT_TRUE(CheckVersionSyntax(std::string(64, '1')).ok());
  EXPECT_TRUE(absl::IsInvalidArgument(CheckVersionSyntax("prior to 8.0")));
}

TEST(Utf8PrefixTest, NeverCutsASequence) {
  EXPECT_EQ(Utf8Prefix("abc", 16), "abc");
  EXPECT_EQ(Utf8Prefix("abcdef", 3), "abc");
  EXPECT_EQ(Utf8Prefix("ab\xc3\xa9z", 3), "ab");  // é is 2 bytes: not cut in half
  EXPECT_EQ(Utf8Prefix("ab\xc3\xa9z", 4), "ab\xc3\xa9");
  EXPECT_EQ(Utf8Prefix("a\xe2\x82\xacz", 3), "a");  // € is 3 bytes
  EXPECT_EQ(CheckVersionSyntax(std::string(15, '1') + "\xc3\xa9" + std::string(60, '1')).message(),
            absl::StrCat("version \"", std::string(15, '1'), "...\" is longer than 64 characters"));
}

TEST(ProductLineTest, LeadingLetters) {
  EXPECT_EQ(ProductLine("U61"), "U");
  EXPECT_EQ(ProductLine("l81"), "L");
  EXPECT_EQ(ProductLine("v22D24"), "");
  EXPECT_EQ(ProductLine("12.1.3"), "");
  EXPECT_EQ(ProductLine("SP2.1"), "SP");
}

}  // namespace
}  // namespace pumptrack::advisories
