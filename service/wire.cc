#include "service/wire.h"

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/const_init.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/impl/codegen/proto_utils.h"
#include "grpcpp/support/proto_buffer_reader.h"
#include "grpcpp/support/proto_buffer_writer.h"
#include "service/invalid_utf8_finder.h"

namespace pumptrack::service {
namespace {

// One finder per message type, built on first use and kept for the process.
const InvalidUtf8Finder& FinderFor(const google::protobuf::Descriptor* type) {
  static absl::Mutex mu(absl::kConstInit);
  static auto* finders = new std::map<const google::protobuf::Descriptor*, std::unique_ptr<InvalidUtf8Finder>>();
  absl::MutexLock lock(&mu);
  std::unique_ptr<InvalidUtf8Finder>& finder = (*finders)[type];
  if (!finder) finder = std::make_unique<InvalidUtf8Finder>(type);
  return *finder;
}

std::string Flatten(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string bytes;
  if (!buffer.Dump(&slices).ok()) return bytes;
  for (const grpc::Slice& slice : slices) bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  return bytes;
}

}  // namespace

absl::Status ParseMessage(const grpc::ByteBuffer& buffer, google::protobuf::Message& message) {
  grpc::ByteBuffer view(buffer);  // shares the slices
  grpc::ProtoBufferReader reader(&view);
  if (message.ParseFromZeroCopyStream(&reader)) return absl::OkStatus();
  message.Clear();
  if (std::optional<std::string> field = FinderFor(message.GetDescriptor()).Find(Flatten(buffer))) {
    return absl::InvalidArgumentError(absl::StrCat(*field, ": must be valid UTF-8 without control characters"));
  }
  return absl::InvalidArgumentError(
      absl::StrCat("request: is not a valid ", message.GetDescriptor()->full_name(), " message"));
}

absl::StatusOr<grpc::ByteBuffer> SerializeMessage(const google::protobuf::Message& message) {
  grpc::ByteBuffer buffer;
  bool own_buffer = false;
  const grpc::Status serialized =
      grpc::GenericSerialize<grpc::ProtoBufferWriter, google::protobuf::Message>(message, &buffer, &own_buffer);
  if (!serialized.ok()) {
    return absl::InternalError(
        absl::StrCat("cannot serialise ", message.GetDescriptor()->full_name(), ": ", serialized.error_message()));
  }
  return buffer;
}

}  // namespace pumptrack::service
