#ifndef PUMPTRACK_SERVICE_INVALID_UTF8_FINDER_H_
#define PUMPTRACK_SERVICE_INVALID_UTF8_FINDER_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/dynamic_message.h"

namespace pumptrack::service {

// Protobuf refuses to parse a proto3 message whose string fields hold invalid UTF-8, without saying which field.
// This finds it, so the caller can answer INVALID_ARGUMENT naming the field: it parses the same bytes as a mirror of
// the message in which every string field is `bytes` (same field numbers, so the same wire format) and walks the
// result for text that is not clean UTF-8. Thread-safe after construction.
class InvalidUtf8Finder {
 public:
  // Mirrors `root`'s file and everything it imports.
  explicit InvalidUtf8Finder(const google::protobuf::Descriptor* root);

  // For `bytes` that failed to parse as the root message: the path of the first string field that is not valid
  // UTF-8 without control characters (e.g. "observation.identity.asset_tag"), or nullopt when the bytes are
  // malformed in some other way.
  std::optional<std::string> Find(absl::string_view bytes) const;

 private:
  const google::protobuf::Descriptor* const root_;
  google::protobuf::DescriptorPool mirror_pool_;
  std::unique_ptr<google::protobuf::DynamicMessageFactory> factory_;
  const google::protobuf::Message* mirror_prototype_ = nullptr;
};

}  // namespace pumptrack::service

#endif  // PUMPTRACK_SERVICE_INVALID_UTF8_FINDER_H_
