#include "cli/errors.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "cli/table.h"
#include "common/grpc_status.h"

namespace pumptrack::cli {

namespace {

constexpr absl::string_view kRedacted = "<redacted>";
// What the service's token secrets start with; the rest is web-safe base64.
constexpr absl::string_view kSecretPrefix = "ptk_";

std::string OneLine(absl::string_view text) {
  return Printable(absl::StrReplaceAll(absl::StripAsciiWhitespace(text), {{"\r\n", " "}, {"\n", " "}, {"\r", " "}}));
}

// ": <detail>" or nothing when the detail is empty.
std::string Detail(const grpc::Status& status) {
  return status.error_message().empty() ? "" : absl::StrCat(": ", status.error_message());
}

std::string NotAuthenticated(const ConnectionOptions& connection) {
  if (connection.token.empty()) return "not authenticated: pass --token or set PUMPTRACK_TOKEN";
  return "not authenticated: the server refused the token (unknown, expired or revoked); pass a valid --token or set "
         "PUMPTRACK_TOKEN";
}

std::string DescribeRpcFailure(const grpc::Status& status, absl::string_view subject,
                               const ConnectionOptions& connection) {
  switch (status.error_code()) {
    case grpc::StatusCode::NOT_FOUND:
      return absl::StrCat(subject, " not found");
    case grpc::StatusCode::UNAVAILABLE:
      return absl::StrCat("cannot reach ", connection.server, Detail(status));
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return absl::StrCat("no answer from ", connection.server, " within ", absl::FormatDuration(connection.timeout));
    case grpc::StatusCode::UNAUTHENTICATED:
      return NotAuthenticated(connection);
    case grpc::StatusCode::PERMISSION_DENIED:
      return absl::StrCat("permission denied: ", subject, Detail(status));
    default:
      return absl::StrCat(subject, Detail(status));
  }
}

bool IsSecretChar(char c) { return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_'; }

// Replaces every "ptk_<secret characters>" with kRedacted.
std::string RedactSecretLikeWords(absl::string_view text) {
  std::string result;
  std::size_t from = 0;
  for (std::size_t at = text.find(kSecretPrefix); at != absl::string_view::npos; at = text.find(kSecretPrefix, from)) {
    std::size_t end = at + kSecretPrefix.size();
    while (end < text.size() && IsSecretChar(text[end])) ++end;
    absl::StrAppend(&result, text.substr(from, at - from), kRedacted);
    from = end;
  }
  absl::StrAppend(&result, text.substr(from));
  return result;
}

}  // namespace

absl::Status FromRpcStatus(const grpc::Status& status, absl::string_view subject, const ConnectionOptions& connection) {
  if (status.ok()) return absl::OkStatus();
  return FromGrpcStatus(status, DescribeRpcFailure(status, subject, connection));
}

std::string ErrorLine(const absl::Status& status) {
  return absl::StrCat("pumptrack: ", OneLine(status.message()), " (", absl::StatusCodeToString(status.code()), ")");
}

std::string UsageErrorLine(absl::string_view message) {
  return absl::StrCat("pumptrack: ", OneLine(message), " (see pumptrack --help)");
}

std::string RedactSecrets(absl::string_view text, const std::vector<std::string>& secrets) {
  std::string redacted(text);
  for (const std::string& secret : secrets) {
    if (!secret.empty()) absl::StrReplaceAll({{secret, kRedacted}}, &redacted);
  }
  return RedactSecretLikeWords(redacted);
}

}  // namespace pumptrack::cli
