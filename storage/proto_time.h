#ifndef PUMPTRACK_STORAGE_PROTO_TIME_H_
#define PUMPTRACK_STORAGE_PROTO_TIME_H_

// Conversions between google.protobuf.Timestamp and absl::Time, shared by storage and the service.

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"

namespace pumptrack::storage {

// Microsecond precision, like everything pumptrack stores. `ts` must be well-formed (see ParseTimestamp).
absl::Time ToAbslTime(const google::protobuf::Timestamp& ts);
google::protobuf::Timestamp ToProtoTimestamp(absl::Time t);

// `ts` as an absl::Time with full precision. INVALID_ARGUMENT ("<field>: is not a valid timestamp") when its seconds
// or nanos are outside the ranges google.protobuf.Timestamp allows.
absl::StatusOr<absl::Time> ParseTimestamp(const google::protobuf::Timestamp& ts, absl::string_view field);

}  // namespace pumptrack::storage

#endif  // PUMPTRACK_STORAGE_PROTO_TIME_H_
