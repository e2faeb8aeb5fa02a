#ifndef PUMPTRACK_SERVICE_STATUS_MAPPING_H_
#define PUMPTRACK_SERVICE_STATUS_MAPPING_H_

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace pumptrack::service {

// The one place where an absl::Status becomes a grpc::Status. Codes map one to one; the message is kept.
grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace pumptrack::service

#endif  // PUMPTRACK_SERVICE_STATUS_MAPPING_H_
