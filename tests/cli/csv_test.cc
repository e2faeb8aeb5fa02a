// The CSV writer (cli/csv.h): RFC 4180 quoting, records and the header row.
#include "cli/csv.h"

#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace pumptrack::cli {
namespace {

TEST(QuoteCsvFieldTest, PlainTextIsWrittenAsItIs) {
  EXPECT_EQ(QuoteCsvField(""), "");
  EXPECT_EQ(QuoteCsvField("PT-00042"), "PT-00042");
  EXPECT_EQ(QuoteCsvField("5-Süd room 3"), "5-Süd room 3");
  EXPECT_EQ(QuoteCsvField(" leading and trailing spaces "), " leading and trailing spaces ");
}

TEST(QuoteCsvFieldTest, CommaQuoteCrAndLfAreQuoted) {
  EXPECT_EQ(QuoteCsvField("5 West, rack B"), "\"5 West, rack B\"");
  EXPECT_EQ(QuoteCsvField("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(QuoteCsvField("\""), "\"\"\"\"");
  EXPECT_EQ(QuoteCsvField("line 1\nline 2"), "\"line 1\nline 2\"");
  EXPECT_EQ(QuoteCsvField("line 1\r\nline 2"), "\"line 1\r\nline 2\"");
  EXPECT_EQ(QuoteCsvField("cr\r"), "\"cr\r\"");
}

TEST(FormatCsvRecordTest, JoinsWithCommasAndEndsWithCrLf) {
  const std::vector<std::string> fields = {"a", "", "b,c", "d\"e"};
  EXPECT_EQ(FormatCsvRecord(fields), "a,,\"b,c\",\"d\"\"e\"\r\n");
  EXPECT_EQ(FormatCsvRecord(std::vector<std::string>{""}), "\r\n");
}

struct Pump {
  std::string tag;
  int count;
};

const std::vector<CsvColumn<Pump>>& PumpColumns() {
  static const auto* const columns = new std::vector<CsvColumn<Pump>>{
      {"asset_tag", [](const Pump& p) { return p.tag; }},
      {"count", [](const Pump& p) { return std::to_string(p.count); }},
  };
  return *columns;
}

TEST(PrintCsvTest, HeaderThenOneRecordPerItemInColumnOrder) {
  const std::vector<Pump> pumps = {{"PT-1", 3}, {"PT-2, spare", 0}};
  std::ostringstream out;
  PrintCsv(std::span(PumpColumns()), std::span<const Pump>(pumps), out);
  EXPECT_EQ(out.str(), "asset_tag,count\r\nPT-1,3\r\n\"PT-2, spare\",0\r\n");
}

TEST(PrintCsvTest, NoItemsIsTheHeaderAlone) {
  std::ostringstream out;
  PrintCsv(std::span(PumpColumns()), std::span<const Pump>(), out);
  EXPECT_EQ(out.str(), "asset_tag,count\r\n");
}

}  // namespace
}  // namespace pumptrack::cli
