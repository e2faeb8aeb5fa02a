// The CMMS CSV reader of `pumptrack maintenance import`: RFC 4180 quoting, a byte order mark, CRLF, configurable
// headers, and every kind of bad row named by its line.
#include "cli/maintenance_csv.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pumptrack::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

const absl::Time kNow = absl::FromCivil(absl::CivilSecond(2026, 12, 5, 12, 0, 0), absl::UTCTimeZone());

absl::Time Utc(int y, int m, int d) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, 0, 0, 0), absl::UTCTimeZone());
}

std::vector<std::string> Fields(const CsvRecord& r) { return r.fields; }

ImportFile Read(const std::string& text, const CsvColumns& columns = {}) {
  absl::StatusOr<ImportFile> file = ReadMaintenanceCsv(text, columns, absl::UTCTimeZone(), kNow);
  EXPECT_TRUE(file.ok()) << file.status();
  return file.ok() ? *file : ImportFile{};
}

TEST(ParseCsv, QuotedFieldsWithCommasQuotesAndLineBreaks) {
  absl::StatusOr<std::vector<CsvRecord>> records =
      ParseCsv("a,b,c\n\"x, y\",\"say \"\"hi\"\"\",\"two\nlines\"\nlast,,\n");
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->size(), 3u);
  EXPECT_THAT(Fields((*records)[1]), ElementsAre("x, y", "say \"hi\"", "two\nlines"));
  EXPECT_THAT(Fields((*records)[2]), ElementsAre("last", "", ""));
  EXPECT_EQ((*records)[2].line, 4);  // the quoted line break counts
}

TEST(ParseCsv, ByteOrderMarkCrLfAndNoTrailingNewline) {
  absl::StatusOr<std::vector<CsvRecord>> records = ParseCsv(
      "\xEF\xBB\xBF"
      "a,b\r\n1,2\r\n\r\n3,4");
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->size(), 3u);
  EXPECT_THAT(Fields((*records)[0]), ElementsAre("a", "b"));
  EXPECT_THAT(Fields((*records)[2]), ElementsAre("3", "4"));
  EXPECT_EQ((*records)[2].line, 4);
}

TEST(ParseCsv, RefusesAnUnclosedQuoteAndTextAfterAClosingQuote) {
  EXPECT_THAT(std::string(ParseCsv("a\n\"open,\n").status().message()), HasSubstr("line 2: a quote is never closed"));
  EXPECT_THAT(std::string(ParseCsv("a,b\n\"x\"y,1\n").status().message()),
              HasSubstr("line 2: text after a closing quote"));
}

TEST(ReadMaintenanceCsv, ReadsEveryFieldOfAGoodFile) {
  const ImportFile file = Read(
      "asset_tag,kind,performed_at,performed_by,notes,next_due\r\n"
      "PT-1,PM,2026-12-01,\"Vendor, Inc.\",\"replaced \"\"door\"\" seal\",\r\n"
      "PT-2,battery-replacement,2026-11-30T08:15:00Z,bob,,2027-06-01\r\n");
  EXPECT_TRUE(file.bad.empty());
  ASSERT_EQ(file.rows.size(), 2u);
  EXPECT_EQ(file.rows[0].line, 2);
  EXPECT_EQ(file.rows[0].request.asset_tag(), "PT-1");
  EXPECT_EQ(file.rows[0].request.kind(), v1::MAINTENANCE_KIND_PM);
  EXPECT_EQ(file.rows[0].request.performed_at().seconds(), absl::ToUnixSeconds(Utc(2026, 12, 1)));
  EXPECT_EQ(file.rows[0].request.performed_by(), "Vendor, Inc.");
  EXPECT_EQ(file.rows[0].request.notes(), "replaced \"door\" seal");
  EXPECT_FALSE(file.rows[0].request.has_next_due_override());
  EXPECT_EQ(file.rows[1].request.kind(), v1::MAINTENANCE_KIND_BATTERY_REPLACEMENT);
  EXPECT_EQ(file.rows[1].request.next_due_override().seconds(), absl::ToUnixSeconds(Utc(2027, 6, 1)));
}

TEST(ReadMaintenanceCsv, HeaderNamesAreConfigurableAndCaseInsensitive) {
  CsvColumns columns;
  columns.asset_tag = "Asset Tag";
  columns.kind = "Work Type";
  columns.performed_at = "Completed";
  const ImportFile file = Read("ASSET TAG , work type,completed\nPT-9,inspection,2026-10-01\n", columns);
  ASSERT_EQ(file.rows.size(), 1u);
  EXPECT_EQ(file.rows[0].request.asset_tag(), "PT-9");
  absl::StatusOr<ImportFile> missing = ReadMaintenanceCsv("tag,kind,when\n", {}, absl::UTCTimeZone(), kNow);
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(std::string(missing.status().message()),
              HasSubstr("line 1: no column \"asset_tag\" in the header (found \"tag\", \"kind\", \"when\")"));
}

