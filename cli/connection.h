// How the CLI reaches the pumptrack service: one options struct, one channel factory, one per-call context factory.
//
// People authenticate with a bearer token (--token / PUMPTRACK_TOKEN). NewCallContext() adds it to every call as the
// "authorization: Bearer <token>" header, so it is sent the same way over TLS and over plaintext (--insecure), where
// gRPC would refuse to send call credentials. No command handles the token itself: every RPC goes through
// NewCallContext().
#pragma once

#include <memory>
#include <string>

#include "absl/status/status.h"
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
  // Bearer secret sent with every call; empty sends none. A secret: never print or log it.
  std::string token;
};

// Rejects a token that cannot travel in an HTTP/2 header: anything but printable ASCII without spaces. The message
// never quotes the token.
absl::Status ValidateToken(absl::string_view token);

// Whether `server` names this machine ("localhost:50051", "127.0.0.1:1", "[::1]:50051", "unix:..."), where a
// plaintext connection does not expose the token to the network.
bool IsLoopbackServer(absl::string_view server);

// Plaintext credentials with `insecure`, else TLS (with the roots from `ca_file` when set) that verifies the server's
// certificate and that it names the host in `server`. People present no client certificate.
// Fails with NOT_FOUND / PERMISSION_DENIED / ... (from errno) if `ca_file` cannot be read, INVALID_ARGUMENT if it is
// empty.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MakeChannelCredentials(const ConnectionOptions& options);

// A channel to `options.server`. Does not connect yet: connection failures surface as UNAVAILABLE from the first RPC.
absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeChannel(const ConnectionOptions& options);

// A context for one RPC, with its deadline set to now + `options.timeout` and, when `options.token` is set, the
// "authorization: Bearer <token>" header.
std::unique_ptr<grpc::ClientContext> NewCallContext(const ConnectionOptions& options);

}  // namespace pumptrack::cli
