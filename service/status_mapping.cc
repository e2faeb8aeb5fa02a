#include "service/status_mapping.h"

#include <string>

namespace pumptrack::service {
namespace {

#define PUMPTRACK_SAME_CODE(absl_code, grpc_code)                                                               \
  static_assert(static_cast<int>(absl::StatusCode::absl_code) == static_cast<int>(grpc::StatusCode::grpc_code), \
                "absl::StatusCode::" #absl_code " differs from grpc::StatusCode::" #grpc_code)

PUMPTRACK_SAME_CODE(kOk, OK);
PUMPTRACK_SAME_CODE(kCancelled, CANCELLED);
PUMPTRACK_SAME_CODE(kUnknown, UNKNOWN);
PUMPTRACK_SAME_CODE(kInvalidArgument, INVALID_ARGUMENT);
PUMPTRACK_SAME_CODE(kDeadlineExceeded, DEADLINE_EXCEEDED);
PUMPTRACK_SAME_CODE(kNotFound, NOT_FOUND);
PUMPTRACK_SAME_CODE(kAlreadyExists, ALREADY_EXISTS);
PUMPTRACK_SAME_CODE(kPermissionDenied, PERMISSION_DENIED);
PUMPTRACK_SAME_CODE(kResourceExhausted, RESOURCE_EXHAUSTED);
PUMPTRACK_SAME_CODE(kFailedPrecondition, FAILED_PRECONDITION);
PUMPTRACK_SAME_CODE(kAborted, ABORTED);
PUMPTRACK_SAME_CODE(kOutOfRange, OUT_OF_RANGE);
PUMPTRACK_SAME_CODE(kUnimplemented, UNIMPLEMENTED);
PUMPTRACK_SAME_CODE(kInternal, INTERNAL);
PUMPTRACK_SAME_CODE(kUnavailable, UNAVAILABLE);
PUMPTRACK_SAME_CODE(kDataLoss, DATA_LOSS);
PUMPTRACK_SAME_CODE(kUnauthenticated, UNAUTHENTICATED);

#undef PUMPTRACK_SAME_CODE

}  // namespace

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

}  // namespace pumptrack::service
