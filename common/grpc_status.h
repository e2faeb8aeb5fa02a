#ifndef PUMPTRACK_COMMON_GRPC_STATUS_H_
#define PUMPTRACK_COMMON_GRPC_STATUS_H_

// The one place where a grpc::Status a client received becomes an absl::Status (the agent's uplink, the CLI). The
// service's opposite direction, absl::Status -> grpc::Status, is service/status_mapping.h. Its own library,
// pumptrack::grpc_status, so pumptrack::common stays free of gRPC.

#include <string>

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace pumptrack {

// Same code (grpc::StatusCode and absl::StatusCode share their numbering) and message.
absl::Status FromGrpcStatus(const grpc::Status& status);
// Same code, with `message` instead of the server's.
absl::Status FromGrpcStatus(const grpc::Status& status, std::string message);

}  // namespace pumptrack

#endif  // PUMPTRACK_COMMON_GRPC_STATUS_H_
