#include "cli/connection.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <fstream>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

namespace pumptrack::cli {

namespace {

// gRPC metadata keys are lower case.
constexpr absl::string_view kAuthorizationHeader = "authorization";

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return absl::ErrnoToStatus(errno, absl::StrCat("cannot read CA file ", path));
  std::ostringstream contents;
  contents << file.rdbuf();
  if (file.bad()) return absl::ErrnoToStatus(errno, absl::StrCat("cannot read CA file ", path));
  return contents.str();
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MakeChannelCredentials(const ConnectionOptions& options) {
  if (options.insecure) return grpc::InsecureChannelCredentials();

  grpc::SslCredentialsOptions tls;
  if (!options.ca_file.empty()) {
    ASSIGN_OR_RETURN(std::string roots, ReadFile(options.ca_file));
    if (roots.empty()) return absl::InvalidArgumentError(absl::StrCat("CA file ", options.ca_file, " is empty"));
    tls.pem_root_certs = std::move(roots);
  }
  return grpc::SslCredentials(tls);
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeChannel(const ConnectionOptions& options) {
  ASSIGN_OR_RETURN(std::shared_ptr<grpc::ChannelCredentials> credentials, MakeChannelCredentials(options));
  return grpc::CreateChannel(options.server, credentials);
}

absl::Status ValidateToken(absl::string_view token) {
  const bool printable = std::all_of(token.begin(), token.end(), [](char c) { return c > ' ' && c < '\x7f'; });
  if (!printable) return absl::InvalidArgumentError("the token must be printable ASCII without spaces");
  return absl::OkStatus();
}

bool IsLoopbackServer(absl::string_view server) {
  if (absl::StartsWith(server, "unix:") || absl::StartsWith(server, "unix-abstract:")) return true;
  // "dns:///host:port" and "ipv4:host:port" name the same hosts as "host:port".
  absl::ConsumePrefix(&server, "dns:///");
  if (!absl::ConsumePrefix(&server, "ipv4:")) absl::ConsumePrefix(&server, "ipv6:");
  absl::string_view host = server;
  if (absl::ConsumePrefix(&host, "[")) {
    host = host.substr(0, host.find(']'));
  } else if (const std::size_t colon = host.rfind(':'); colon != absl::string_view::npos) {
    host = host.substr(0, colon);
  }
  return absl::EqualsIgnoreCase(host, "localhost") || absl::StartsWith(host, "127.") || host == "::1";
}

std::unique_ptr<grpc::ClientContext> NewCallContext(const ConnectionOptions& options) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + absl::ToChronoNanoseconds(options.timeout));
  if (!options.token.empty()) {
    context->AddMetadata(std::string(kAuthorizationHeader), absl::StrCat("Bearer ", options.token));
  }
  return context;
}

}  // namespace pumptrack::cli
