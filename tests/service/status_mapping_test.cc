// absl::Status -> grpc::Status: every code maps one to one and the message is kept.

#include "service/status_mapping.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "service/report_results.h"

namespace pumptrack::service {
namespace {

TEST(StatusMappingTest, EveryAbslCodeMapsToTheSameGrpcCodeWithItsMessage) {
  const std::vector<std::pair<absl::StatusCode, grpc::StatusCode>> codes = {
      {absl::StatusCode::kCancelled, grpc::StatusCode::CANCELLED},
      {absl::StatusCode::kUnknown, grpc::StatusCode::UNKNOWN},
      {absl::StatusCode::kInvalidArgument, grpc::StatusCode::INVALID_ARGUMENT},
      {absl::StatusCode::kDeadlineExceeded, grpc::StatusCode::DEADLINE_EXCEEDED},
      {absl::StatusCode::kNotFound, grpc::StatusCode::NOT_FOUND},
      {absl::StatusCode::kAlreadyExists, grpc::StatusCode::ALREADY_EXISTS},
      {absl::StatusCode::kPermissionDenied, grpc::StatusCode::PERMISSION_DENIED},
      {absl::StatusCode::kResourceExhausted, grpc::StatusCode::RESOURCE_EXHAUSTED},
      {absl::StatusCode::kFailedPrecondition, grpc::StatusCode::FAILED_PRECONDITION},
      {absl::StatusCode::kAborted, grpc::StatusCode::ABORTED},
      {absl::StatusCode::kOutOfRange, grpc::StatusCode::OUT_OF_RANGE},
      {absl::StatusCode::kUnimplemented, grpc::StatusCode::UNIMPLEMENTED},
      {absl::StatusCode::kInternal, grpc::StatusCode::INTERNAL},
      {absl::StatusCode::kUnavailable, grpc::StatusCode::UNAVAILABLE},
      {absl::StatusCode::kDataLoss, grpc::StatusCode::DATA_LOSS},
      {absl::StatusCode::kUnauthenticated, grpc::StatusCode::UNAUTHENTICATED},
  };
  ASSERT_EQ(codes.size(), 16u);  // every non-OK code
  for (const auto& [absl_code, grpc_code] : codes) {
    const std::string message = absl::StrCat("field.path: reason for ", absl::StatusCodeToString(absl_code));
    const grpc::Status mapped = ToGrpcStatus(absl::Status(absl_code, message));
    EXPECT_EQ(mapped.error_code(), grpc_code) << absl::StatusCodeToString(absl_code);
    EXPECT_EQ(mapped.error_message(), message);
    EXPECT_FALSE(mapped.ok());
  }
}

TEST(StatusMappingTest, OkMapsToOkAndMessagesSurviveVerbatim) {
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
  EXPECT_EQ(ToGrpcStatus(absl::OkStatus()).error_code(), grpc::StatusCode::OK);
  const std::string odd("a\0b \xc3\xa9 \n", 8);
  EXPECT_EQ(ToGrpcStatus(absl::InvalidArgumentError(odd)).error_message(), odd);
  EXPECT_EQ(ToGrpcStatus(absl::InternalError("")).error_message(), "");
}

TEST(ReportResultsTest, StorageOutcomesAndErrorsAreMappedForClients) {
  EXPECT_EQ(ToReportResult(storage::ApplyResult::kAccepted), v1::REPORT_RESULT_ACCEPTED);
  EXPECT_EQ(ToReportResult(storage::ApplyResult::kDuplicate), v1::REPORT_RESULT_DUPLICATE);
  // Storage details stay in the log; a full disk is RESOURCE_EXHAUSTED, anything else UNAVAILABLE.
  absl::Status full = ClientFacingStorageError(absl::ResourceExhaustedError("No space left on /var/lib/x"));
  EXPECT_EQ(full.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_FALSE(absl::StrContains(full.message(), "/var/lib/x"));
  for (const absl::Status& error : {absl::AbortedError("/var/lib/x: EIO"), absl::DataLossError("corrupt /var/lib/x"),
                                    absl::InternalError("boom")}) {
    absl::Status client = ClientFacingStorageError(error);
    EXPECT_EQ(client.code(), absl::StatusCode::kUnavailable) << error;
    EXPECT_FALSE(absl::StrContains(client.message(), "/var/lib/x")) << client;
  }
}

}  // namespace
}  // namespace pumptrack::service
