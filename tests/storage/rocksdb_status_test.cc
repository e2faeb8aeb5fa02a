// Unit tests for storage/rocksdb_status.h: every rocksdb::Status class maps to the documented absl code, and the
// context prefixes the message.
#include "storage/rocksdb_status.h"

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rocksdb/status.h"

namespace pumptrack::storage {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

TEST(RocksDbStatusTest, OkMapsToOk) {
  absl::Status status = FromRocksDb(rocksdb::Status::OK(), "write batch");
  EXPECT_TRUE(status.ok());
  EXPECT_EQ(status.message(), "");
}

TEST(RocksDbStatusTest, NotFoundMapsToNotFound) {
  absl::Status status = FromRocksDb(rocksdb::Status::NotFound("no such key"), "get from devices");
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(status.message()), HasSubstr("no such key"));
}

TEST(RocksDbStatusTest, CorruptionMapsToDataLoss) {
  absl::Status status = FromRocksDb(rocksdb::Status::Corruption("bad block checksum", "000123.sst"), "read history");
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(status.message()), HasSubstr("bad block checksum"));
  EXPECT_THAT(std::string(status.message()), HasSubstr("000123.sst"));
}

TEST(RocksDbStatusTest, IoErrorNoSpaceMapsToResourceExhausted) {
  absl::Status status = FromRocksDb(rocksdb::Status::NoSpace("disk full"), "write batch");
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(status.message()), HasSubstr("disk full"));
  // The bare NoSpace (no message) is classified the same way.
  EXPECT_EQ(FromRocksDb(rocksdb::Status::NoSpace(), "write batch").code(), absl::StatusCode::kResourceExhausted);
}

TEST(RocksDbStatusTest, OtherIoErrorsMapToUnavailable) {
  EXPECT_EQ(
      FromRocksDb(rocksdb::Status::IOError("While open a file for appending", "Input/output error"), "open").code(),
      absl::StatusCode::kUnavailable);
  EXPECT_EQ(FromRocksDb(rocksdb::Status::PathNotFound("/var/lib/pumptrack/CURRENT"), "open").code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(FromRocksDb(rocksdb::Status::IOError(), "open").code(), absl::StatusCode::kUnavailable);
}

TEST(RocksDbStatusTest, BusyAndOtherTransientConditionsMapToUnavailable) {
  EXPECT_EQ(FromRocksDb(rocksdb::Status::Busy("write stall"), "write batch").code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(FromRocksDb(rocksdb::Status::TimedOut(), "write batch").code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(FromRocksDb(rocksdb::Status::TryAgain(), "write batch").code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(FromRocksDb(rocksdb::Status::Incomplete(), "list devices").code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(FromRocksDb(rocksdb::Status::ShutdownInProgress(), "write batch").code(), absl::StatusCode::kUnavailable);
}

TEST(RocksDbStatusTest, InvalidArgumentMapsToInvalidArgument) {
  absl::Status status =
      FromRocksDb(rocksdb::Status::InvalidArgument("Column family not found", "history2"), "open /data");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("Column family not found"));
}

TEST(RocksDbStatusTest, NotSupportedAbortedAndUnknownCodes) {
  EXPECT_EQ(FromRocksDb(rocksdb::Status::NotSupported("lz4"), "open").code(), absl::StatusCode::kUnimplemented);
  EXPECT_EQ(FromRocksDb(rocksdb::Status::Aborted("cancelled"), "compact").code(), absl::StatusCode::kAborted);
  EXPECT_EQ(FromRocksDb(rocksdb::Status::MergeInProgress(), "get").code(), absl::StatusCode::kInternal);
  EXPECT_EQ(FromRocksDb(rocksdb::Status::ColumnFamilyDropped(), "get").code(), absl::StatusCode::kInternal);
}

TEST(RocksDbStatusTest, ContextPrefixesTheMessage) {
  const rocksdb::Status io = rocksdb::Status::IOError("lock hold by current process");
  absl::Status status = FromRocksDb(io, "open /var/lib/pumptrack");
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(status.message()), StartsWith("open /var/lib/pumptrack: "));
  EXPECT_EQ(status.message(), "open /var/lib/pumptrack: " + io.ToString());
}

}  // namespace
}  // namespace pumptrack::storage
