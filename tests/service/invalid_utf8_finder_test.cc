#include "service/invalid_utf8_finder.h"

#include <string>

#include "gtest/gtest.h"
#include "pumptrack/v1/agent_service.pb.h"

namespace pumptrack::service {
namespace {

// Serialises `batch` after replacing the text "MARK" with an invalid UTF-8 sequence; protobuf itself refuses it.
std::string WithInvalidUtf8(const v1::ReportBatch& batch) {
  std::string bytes = batch.SerializeAsString();
  const std::size_t at = bytes.find("MARK");
  EXPECT_NE(at, std::string::npos);
  bytes.replace(at, 4, "\xc3\x28\xc3\x28");
  v1::ReportBatch reparsed;
  EXPECT_FALSE(reparsed.ParseFromString(bytes)) << "protobuf accepted invalid UTF-8";
  return bytes;
}

TEST(InvalidUtf8FinderTest, NamesTheObservationAndNestedField) {
  v1::ReportBatch batch;
  batch.set_batch_id(1);
  batch.add_observations()->mutable_identity()->set_asset_tag("PT-1");
  batch.add_observations()->mutable_drug_library()->set_name("adult-MARK");
  const InvalidUtf8Finder finder(v1::ReportBatch::descriptor());
  EXPECT_EQ(finder.Find(WithInvalidUtf8(batch)), "observations[1].drug_library.name");
}

TEST(InvalidUtf8FinderTest, NamesMapEntriesAndRepeatedPositions) {
  v1::ReportBatch batch;
  (*batch.add_observations()->mutable_configuration()->mutable_settings())["alarm.volume"] = "MARK";
  const InvalidUtf8Finder finder(v1::ReportBatch::descriptor());
  EXPECT_EQ(finder.Find(WithInvalidUtf8(batch)), "observations[0].configuration.settings[0].value");
}

TEST(InvalidUtf8FinderTest, TellsControlCharactersFromValidText) {
  v1::ReportRequest request;
  request.mutable_agent()->set_agent_id("gw\x01");
  const InvalidUtf8Finder finder(v1::ReportRequest::descriptor());
  EXPECT_EQ(finder.Find(request.SerializeAsString()), "agent.agent_id");
  request.mutable_agent()->set_agent_id("gw-ä");
  EXPECT_EQ(finder.Find(request.SerializeAsString()), std::nullopt);
}

TEST(InvalidUtf8FinderTest, MalformedWireDataIsNotBlamedOnAField) {
  const InvalidUtf8Finder finder(v1::ReportBatch::descriptor());
  EXPECT_EQ(finder.Find(std::string("\x1a\xff\xff\xff\xff\x0f", 6)), std::nullopt);
}

}  // namespace
}  // namespace pumptrack::service
