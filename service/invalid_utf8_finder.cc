#include "service/invalid_utf8_finder.h"

#include <set>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.pb.h"
#include "service/validation.h"

namespace pumptrack::service {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::DescriptorProto;
using google::protobuf::FieldDescriptor;
using google::protobuf::FieldDescriptorProto;
using google::protobuf::FileDescriptor;
using google::protobuf::FileDescriptorProto;
using google::protobuf::Message;
using google::protobuf::Reflection;

// Strings become bytes; map entries become plain nested messages (map keys may not be bytes). Both keep the wire
// format.
void Loosen(DescriptorProto& message) {
  for (FieldDescriptorProto& field : *message.mutable_field()) {
    if (field.type() == FieldDescriptorProto::TYPE_STRING) field.set_type(FieldDescriptorProto::TYPE_BYTES);
  }
  for (DescriptorProto& nested : *message.mutable_nested_type()) {
    nested.mutable_options()->clear_map_entry();
    Loosen(nested);
  }
}

void AddLoosenedFile(const FileDescriptor* file, google::protobuf::DescriptorPool& pool, std::set<std::string>& added) {
  if (!added.insert(file->name()).second) return;
  for (int i = 0; i < file->dependency_count(); ++i) AddLoosenedFile(file->dependency(i), pool, added);
  FileDescriptorProto proto;
  file->CopyTo(&proto);
  for (DescriptorProto& message : *proto.mutable_message_type()) Loosen(message);
  proto.clear_service();  // only messages are needed
  pool.BuildFile(proto);
}

// Depth-first over `message` (a mirror) alongside `original`, its real descriptor.
std::optional<std::string> FindIn(const Message& message, const Descriptor* original, const std::string& path) {
  const Reflection* reflection = message.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  for (const FieldDescriptor* field : fields) {
    const FieldDescriptor* real = original->FindFieldByNumber(field->number());
    if (real == nullptr) continue;
    const std::string name = path.empty() ? real->name() : absl::StrCat(path, ".", real->name());
    const int count = field->is_repeated() ? reflection->FieldSize(message, field) : 1;
    for (int i = 0; i < count; ++i) {
      const std::string at = field->is_repeated() ? absl::StrCat(name, "[", i, "]") : name;
      if (real->type() == FieldDescriptor::TYPE_STRING) {
        std::string scratch;
        const std::string& text = field->is_repeated()
                                      ? reflection->GetRepeatedStringReference(message, field, i, &scratch)
                                      : reflection->GetStringReference(message, field, &scratch);
        if (!IsCleanText(text)) return at;
      } else if (real->type() == FieldDescriptor::TYPE_MESSAGE) {
        const Message& child = field->is_repeated() ? reflection->GetRepeatedMessage(message, field, i)
                                                    : reflection->GetMessage(message, field);
        if (std::optional<std::string> found = FindIn(child, real->message_type(), at)) return found;
      }
    }
  }
  return std::nullopt;
}

}  // namespace

InvalidUtf8Finder::InvalidUtf8Finder(const Descriptor* root) : root_(root) {
  std::set<std::string> added;
  AddLoosenedFile(root->file(), mirror_pool_, added);
  factory_ = std::make_unique<google::protobuf::DynamicMessageFactory>(&mirror_pool_);
  if (const Descriptor* mirror = mirror_pool_.FindMessageTypeByName(root->full_name())) {
    mirror_prototype_ = factory_->GetPrototype(mirror);
  }
}

std::optional<std::string> InvalidUtf8Finder::Find(absl::string_view bytes) const {
  if (mirror_prototype_ == nullptr) return std::nullopt;
  std::unique_ptr<Message> mirror(mirror_prototype_->New());
  if (!mirror->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return std::nullopt;
  return FindIn(*mirror, root_, "");
}

}  // namespace pumptrack::service