TEST(ReadMaintenanceCsv, DatesWithoutATimeAreMidnightInTheGivenZone) {
  absl::TimeZone berlin;
  ASSERT_TRUE(absl::LoadTimeZone("Europe/Berlin", &berlin));
  absl::StatusOr<ImportFile> file =
      ReadMaintenanceCsv("asset_tag,kind,performed_at\nPT-1,pm,2026-07-01\n", {}, berlin, kNow);
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(file->rows[0].request.performed_at().seconds(),
            absl::ToUnixSeconds(absl::FromCivil(absl::CivilSecond(2026, 6, 30, 22, 0, 0), absl::UTCTimeZone())));
}

TEST(ReadMaintenanceCsv, NamesEveryBadRowByItsLine) {
  const ImportFile file = Read(
      "asset_tag,kind,performed_at,next_due\n"
      "PT-1,pm,2026-12-01,\n"            // 2: good
      "PT-2,calibration,2026-12-01,\n"   // 3: unknown kind
      "PT-3,pm,2026-13-45,\n"            // 4: bad date
      "PT-4,pm,2027-01-01,\n"            // 5: future
      ",pm,2026-12-01,\n"                // 6: empty tag
      "PT-1,pm,2026-12-01,\n"            // 7: duplicate of 2
      "PT-5,pm,2026-12-01\n"             // 8: too few fields
      "PT-6,pm,2026-12-01,2026-11-01\n"  // 9: next due before performed
      "PT-7,repair,2026-12-01,\n");      // 10: good
  ASSERT_EQ(file.rows.size(), 2u);
  EXPECT_EQ(file.rows[1].line, 10);
  ASSERT_EQ(file.bad.size(), 7u);
  EXPECT_EQ(file.bad[0].line, 3);
  EXPECT_THAT(file.bad[0].reason, HasSubstr("'calibration' is not a maintenance kind"));
  EXPECT_EQ(file.bad[1].line, 4);
  EXPECT_THAT(file.bad[1].reason, HasSubstr("performed_at: '2026-13-45' is not a date"));
  EXPECT_EQ(file.bad[2].line, 5);
  EXPECT_THAT(file.bad[2].reason, HasSubstr("is in the future"));
  EXPECT_EQ(file.bad[3].line, 6);
  EXPECT_THAT(file.bad[3].reason, HasSubstr("asset_tag: is empty"));
  EXPECT_EQ(file.bad[4].line, 7);
  EXPECT_EQ(file.bad[4].reason, "duplicate of line 2");
  EXPECT_EQ(file.bad[5].line, 8);
  EXPECT_THAT(file.bad[5].reason, HasSubstr("3 fields; the header has 4"));
  EXPECT_EQ(file.bad[6].line, 9);
  EXPECT_THAT(file.bad[6].reason, HasSubstr("next_due: must be after performed_at"));
}

TEST(ReadMaintenanceCsv, AFileWithTooManyRowsIsRefusedWhole) {
  std::string text = "asset_tag,kind,performed_at\n";
  for (std::size_t i = 0; i <= kMaxImportRows; ++i) text += "PT-" + std::to_string(i) + ",pm,2026-12-01\n";
  absl::StatusOr<ImportFile> file = ReadMaintenanceCsv(text, {}, absl::UTCTimeZone(), kNow);
  ASSERT_FALSE(file.ok());
  EXPECT_EQ(file.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(file.status().message()),
              HasSubstr("the file has 20001 rows; an import takes at most 20000"));
}

TEST(ReadMaintenanceCsv, AMillionRowFileIsRefusedClearly) {
  std::string text = "asset_tag,kind,performed_at\n";
  text.reserve(30u << 20);
  for (int i = 0; i < 1000000; ++i) text += "PT-1,pm,2026-12-01\n";
  absl::StatusOr<ImportFile> file = ReadMaintenanceCsv(text, {}, absl::UTCTimeZone(), kNow);
  ASSERT_FALSE(file.ok());
  EXPECT_THAT(std::string(file.status().message()), HasSubstr("1000000 rows"));
}

TEST(ParseMaintenanceKind, AcceptsTheFourKindsOnly) {
  EXPECT_EQ(*ParseMaintenanceKind("Inspection"), v1::MAINTENANCE_KIND_INSPECTION);
  EXPECT_EQ(*ParseMaintenanceKind("battery replacement"), v1::MAINTENANCE_KIND_BATTERY_REPLACEMENT);
  EXPECT_FALSE(ParseMaintenanceKind("").ok());
  EXPECT_FALSE(ParseMaintenanceKind("unspecified").ok());
}

}  // namespace
}  // namespace pumptrack::cli
