#include "advisories/version_range.h"

#include <string>

#include "gtest/gtest.h"

namespace pumptrack::advisories {
namespace {

// Parses `range`, failing the test when it does not parse.
VersionRange MustParse(absl::string_view range) {
  absl::StatusOr<VersionRange> parsed = VersionRange::Parse(range);
  EXPECT_TRUE(parsed.ok()) << range << ": " << parsed.status();
  if (!parsed.ok()) return *VersionRange::Parse("vers:all/*");
  return *std::move(parsed);
}

RangeAnswer Answer(absl::string_view range, absl::string_view version) {
  return MustParse(range).Check(version).answer;
}

constexpr RangeAnswer kIn = RangeAnswer::kInside;
constexpr RangeAnswer kOut = RangeAnswer::kOutside;
constexpr RangeAnswer kReview = RangeAnswer::kNeedsReview;

TEST(VersRangeTest, AllVersions) {
  const VersionRange all = MustParse("vers:all/*");
  EXPECT_TRUE(all.proto().all_versions());
  EXPECT_EQ(all.proto().syntax(), v1::VERSION_RANGE_SYNTAX_VERS);
  EXPECT_EQ(all.proto().vers_scheme(), "all");
  EXPECT_EQ(all.Check("0.0.1").answer, kIn);
  EXPECT_EQ(all.Check("U61").answer, kIn);
  EXPECT_EQ(Answer("vers:generic/*", "99"), kIn);
}

TEST(VersRangeTest, ClosedInterval) {
  const VersionRange range = MustParse("vers:generic/>=1.1|<=1.3.2");
  ASSERT_EQ(range.proto().constraints_size(), 2);
  EXPECT_EQ(range.proto().constraints(0).comparator(), v1::VERSION_COMPARATOR_GREATER_OR_EQUAL);
  EXPECT_EQ(range.proto().constraints(0).version(), "1.1");
  EXPECT_EQ(range.proto().constraints(1).comparator(), v1::VERSION_COMPARATOR_LESS_OR_EQUAL);
  EXPECT_EQ(range.proto().constraints(1).version(), "1.3.2");
  EXPECT_EQ(range.Check("1.0.9").answer, kOut);
  EXPECT_EQ(range.Check("1.1").answer, kIn);
  EXPECT_EQ(range.Check("1.2.7").answer, kIn);
  EXPECT_EQ(range.Check("1.3.2").answer, kIn);
  EXPECT_EQ(range.Check("1.3.3").answer, kOut);
  EXPECT_EQ(range.Check("1.10").answer, kOut);
}

TEST(VersRangeTest, SpecSemanticsForSeveralIntervalsAndEqualities) {
  // Two intervals: v20D29–v20D32 and v22D19–v22D28 (the Baxter battery modules).
  const std::string modules = "vers:generic/>=20D29|<=20D32|>=22D19|<=22D28";
  EXPECT_EQ(Answer(modules, "v20D28"), kOut);
  EXPECT_EQ(Answer(modules, "v20D30"), kIn);
  EXPECT_EQ(Answer(modules, "v21D01"), kOut);
  EXPECT_EQ(Answer(modules, "v22D24"), kIn);
  EXPECT_EQ(Answer(modules, "v22D30"), kOut);
  // A leading upper bound, an interval and a trailing lower bound; constraints in any written order.
  const std::string open = "vers:generic/>=5.0|<2.0|>=3.0|<4.0";
  EXPECT_EQ(Answer(open, "1.9"), kIn);
  EXPECT_EQ(Answer(open, "2.5"), kOut);
  EXPECT_EQ(Answer(open, "3.5"), kIn);
  EXPECT_EQ(Answer(open, "4.5"), kOut);
  EXPECT_EQ(Answer(open, "7"), kIn);
  // Equalities win; != excludes.
  const std::string with_equal = "vers:generic/=1.0|>=2.0|<3.0|!=2.5";
  EXPECT_EQ(Answer(with_equal, "1.0"), kIn);
  EXPECT_EQ(Answer(with_equal, "1.5"), kOut);
  EXPECT_EQ(Answer(with_equal, "2.4"), kIn);
  EXPECT_EQ(Answer(with_equal, "2.5"), kOut);
  EXPECT_EQ(Answer("vers:intdot/>1|<=3", "1"), kOut);
  EXPECT_EQ(Answer("vers:intdot/>1|<=3", "2"), kIn);
  // A bare version is an equality.
  EXPECT_EQ(Answer("vers:generic/1.2|1.4", "1.4"), kIn);
  EXPECT_EQ(Answer("vers:generic/1.2|1.4", "1.3"), kOut);
}

TEST(VersRangeTest, RefusesWhatItCannotMean) {
  const auto reason = [](absl::string_view text) { return std::string(VersionRange::Parse(text).status().message()); };
  EXPECT_EQ(reason("vers:semver/>=1.0"),
            "range \"vers:semver/>=1.0\": vers scheme \"semver\" is not supported (only generic, intdot and all)");
  EXPECT_EQ(reason("vers:all/>=1"), "range \"vers:all/>=1\": the vers scheme \"all\" takes only \"*\"");
  EXPECT_EQ(reason("vers:generic"), "range \"vers:generic\": a vers range needs \"vers:<scheme>/<constraints>\"");
  EXPECT_EQ(
      reason("vers:generic/<=1.0|<=2.0"),
      "range \"vers:generic/<=1.0|<=2.0\": constraints <=1.0 and <=2.0 are both upper bounds, which is ambiguous");
  EXPECT_EQ(reason("vers:generic/>=1.0|>2.0"),
            "range \"vers:generic/>=1.0|>2.0\": constraints >=1.0 and >2.0 are both lower bounds, which is ambiguous");
  EXPECT_EQ(reason("vers:generic/>=1.0|<1.0.0"),
            "range \"vers:generic/>=1.0|<1.0.0\": constraints >=1.0 and <1.0.0 name the same version");
  EXPECT_EQ(reason("vers:generic/!=1.0"),
            "range \"vers:generic/!=1.0\": it has only != constraints, which name no affected version");
  EXPECT_EQ(reason("vers:generic/>=1.0|"), "range \"vers:generic/>=1.0|\": a constraint has no version");
  EXPECT_EQ(reason(""), "empty version range");
  EXPECT_EQ(reason("vers:Generic/*"), "range \"vers:Generic/*\": a vers scheme is 1-32 of [a-z0-9.+-]");
  EXPECT_EQ(reason("vers:/*"), "range \"vers:/*\": a vers scheme is 1-32 of [a-z0-9.+-]");
  EXPECT_EQ(reason("vers:\xc3\xa9/*"), "range \"vers:\xc3\xa9/*\": a vers scheme is 1-32 of [a-z0-9.+-]");
  // Any well-formed scheme may say "every version".
  EXPECT_TRUE(VersionRange::Parse("vers:semver/*").ok());
  EXPECT_TRUE(absl::IsInvalidArgument(VersionRange::Parse(std::string(600, '1')).status()));
}

TEST(OperatorListTest, SingleBounds) {
  EXPECT_EQ(Answer("<=12.1.3", "12.1.3"), kIn);
  EXPECT_EQ(Answer("<=12.1.3", "12.1.0"), kIn);
  EXPECT_EQ(Answer("<=12.1.3", "9.33"), kIn);
  EXPECT_EQ(Answer("<=12.1.3", "12.1.4"), kOut);
  EXPECT_EQ(Answer("<=12.1.3", "12.3.0"), kOut);
  EXPECT_EQ(Answer("< 2.0", "1.99"), kIn);
  EXPECT_EQ(Answer("< 2.0", "2"), kOut);
  EXPECT_EQ(Answer("> 2.0", "2.0.1"), kIn);
  EXPECT_EQ(Answer("=1.2", "1.2"), kIn);
  EXPECT_EQ(Answer("=1.2", "1.2.0"), kIn);
  EXPECT_EQ(Answer("=1.2", "1.2.1"), kOut);
  EXPECT_EQ(MustParse("<=12.1.3").proto().syntax(), v1::VERSION_RANGE_SYNTAX_OPERATOR_LIST);
}

TEST(OperatorListTest, IntervalWithBlanks) {
  const VersionRange range = MustParse(">= 1.1 | <= 1.3.2");
  EXPECT_EQ(range.proto().constraints(1).version(), "1.3.2");
  EXPECT_EQ(range.Check("1.0").answer, kOut);
  EXPECT_EQ(range.Check("1.2").answer, kIn);
  EXPECT_EQ(range.Check("1.3.2").answer, kIn);
  EXPECT_EQ(range.Check("1.4").answer, kOut);
}

TEST(OperatorListTest, ProductLinesAreCheckedSeparately) {
  const VersionRange range = MustParse("<= U61 | <= L81");
  EXPECT_EQ(range.Check("U55").answer, kIn);
  EXPECT_EQ(range.Check("U61").answer, kIn);
  EXPECT_EQ(range.Check("U62").answer, kOut);
  EXPECT_EQ(range.Check("L81").answer, kIn);
  EXPECT_EQ(range.Check("L82").answer, kOut);
  EXPECT_EQ(range.Check("l12").answer, kIn);
  // A line the range does not name is not guessed.
  const RangeCheck other = range.Check("12.0");
  EXPECT_EQ(other.answer, kReview);
  EXPECT_EQ(other.reason,
            "reported version \"12.0\" is of product line \"(digits)\", which the range does not name (it names L, U)");
  EXPECT_EQ(MustParse("<=12.1.3").Check("U61").answer, kReview);
  // Two upper bounds in one line stay ambiguous.
  EXPECT_FALSE(VersionRange::Parse("<= U61 | <= U70").ok());
}

TEST(ExactListTest, ListsAndSingleVersions) {
  const VersionRange list = MustParse("1.1, 1.5, 1.6");
  EXPECT_EQ(list.proto().syntax(), v1::VERSION_RANGE_SYNTAX_EXACT);
  EXPECT_EQ(list.proto().constraints_size(), 3);
  EXPECT_EQ(list.Check("1.5").answer, kIn);
  EXPECT_EQ(list.Check("1.5.0").answer, kIn);
  EXPECT_EQ(list.Check("1.4").answer, kOut);
  EXPECT_EQ(list.Check("1.7").answer, kOut);
  EXPECT_EQ(Answer("v16, v17", "16"), kIn);
  EXPECT_EQ(Answer("v16 | v17", "v17"), kIn);
  EXPECT_EQ(Answer("v16, v17", "v18"), kOut);
  const absl::StatusOr<VersionRange> exact = VersionRange::ParseExact("8.00.01");
  ASSERT_TRUE(exact.ok());
  EXPECT_EQ(exact->Check("8.0.1").answer, kIn);
  EXPECT_EQ(exact->Check("8.00.02").answer, kOut);
  EXPECT_FALSE(VersionRange::ParseExact("<=1.0").ok());
  EXPECT_FALSE(VersionRange::Parse("1.1, 1.1.0").ok());
}

TEST(ProseTest, NeverGuessed) {
  const auto reason = [](absl::string_view text) { return std::string(VersionRange::Parse(text).status().message()); };
  EXPECT_EQ(reason("v6.x (with SpaceCom 2)"),
            "range \"v6.x (with SpaceCom 2)\": \"v6.x (with SpaceCom 2)\" is not a version");
  EXPECT_EQ(reason("< 2019-07-18"), "range \"< 2019-07-18\": \"2019-07-18\" is a date, not a version");
  EXPECT_EQ(reason("All versions"), "range \"All versions\": \"All versions\" is not a version");
  EXPECT_EQ(reason("prior to 8.0"), "range \"prior to 8.0\": \"prior to 8.0\" is not a version");
  EXPECT_EQ(reason("<= 12.1.3 and later"), "range \"<= 12.1.3 and later\": \"12.1.3 and later\" is not a version");
  EXPECT_EQ(reason("6.x"),
            "range \"6.x\": \"6.x\" is a wildcard, not a version (pumptrack does not guess what it covers)");
  EXPECT_EQ(reason("<="), "range \"<=\": a constraint has no version");
}

TEST(ReportedVersionTest, NotAVersionNeedsReview) {
  const RangeCheck check = MustParse("<=12.1.3").Check("unknown");
  EXPECT_EQ(check.answer, kReview);
  EXPECT_EQ(check.reason, "reported version: \"unknown\" is not a version (it has no digit)");
  EXPECT_EQ(MustParse("vers:all/*").Check("").answer, kReview);
}

TEST(FromBoundsTest, PolicyVulnerableFirmware) {
  const absl::StatusOr<VersionRange> range = VersionRange::FromBounds("4.0", "4.2.1");
  ASSERT_TRUE(range.ok()) << range.status();
  EXPECT_EQ(range->Check("3.9").answer, kOut);
  EXPECT_EQ(range->Check("4.0").answer, kIn);
  EXPECT_EQ(range->Check("4.2.0").answer, kIn);
  EXPECT_EQ(range->Check("4.2.1").answer, kOut);
  EXPECT_EQ(VersionRange::FromBounds("", "4.2.1")->Check("1.0").answer, kIn);
  EXPECT_EQ(VersionRange::FromBounds("4.0", "")->Check("9.0").answer, kIn);
  EXPECT_TRUE(VersionRange::FromBounds("", "")->proto().all_versions());
  EXPECT_EQ(VersionRange::FromBounds("5.0", "4.0").status().message(), "fixed \"4.0\" is not after introduced \"5.0\"");
}

TEST(FromProtoTest, RoundTripsAndValidates) {
  for (const char* text : {"vers:all/*", "vers:generic/>=1.1|<=1.3.2", "<= U61 | <= L81", "1.1, 1.5, 1.6"}) {
    const VersionRange range = MustParse(text);
    const absl::StatusOr<VersionRange> again = VersionRange::FromProto(range.proto());
    ASSERT_TRUE(again.ok()) << text << ": " << again.status();
    EXPECT_EQ(again->proto().SerializeAsString(), range.proto().SerializeAsString());
  }
  v1::ParsedVersionRange bad = MustParse("<=12.1.3").proto();
  bad.mutable_constraints(0)->set_comparator(v1::VERSION_COMPARATOR_UNSPECIFIED);
  EXPECT_TRUE(absl::IsInvalidArgument(VersionRange::FromProto(bad).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(VersionRange::FromProto(v1::ParsedVersionRange()).status()));
  v1::ParsedVersionRange other_scheme = MustParse("vers:generic/>=1.1|<=1.3.2").proto();
  other_scheme.set_vers_scheme("semver");
  EXPECT_EQ(VersionRange::FromProto(other_scheme).status().message(),
            "vers scheme \"semver\" is not supported (only generic, intdot and all)");
  v1::ParsedVersionRange scheme_on_list = MustParse("<=12.1.3").proto();
  scheme_on_list.set_vers_scheme("generic");
  EXPECT_EQ(VersionRange::FromProto(scheme_on_list).status().message(), "only a vers range has a vers scheme");
}

}  // namespace
}  // namespace pumptrack::advisories
