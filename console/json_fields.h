#ifndef PUMPTRACK_CONSOLE_JSON_FIELDS_H_
#define PUMPTRACK_CONSOLE_JSON_FIELDS_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace pumptrack::console {

// Parses a protobuf JSON request body into `message` (proto field names or their lowerCamelCase JSON names).
// INVALID_ARGUMENT, with the message starting "<field path>: " so the error body names the field, for:
// malformed JSON ("body: malformed JSON at byte N"), a member that names no field ("filter.colour: no such field in
// pumptrack.v1.Filter"), and a value of the wrong type (protobuf's JSON parser's message, under "body" when it
// names no field). An empty body is the empty message.
absl::Status ParseJsonRequest(absl::string_view json, google::protobuf::Message& message);

// The protobuf JSON of a response: lowerCamelCase names, enums as names, int64 as strings, default values included.
std::string ToJson(const google::protobuf::Message& message);

}  // namespace pumptrack::console

#endif  // PUMPTRACK_CONSOLE_JSON_FIELDS_H_
