#ifndef PUMPTRACK_SERVICE_WIRE_H_
#define PUMPTRACK_SERVICE_WIRE_H_

// Parsing and serialising the agent RPCs' messages by hand. AgentService is registered with raw (ByteBuffer)
// methods so that a report protobuf itself refuses — invalid UTF-8 in a string field — is answered with
// INVALID_ARGUMENT naming the field instead of gRPC's generic failure.

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "grpcpp/support/byte_buffer.h"

namespace pumptrack::service {

// Parses `buffer` into `message`. INVALID_ARGUMENT naming the first string field that is not valid UTF-8
// ("observation.identity.asset_tag: must be valid UTF-8 without control characters"), or saying that the message
// is not valid protobuf.
absl::Status ParseMessage(const grpc::ByteBuffer& buffer, google::protobuf::Message& message);

// `message` serialised into a ByteBuffer; INTERNAL if protobuf cannot serialise it (a message over 2 GiB).
absl::StatusOr<grpc::ByteBuffer> SerializeMessage(const google::protobuf::Message& message);

}  // namespace pumptrack::service

#endif  // PUMPTRACK_SERVICE_WIRE_H_
