#include "advisories/csaf_parser.h"

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_replace.h"
#include "advisories/sha512_sidecar.h"
#include "gtest/gtest.h"
#include "tests/advisories/fixtures.h"

namespace pumptrack::advisories {
namespace {

using testing::ReadFixture;

const v1::AdvisoryProduct* FindProduct(const v1::Advisory& advisory, absl::string_view id) {
  for (const v1::AdvisoryProduct& product : advisory.products()) {
    if (product.product_id() == id) return &product;
  }
  return nullptr;
}

v1::Advisory MustParseFixture(absl::string_view name) {
  const std::string bytes = ReadFixture(name);
  EXPECT_FALSE(bytes.empty()) << name;
  absl::StatusOr<v1::Advisory> advisory = ParseCsafAdvisory(bytes);
  EXPECT_TRUE(advisory.ok()) << name << ": " << advisory.status();
  return advisory.ok() ? *std::move(advisory) : v1::Advisory();
}

std::string Message(absl::string_view json) { return std::string(ParseCsafAdvisory(json).status().message()); }

TEST(CsafParserTest, BdAlaris) {
  const v1::Advisory advisory = MustParseFixture("icsma-23-193-01.json");
  EXPECT_EQ(advisory.tracking_id(), "ICSMA-23-193-01");
  EXPECT_EQ(advisory.version(), "1");
  EXPECT_EQ(advisory.current_release_date().seconds(), 1689228000);  // 2023-07-13T06:00:00Z
  EXPECT_EQ(advisory.initial_release_date().seconds(), 1689228000);
  EXPECT_EQ(advisory.title(), "Becton, Dickinson and Company Alaris System with Guardrails Suite MX");
  EXPECT_EQ(advisory.publisher(), "CISA");
  EXPECT_EQ(advisory.sha512(), Sha512Hex(ReadFixture("icsma-23-193-01.json")));
  ASSERT_EQ(advisory.products_size(), 4);

  const v1::AdvisoryProduct* pcu = FindProduct(advisory, "CSAFPID-0001");
  ASSERT_NE(pcu, nullptr);
  EXPECT_EQ(pcu->vendor(), "BD");
  EXPECT_EQ(pcu->product_name(), "Alaris PCU 8015");
  EXPECT_EQ(pcu->full_name(), "BD Alaris PCU 8015 <=12.1.3");
  EXPECT_EQ(pcu->version_text(), "<=12.1.3");
  EXPECT_FALSE(pcu->needs_review());
  EXPECT_EQ(pcu->range().syntax(), v1::VERSION_RANGE_SYNTAX_OPERATOR_LIST);
  ASSERT_EQ(pcu->range().constraints_size(), 1);
  EXPECT_EQ(pcu->range().constraints(0).comparator(), v1::VERSION_COMPARATOR_LESS_OR_EQUAL);
  EXPECT_EQ(pcu->range().constraints(0).version(), "12.1.3");

  EXPECT_EQ(FindProduct(advisory, "CSAFPID-0002")->range().syntax(), v1::VERSION_RANGE_SYNTAX_EXACT);
  EXPECT_EQ(FindProduct(advisory, "CSAFPID-0003")->range().vers_scheme(), "generic");
  EXPECT_TRUE(FindProduct(advisory, "CSAFPID-0004")->range().all_versions());

  ASSERT_EQ(advisory.vulnerabilities_size(), 3);
  const v1::AdvisoryVulnerability& first = advisory.vulnerabilities(0);
  EXPECT_EQ(first.cve(), "CVE-2023-30559");
  EXPECT_EQ(first.cwe_id(), "CWE-345");
  EXPECT_EQ(first.cwe_name(), "Insufficient Verification of Data Authenticity");
  EXPECT_EQ(first.title(), "Wireless card firmware improperly signed");
  ASSERT_EQ(first.product_status().known_affected_size(), 1);
  EXPECT_EQ(first.product_status().known_affected(0), "CSAFPID-0001");
  ASSERT_EQ(first.product_status().fixed_size(), 1);
  EXPECT_EQ(first.product_status().fixed(0), "CSAFPID-0002");
  ASSERT_EQ(first.remediations_size(), 2);
  EXPECT_EQ(first.remediations(0).category(), "vendor_fix");
  EXPECT_EQ(first.remediations(0).details(), "Upgrade the PCU to firmware 12.3.0 or later.");
  EXPECT_EQ(first.remediations(0).product_ids(0), "CSAFPID-0001");
  ASSERT_EQ(first.scores_size(), 1);
  EXPECT_DOUBLE_EQ(first.scores(0).base_score(), 5.2);
  EXPECT_EQ(first.scores(0).vector(), "CVSS:3.1/AV:P/AC:H/PR:N/UI:N/S:U/C:L/I:H/A:L");
  EXPECT_DOUBLE_EQ(advisory.vulnerabilities(2).scores(0).base_score(), 8.2);
}

TEST(CsafParserTest, BBraunSpaceWithProseDateAndRelationship) {
  const v1::Advisory advisory = MustParseFixture("icsma-21-294-01.json");
  EXPECT_EQ(advisory.tracking_id(), "ICSMA-21-294-01");
  ASSERT_EQ(advisory.products_size(), 8);
  const v1::AdvisoryProduct* battery = FindProduct(advisory, "CSAFPID-0002");
  EXPECT_EQ(battery->version_text(), "<= U61 | <= L81");
  EXPECT_EQ(battery->range().constraints_size(), 2);

  const v1::AdvisoryProduct* station = FindProduct(advisory, "CSAFPID-0006");
  EXPECT_TRUE(station->needs_review());
  EXPECT_FALSE(station->has_range());
  EXPECT_EQ(station->review_reason(), "range \"v6.x (with SpaceCom 2)\": \"v6.x (with SpaceCom 2)\" is not a version");
  const v1::AdvisoryProduct* suite = FindProduct(advisory, "CSAFPID-0007");
  EXPECT_TRUE(suite->needs_review());
  EXPECT_EQ(suite->review_reason(), "range \"< 2019-07-18\": \"2019-07-18\" is a date, not a version");

  // The battery pack installed on the pump: the component's vendor, name and range, and the relationship.
  const v1::AdvisoryProduct* installed = FindProduct(advisory, "CSAFPID-0008");
  ASSERT_NE(installed, nullptr);
  EXPECT_EQ(installed->vendor(), "B. Braun");
  EXPECT_EQ(installed->product_name(), "Battery Pack SP with Wi-Fi");
  EXPECT_EQ(installed->version_text(), "<= U61 | <= L81");
  EXPECT_EQ(installed->range().constraints_size(), 2);
  EXPECT_EQ(installed->relationship_category(), "installed_on");
  EXPECT_EQ(installed->product_reference(), "CSAFPID-0002");
  EXPECT_EQ(installed->relates_to_product_reference(), "CSAFPID-0001");
  EXPECT_EQ(advisory.vulnerabilities(1).product_status().known_not_affected(0), "CSAFPID-0005");
  // A remediation naming no product.
  EXPECT_EQ(advisory.vulnerabilities(0).remediations(1).product_ids_size(), 0);
}

TEST(CsafParserTest, BaxterSigmaSpectrumThroughAProductFamily) {
  const v1::Advisory advisory = MustParseFixture("icsma-22-251-01.json");
  ASSERT_EQ(advisory.products_size(), 5);
  const v1::AdvisoryProduct* modules = FindProduct(advisory, "CSAFPID-0002");
  EXPECT_EQ(modules->vendor(), "Baxter");
  EXPECT_EQ(modules->product_name(), "Wireless Battery Module");
  EXPECT_EQ(modules->range().constraints_size(), 4);
  EXPECT_EQ(FindProduct(advisory, "CSAFPID-0003")->range().constraints_size(), 2);
  EXPECT_EQ(FindProduct(advisory, "CSAFPID-0001")->version_text(), "8.00.01");
  EXPECT_EQ(advisory.vulnerabilities(0).product_status().known_not_affected(0), "CSAFPID-0005");
}

TEST(CsafParserTest, SmithsMedfusionRevisions) {
  const v1::Advisory first = MustParseFixture("icsma-17-250-02-v1.json");
  const v1::Advisory second = MustParseFixture("icsma-17-250-02-v2.json");
  EXPECT_EQ(first.tracking_id(), second.tracking_id());
  EXPECT_EQ(first.version(), "1");
  EXPECT_EQ(second.version(), "2");
  EXPECT_EQ(first.products_size(), 3);
  for (const v1::AdvisoryProduct& product : first.products()) {
    EXPECT_EQ(product.range().syntax(), v1::VERSION_RANGE_SYNTAX_EXACT) << product.product_id();
  }
  EXPECT_EQ(FindProduct(second, "CSAFPID-0001")->range().constraints_size(), 3);
  EXPECT_LT(CompareAdvisoryRevisions(first, second), 0);
  EXPECT_GT(CompareAdvisoryRevisions(second, first), 0);
  EXPECT_EQ(CompareAdvisoryRevisions(second, second), 0);
  v1::Advisory tenth = first;
  tenth.set_version("10");
  EXPECT_GT(CompareAdvisoryRevisions(tenth, second), 0);
  v1::Advisory later_same_version = first;
  later_same_version.mutable_current_release_date()->set_seconds(first.current_release_date().seconds() + 1);
  EXPECT_GT(CompareAdvisoryRevisions(later_same_version, first), 0);
}

TEST(CsafParserTest, RefusesNotJson) {
  const std::string message = Message("this is not JSON");
  EXPECT_TRUE(absl::StartsWith(message, "CSAF file: not JSON: ")) << message;
  EXPECT_TRUE(absl::StartsWith(Message("{\"document\": "), "CSAF file: not JSON: "));
  EXPECT_TRUE(absl::StartsWith(Message(""), "CSAF file: not JSON: "));
  EXPECT_EQ(Message("[1, 2]"), "(root): must be an object");
  EXPECT_TRUE(absl::IsInvalidArgument(ParseCsafAdvisory("\xff\xfe").status()));
}

TEST(CsafParserTest, RefusesOtherCsafVersions) {
  const std::string bd = ReadFixture("icsma-23-193-01.json");
  EXPECT_EQ(Message(absl::StrReplaceAll(bd, {{"\"csaf_version\": \"2.0\"", "\"csaf_version\": \"1.2\""}})),
            "document.csaf_version: \"1.2\" is not supported (only 2.0)");
  EXPECT_EQ(Message(absl::StrReplaceAll(bd, {{"\"csaf_version\": \"2.0\"", "\"csaf_version\": 2.0"}})),
            "document.csaf_version: must be a string");
  EXPECT_EQ(Message(absl::StrReplaceAll(bd, {{"\"csaf_version\": \"2.0\"", "\"csaf_versions\": \"2.0\""}})),
            "document.csaf_version: missing");
  EXPECT_EQ(Message("{}"), "document: missing");
}

TEST(CsafParserTest, RefusesMissingTracking) {
  const std::string bd = ReadFixture("icsma-23-193-01.json");
  EXPECT_EQ(Message(absl::StrReplaceAll(bd, {{"\"id\": \"ICSMA-23-193-01\"", "\"ids\": \"ICSMA-23-193-01\""}})),
            "document.tracking.id: missing");
  EXPECT_EQ(Message(absl::StrReplaceAll(bd, {{"\"id\": \"ICSMA-23-193-01\"", "\"id\": \"\""}})),
            "document.tracking.id: must not be empty");
  EXPECT_EQ(Message(absl::StrReplaceAll(bd, {{"\"id\": \"ICSMA-23-193-01\"", "\"id\": 7"}})),
            "document.tracking.id: must be a string");
  EXPECT_EQ(Message(absl::StrReplaceAll(bd, {{"\"version\": \"1\",", ""}})), "document.tracking.version: missing");
  EXPECT_EQ(Message(absl::StrReplaceAll(bd, {{"\"current_release_date\"", "\"release_date\""}})),
            "document.tracking.current_release_date: missing");
  EXPECT_EQ(Message(absl::StrReplaceAll(bd, {{"\"current_release_date\": \"2023-07-13T06:00:00.000000Z\"",
                                              "\"current_release_date\": \"13 July 2023\""}})),
            "document.tracking.current_release_date: \"13 July 2023\" is not an RFC 3339 date");
  EXPECT_EQ(Message(absl::StrReplaceAll(bd, {{"\"tracking\": {", "\"tracking_\": {"}})), "document.tracking: missing");
}

TEST(CsafParserTest, RefusesWrongTypesNamingThePath) {
  const std::string bd = ReadFixture("icsma-23-193-01.json");
  EXPECT_EQ(Message(absl::StrReplaceAll(
                bd, {{"\"vulnerabilities\": [", "\"vulnerabilities\": {\"x\": ["}, {"]\n}\n", "]}\n}\n"}})),
            "vulnerabilities: must be an array");
  EXPECT_EQ(Message(absl::StrReplaceAll(bd, {{"\"baseScore\": 8.2", "\"baseScore\": \"8.2\""}})),
            "vulnerabilities[2].scores[0].cvss_v3.baseScore: must be a number");
  EXPECT_EQ(Message(absl::StrReplaceAll(bd, {{"\"baseScore\": 8.2", "\"baseScore\": 11"}})),
            "vulnerabilities[2].scores[0].cvss_v3.baseScore: must be 0–10");
  EXPECT_EQ(Message(absl::StrReplaceAll(bd, {{"\"name\": \"Alaris PCU 8015\"", "\"name\": [\"Alaris PCU 8015\"]"}})),
            "product_tree.branches[0].branches[0].name: must be a string");
  EXPECT_EQ(Message(absl::StrReplaceAll(bd, {{"\"known_affected\": [\n          \"CSAFPID-0001\"\n        ],\n        "
                                              "\"fixed\"",
                                              "\"known_affected\": [\n          1\n        ],\n        \"fixed\""}})),
            "vulnerabilities[0].product_status.known_affected[0]: must be a string");
  EXPECT_EQ(Message(absl::StrReplaceAll(
                bd, {{"\"title\": \"Becton", "\"title\": {\"x\": \"Becton"}, {"Suite MX\",", "Suite MX\"},"}})),
            "document.title: must be a string");
}

TEST(CsafParserTest, RefusesUndefinedAndDuplicateProductIds) {
  const std::string bd = ReadFixture("icsma-23-193-01.json");
  EXPECT_EQ(
      Message(absl::StrReplaceAll(bd, {{"\"product_id\": \"CSAFPID-0002\"", "\"product_id\": \"CSAFPID-0001\""}})),
      "product_tree.branches[0].branches[0].branches[1].product.product_id: \"CSAFPID-0001\" is defined twice");
  EXPECT_EQ(
      Message(absl::StrReplaceAll(bd, {{"\"product_id\": \"CSAFPID-0004\"", "\"product_id\": \"CSAFPID-0009\""}})),
      "vulnerabilities[2].product_status.known_affected[1]: names \"CSAFPID-0004\", which the product_tree "
      "does not define");
}

TEST(CsafParserTest, RefusesByteSizeBeforeParsing) {
  // A valid document padded with blanks past 100 MB: only the size check can refuse it.
  std::string huge = ReadFixture("icsma-23-193-01.json");
  huge.append((100u << 20) + 1, ' ');
  ASSERT_GT(huge.size(), 100u << 20);
  const absl::Status status = ParseCsafAdvisory(huge).status();
  EXPECT_TRUE(absl::IsInvalidArgument(status));
  EXPECT_EQ(status.message(), absl::StrCat("CSAF file: ", huge.size(),
                                           " bytes, more than the limit of 16777216 bytes "
                                           "(16 MiB)"));
  // Just under the limit is parsed.
  std::string at_limit = ReadFixture("icsma-23-193-01.json");
  at_limit.append(kMaxCsafBytes - at_limit.size(), ' ');
  EXPECT_TRUE(ParseCsafAdvisory(at_limit).ok());
}

TEST(CsafParserTest, RefusesDeepNestingBeforeParsing) {
  const std::string deep = std::string(1000000, '[') + std::string(1000000, ']');
  EXPECT_EQ(Message(deep), "CSAF file: JSON nested deeper than 64 levels");
  const std::string objects = [] {
    std::string text;
    for (int i = 0; i < 100000; ++i) text += "{\"a\":";
    text += "1";
    text += std::string(100000, '}');
    return text;
  }();
  EXPECT_EQ(Message(objects), "CSAF file: JSON nested deeper than 64 levels");
  // 64 levels are fine (then refused for what they are); brackets inside strings do not count.
  EXPECT_EQ(Message(std::string(64, '[') + std::string(64, ']')), "(root): must be an object");
  EXPECT_EQ(Message(absl::StrCat("{\"x\": \"", std::string(100, '['), "\\\"", std::string(100, '{'), "\"}")),
            "document: missing");
}

}  // namespace
}  // namespace pumptrack::advisories
