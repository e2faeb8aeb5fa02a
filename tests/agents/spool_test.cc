// The spool adapter on a real directory: valid, invalid and incomplete files.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/clock.h"
#include "agents/spool/spool_source.h"
#include "tests/common/test_support.h"

namespace pumptrack::agents::spool {
namespace {

namespace fs = std::filesystem;
using pumptrack::testing_support::ScopedTempDir;
using ::testing::HasSubstr;

constexpr char kValid[] = R"({"identity": {"assetTag": "PT-90001", "serialNumber": "AM5-1"},
  "observedAt": "2026-12-05T10:15:00Z", "sequence": "77", "location": {"unit": "icu-1"}})";

void Write(const fs::path& path, const std::string& contents) {
  std::ofstream out(path, std::ios::trunc);
  out << contents;
}

std::string Read(const fs::path& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::unique_ptr<SpoolSource> Open(const ScopedTempDir& dir) {
  SpoolOptions options;
  options.dir = dir.path();
  absl::StatusOr<std::unique_ptr<SpoolSource>> source = SpoolSource::Create(options);
  EXPECT_TRUE(source.ok()) << source.status();
  return *std::move(source);
}

TEST(SpoolTest, OnlyCompleteNamesArePickedUp) {
  EXPECT_TRUE(IsCompleteSpoolFileName("PT-1.json"));
  EXPECT_FALSE(IsCompleteSpoolFileName(".PT-1.json"));
  EXPECT_FALSE(IsCompleteSpoolFileName("PT-1.json.tmp"));
  EXPECT_FALSE(IsCompleteSpoolFileName(""));
}

TEST(SpoolTest, ParsesProtobufJsonAndIgnoresTheSequence) {
  absl::StatusOr<pumptrack::v1::Observation> observation = ParseSpoolDocument(kValid);
  ASSERT_TRUE(observation.ok()) << observation.status();
  EXPECT_EQ(observation->identity().asset_tag(), "PT-90001");
  EXPECT_EQ(observation->location().unit(), "icu-1");
  EXPECT_EQ(observation->sequence(), 0u);
}

TEST(SpoolTest, RefusesWhatIsNotAnObservationOrLacksItsIdentity) {
  EXPECT_THAT(std::string(ParseSpoolDocument("{not json").status().message()), HasSubstr("protobuf JSON"));
  EXPECT_THAT(std::string(ParseSpoolDocument(R"({"colour": "red"})").status().message()), HasSubstr("protobuf JSON"));
  EXPECT_THAT(
      std::string(ParseSpoolDocument(R"({"identity": {"serialNumber": "S"}, "observedAt": "2026-12-05T10:15:00Z"})")
                      .status()
                      .message()),
      HasSubstr("assetTag"));
  EXPECT_THAT(
      std::string(ParseSpoolDocument(R"({"identity": {"assetTag": "PT-1"}, "observedAt": "2026-12-05T10:15:00Z"})")
                      .status()
                      .message()),
      HasSubstr("serialNumber"));
  EXPECT_THAT(
      std::string(ParseSpoolDocument(R"({"identity": {"assetTag": "PT-1", "serialNumber": "S"}})").status().message()),
      HasSubstr("observedAt"));
}

TEST(SpoolTest, ValidFilesGoToDoneOnceBufferedInvalidOnesToRejectedWithAReason) {
  ScopedTempDir dir;
  std::unique_ptr<SpoolSource> source = Open(dir);
  const fs::path spool = dir.root();
  Write(spool / "a.json", kValid);
  Write(spool / "b.json", "{broken");
  Write(spool / "c.json.tmp", kValid);
  Write(spool / ".d.json", kValid);

  absl::StatusOr<std::vector<pumptrack::v1::Observation>> round = source->NextRound(absl::Now());
  ASSERT_TRUE(round.ok()) << round.status();
  ASSERT_EQ(round->size(), 1u);
  EXPECT_TRUE(fs::exists(spool / "a.json"));  // not yet buffered
  EXPECT_TRUE(fs::exists(spool / "rejected" / "b.json"));
  EXPECT_THAT(Read(spool / "rejected" / "b.json.reason"), HasSubstr("protobuf JSON"));
  EXPECT_EQ(source->rejected_files(), 1u);

  source->RoundBuffered(absl::OkStatus());
  EXPECT_FALSE(fs::exists(spool / "a.json"));
  EXPECT_TRUE(fs::exists(spool / "done" / "a.json"));
  EXPECT_TRUE(fs::exists(spool / "c.json.tmp"));
  EXPECT_TRUE(fs::exists(spool / ".d.json"));
  EXPECT_TRUE(source->NextRound(absl::Now())->empty());
}

TEST(SpoolTest, AFileStaysWhenTheRoundCouldNotBeBuffered) {
  ScopedTempDir dir;
  std::unique_ptr<SpoolSource> source = Open(dir);
  Write(dir.root() / "a.json", kValid);
  ASSERT_EQ(source->NextRound(absl::Now())->size(), 1u);
  source->RoundBuffered(absl::UnavailableError("disk full"));
  EXPECT_TRUE(fs::exists(dir.root() / "a.json"));
  EXPECT_EQ(source->NextRound(absl::Now())->size(), 1u);
}

TEST(SpoolTest, TheShippedExampleIsValid) {
  const fs::path example = fs::path(PUMPTRACK_SOURCE_DIR) / "examples/spool/PT-90001-20261205T101500Z.json";
  absl::StatusOr<pumptrack::v1::Observation> observation = ParseSpoolDocument(Read(example));
  ASSERT_TRUE(observation.ok()) << observation.status();
  EXPECT_EQ(observation->identity().asset_tag(), "PT-90001");
}

}  // namespace
}  // namespace pumptrack::agents::spool
