#include "common/grpc_status.h"

#include <utility>

namespace pumptrack {

absl::Status FromGrpcStatus(const grpc::Status& status) { return FromGrpcStatus(status, status.error_message()); }

absl::Status FromGrpcStatus(const grpc::Status& status, std::string message) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), std::move(message));
}

}  // namespace pumptrack
