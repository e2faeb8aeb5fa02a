// JSON output: the protobuf JSON mapping (camelCase field names, enum value names, RFC 3339 times), with fields at
// their default value printed too so that scripts see a stable shape.
#pragma once

#include <ostream>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "google/protobuf/message.h"

namespace pumptrack::cli {

// One message as indented JSON. Fails with INTERNAL if protobuf cannot convert it.
absl::StatusOr<std::string> ToJson(const google::protobuf::Message& message);

// One message as compact JSON on one line (no newline), for JSON Lines output. Fails like ToJson.
absl::StatusOr<std::string> ToJsonLine(const google::protobuf::Message& message);

// Prints one message as JSON followed by a newline. Prints nothing on failure.
absl::Status PrintJson(const google::protobuf::Message& message, std::ostream& out);

// Prints the messages as one JSON array ("[]" when empty) followed by a newline. Prints nothing on failure.
absl::Status PrintJsonArray(std::span<const google::protobuf::Message* const> messages, std::ostream& out);

// The same for a vector of one message type, e.g. std::vector<v1::Device>.
template <typename Message>
absl::Status PrintJsonArrayOf(const std::vector<Message>& messages, std::ostream& out) {
  std::vector<const google::protobuf::Message*> pointers;
  pointers.reserve(messages.size());
  for (const Message& message : messages) pointers.push_back(&message);
  return PrintJsonArray(pointers, out);
}

}  // namespace pumptrack::cli
