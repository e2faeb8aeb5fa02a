// How the CLI reaches the pumptrack service: one options struct, one channel factory, one per-call context factory.
//
// Adding authentication later (--token / PUMPTRACK_TOKEN): add `std::string token` here, then either compose
// grpc::AccessTokenCredentials into the TLS credentials in MakeChannelCredentials(), or (for --insecure development
// servers, where gRPC refuses to send call credentials) add an "authorization: Bearer ..." header in NewCallContext().
// No command needs to change: every RPC goes through NewCallContext().
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "grpcpp/security/credentials.h"

namespace pumptrack::cli {

inline constexpr absl::string_view kDefaultServer = "localhost:50051";
inline constexpr absl::Duration kDefaultTimeout = absl::Seconds(10);

struct ConnectionOptions {
  // host:port of the pumptrack service.
  std::string server{kDefaultServer};
  // Plaintext instead of TLS; for local development only.
  bool insecure = false;
  // PEM file of root certificates to verify the server with; empty means the system's roots. Ignored with `insecure`.
  std::string ca_file;
  // Deadline for each RPC (each page of a paged list is its own RPC).
  absl::Duration timeout = kDefaultTimeout;
};

// Plaintext credentials with `insecure`, else TLS (with the roots from `ca_file` when set).
// Fails with NOT_FOUND / PERMISSION_DENIED / ... (from errno) if `ca_file` cannot be read, INVALID_ARGUMENT if it is
// empty.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MakeChannelCredentials(const ConnectionOptions& options);

// A channel to `options.server`. Does not connect yet: connection failures surface as UNAVAILABLE from the first RPC.
absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeChannel(const ConnectionOptions& options);

// A context for one RPC, with its deadline set to now + `options.timeout`.
std::unique_ptr<grpc::ClientContext> NewCallContext(const ConnectionOptions& options);

}  // namespace pumptrack::cli
