#include "cli/errors.h"

#include "gtest/gtest.h"

namespace pumptrack::cli {
namespace {

ConnectionOptions Connection() {
  ConnectionOptions connection;
  connection.server = "localhost:50051";
  connection.timeout = absl::Seconds(10);
  return connection;
}

TEST(FromRpcStatusTest, NotFoundNamesTheSubject) {
  const absl::Status status = FromRpcStatus(grpc::Status(grpc::StatusCode::NOT_FOUND, "no report for PT-09999"),
                                            "device PT-09999", Connection());
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(status.message(), "device PT-09999 not found");
}

TEST(FromRpcStatusTest, UnavailableNamesTheServerAndReason) {
  const absl::Status status =
      FromRpcStatus(grpc::Status(grpc::StatusCode::UNAVAILABLE, "Connection refused"), "device PT-00042", Connection());
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(status.message(), "cannot reach localhost:50051: Connection refused");
}

TEST(FromRpcStatusTest, DeadlineExceededNamesTheTimeout) {
  const absl::Status status = FromRpcStatus(grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "Deadline Exceeded"),
                                            "device list", Connection());
  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(status.message(), "no answer from localhost:50051 within 10s");
}

TEST(FromRpcStatusTest, OtherCodesKeepTheServersMessage) {
  const absl::Status status =
      FromRpcStatus(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "page token was issued for other filters"),
                    "device list", Connection());
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "device list: page token was issued for other filters");
  EXPECT_EQ(FromRpcStatus(grpc::Status(grpc::StatusCode::INTERNAL, ""), "device list", Connection()).message(),
            "device list");
}

TEST(FromRpcStatusTest, OkStaysOk) { EXPECT_TRUE(FromRpcStatus(grpc::Status::OK, "device list", Connection()).ok()); }

TEST(ErrorLineTest, PrefixesTheProgramAndSuffixesTheCode) {
  EXPECT_EQ(ErrorLine(absl::NotFoundError("device PT-09999 not found")),
            "pumptrack: device PT-09999 not found (NOT_FOUND)");
  EXPECT_EQ(ErrorLine(absl::UnavailableError("cannot reach localhost:50051: Connection refused")),
            "pumptrack: cannot reach localhost:50051: Connection refused (UNAVAILABLE)");
}

TEST(ErrorLineTest, KeepsMultiLineMessagesOnOneLine) {
  EXPECT_EQ(ErrorLine(absl::InternalError("first\nsecond\r\nthird\n")), "pumptrack: first second third (INTERNAL)");
}

TEST(UsageErrorLineTest, PointsAtHelp) {
  EXPECT_EQ(UsageErrorLine("--state: 'busy' is not an operating state\n"),
            "pumptrack: --state: 'busy' is not an operating state (see pumptrack --help)");
}

}  // namespace
}  // namespace pumptrack::cli
