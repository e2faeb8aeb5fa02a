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

TEST(FromRpcStatusTest, UnauthenticatedSaysHowToAuthenticate) {
  const grpc::Status refused(grpc::StatusCode::UNAUTHENTICATED, "missing, unknown, expired or revoked token");
  const absl::Status status = FromRpcStatus(refused, "token list", Connection());
  EXPECT_EQ(status.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(ErrorLine(status), "pumptrack: not authenticated: pass --token or set PUMPTRACK_TOKEN (UNAUTHENTICATED)");

  ConnectionOptions with_token = Connection();
  with_token.token = "ptk_secret";
  EXPECT_EQ(FromRpcStatus(refused, "token list", with_token).message(),
            "not authenticated: the server refused the token (unknown, expired or revoked); pass a valid --token or "
            "set PUMPTRACK_TOKEN");
}

TEST(FromRpcStatusTest, PermissionDeniedNamesTheSubject) {
  const absl::Status status =
      FromRpcStatus(grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "the caller may not use this method"),
                    "agent list", Connection());
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(ErrorLine(status),
            "pumptrack: permission denied: agent list: the caller may not use this method (PERMISSION_DENIED)");
}

TEST(ErrorLineTest, EscapesControlCharacters) {
  EXPECT_EQ(ErrorLine(absl::InternalError("bad\x1b[31m red\ttab")), "pumptrack: bad\\x1b[31m red\\ttab (INTERNAL)");
}

TEST(RedactSecretsTest, HidesTheGivenSecretsAndAnythingLikeATokenSecret) {
  EXPECT_EQ(RedactSecrets("token hunter2 refused", {"hunter2"}), "token <redacted> refused");
  EXPECT_EQ(RedactSecrets("got ptk_AbC-12_x, and ptk_Z.", {}), "got <redacted>, and <redacted>.");
  EXPECT_EQ(RedactSecrets("nothing secret; tok_1234 is an id", {"", "hunter2"}), "nothing secret; tok_1234 is an id");
  EXPECT_EQ(RedactSecrets("ptk_", {}), "<redacted>");
}

}  // namespace
}  // namespace pumptrack::cli
