#include "cli/connection.h"

#include <cerrno>
#include <chrono>
#include <fstream>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

namespace pumptrack::cli {

namespace {

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
    absl::StatusOr<std::string> roots = ReadFile(options.ca_file);
    if (!roots.ok()) return roots.status();
    if (roots->empty()) return absl::InvalidArgumentError(absl::StrCat("CA file ", options.ca_file, " is empty"));
    tls.pem_root_certs = *std::move(roots);
  }
  return grpc::SslCredentials(tls);
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeChannel(const ConnectionOptions& options) {
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials = MakeChannelCredentials(options);
  if (!credentials.ok()) return credentials.status();
  return grpc::CreateChannel(options.server, *credentials);
}

std::unique_ptr<grpc::ClientContext> NewCallContext(const ConnectionOptions& options) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + absl::ToChronoNanoseconds(options.timeout));
  return context;
}

}  // namespace pumptrack::cli
