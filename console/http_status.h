#ifndef PUMPTRACK_CONSOLE_HTTP_STATUS_H_
#define PUMPTRACK_CONSOLE_HTTP_STATUS_H_

#include <string>

#include "absl/strings/string_view.h"
#include "grpcpp/support/status.h"

namespace pumptrack::console {

// The one table from gRPC status codes to HTTP statuses: INVALID_ARGUMENT and OUT_OF_RANGE 400, UNAUTHENTICATED 401,
// PERMISSION_DENIED 403, NOT_FOUND 404, ALREADY_EXISTS and ABORTED 409, FAILED_PRECONDITION 412,
// RESOURCE_EXHAUSTED 429, UNIMPLEMENTED 501, UNAVAILABLE 503, DEADLINE_EXCEEDED 504, CANCELLED 499 is not HTTP so 500,
// OK 200, everything else 500.
int HttpStatusFor(grpc::StatusCode code);

// "INVALID_ARGUMENT" for grpc::StatusCode::INVALID_ARGUMENT, and so on.
absl::string_view StatusCodeName(grpc::StatusCode code);

// The field an INVALID_ARGUMENT message names: pumptrack's validation writes "<field path>: <reason>"
// (service/validation.cc), so the field is the text before the first ": " when it is a field path
// (letters, digits, '_', '.', '[', ']'). Empty when the message names none.
std::string FieldOf(absl::string_view message);

// The error body of every failed API call:
// {"code": <grpc code>, "status": "<NAME>", "message": "...", "field": "<path>"} ("field" only when one is named).
std::string ErrorJson(grpc::StatusCode code, absl::string_view message, absl::string_view field);

}  // namespace pumptrack::console

#endif  // PUMPTRACK_CONSOLE_HTTP_STATUS_H_
