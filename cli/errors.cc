#include "cli/errors.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"

namespace pumptrack::cli {

namespace {

std::string OneLine(absl::string_view text) {
  return absl::StrReplaceAll(absl::StripAsciiWhitespace(text), {{"\r\n", " "}, {"\n", " "}, {"\r", " "}});
}

// ": <detail>" or nothing when the detail is empty.
std::string Detail(const grpc::Status& status) {
  return status.error_message().empty() ? "" : absl::StrCat(": ", status.error_message());
}

std::string DescribeRpcFailure(const grpc::Status& status, absl::string_view subject,
                               const ConnectionOptions& connection) {
  switch (status.error_code()) {
    case grpc::StatusCode::NOT_FOUND: return absl::StrCat(subject, " not found");
    case grpc::StatusCode::UNAVAILABLE: return absl::StrCat("cannot reach ", connection.server, Detail(status));
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return absl::StrCat("no answer from ", connection.server, " within ", absl::FormatDuration(connection.timeout));
    default: return absl::StrCat(subject, Detail(status));
  }
}

}  // namespace

absl::Status FromRpcStatus(const grpc::Status& status, absl::string_view subject, const ConnectionOptions& connection) {
  if (status.ok()) return absl::OkStatus();
  // gRPC and Abseil share the same numeric codes.
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      DescribeRpcFailure(status, subject, connection));
}

std::string ErrorLine(const absl::Status& status) {
  return absl::StrCat("pumptrack: ", OneLine(status.message()), " (", absl::StatusCodeToString(status.code()), ")");
}

std::string UsageErrorLine(absl::string_view message) {
  return absl::StrCat("pumptrack: ", OneLine(message), " (see pumptrack --help)");
}

}  // namespace pumptrack::cli
