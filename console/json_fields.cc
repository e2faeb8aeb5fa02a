#include "console/json_fields.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "nlohmann/json.hpp"

namespace pumptrack::console {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;

const FieldDescriptor* FieldNamed(const Descriptor& descriptor, const std::string& name) {
  if (const FieldDescriptor* field = descriptor.FindFieldByName(name)) return field;
  for (int i = 0; i < descriptor.field_count(); ++i) {
    if (descriptor.field(i)->json_name() == name) return descriptor.field(i);
  }
  return nullptr;
}

// Well-known types have their own JSON forms (Timestamp as a string, Struct as any object): not walked.
bool Walked(const FieldDescriptor& field) {
  return field.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE &&
         !absl::StartsWith(field.message_type()->full_name(), "google.protobuf.");
}

// The first member of `json` (an object for `descriptor`) that names no field, as a path; empty when there is none.
std::string FirstUnknown(const nlohmann::json& json, const Descriptor& descriptor, const std::string& path) {
  if (!json.is_object()) return "";
  for (const auto& [key, value] : json.items()) {
    const std::string here = path.empty() ? key : absl::StrCat(path, ".", key);
    const FieldDescriptor* field = FieldNamed(descriptor, key);
    if (field == nullptr) return absl::StrCat(here, ": no such field in ", descriptor.full_name());
    if (field->is_map()) {
      const FieldDescriptor* map_value = field->message_type()->map_value();
      if (!Walked(*map_value) || !value.is_object()) continue;
      for (const auto& [map_key, element] : value.items()) {
        std::string found = FirstUnknown(element, *map_value->message_type(), absl::StrCat(here, "[", map_key, "]"));
        if (!found.empty()) return found;
      }
    } else if (Walked(*field)) {
      if (field->is_repeated() && value.is_array()) {
        for (std::size_t i = 0; i < value.size(); ++i) {
          std::string found = FirstUnknown(value[i], *field->message_type(), absl::StrCat(here, "[", i, "]"));
          if (!found.empty()) return found;
        }
      } else {
        std::string found = FirstUnknown(value, *field->message_type(), here);
        if (!found.empty()) return found;
      }
    }
  }
  return "";
}

}  // namespace

absl::Status ParseJsonRequest(absl::string_view json, google::protobuf::Message& message) {
  if (json.find_first_not_of(" \t\r\n") == absl::string_view::npos) {
    message.Clear();
    return absl::OkStatus();
  }
  nlohmann::json parsed;
  try {
    parsed = nlohmann::json::parse(std::string_view(json.data(), json.size()));
  } catch (const nlohmann::json::parse_error& e) {
    return absl::InvalidArgumentError(absl::StrCat("body: malformed JSON at byte ", e.byte));
  }
  if (!parsed.is_object()) return absl::InvalidArgumentError("body: must be a JSON object");
  if (std::string unknown = FirstUnknown(parsed, *message.GetDescriptor(), ""); !unknown.empty()) {
    return absl::InvalidArgumentError(unknown);
  }
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  const auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()), &message, options);
  if (!status.ok()) {
    // protobuf 3.21 words a bad value "(<field path>): invalid value ..."; make it "<field path>: invalid value ...".
    std::string text(status.message());
    if (!text.empty() && text[0] == '(') {
      const std::size_t close = text.find("): ");
      if (close != std::string::npos)
        return absl::InvalidArgumentError(text.substr(1, close - 1) + text.substr(close + 1));
    }
    return absl::InvalidArgumentError(absl::StrCat("body: ", text));
  }
  return absl::OkStatus();
}

std::string ToJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  options.always_print_enums_as_ints = false;
  options.preserve_proto_field_names = false;
  std::string out;
  // Printing a well-formed message cannot fail; an empty object is the safe fallback if it ever does.
  if (!google::protobuf::util::MessageToJsonString(message, &out, options).ok()) out = "{}";
  return out;
}

}  // namespace pumptrack::console
