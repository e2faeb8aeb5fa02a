#include "cli/json.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"
#include "google/protobuf/util/json_util.h"

namespace pumptrack::cli {

namespace {

google::protobuf::util::JsonPrintOptions PrintOptions(bool indented) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = indented;
  options.always_print_primitive_fields = true;
  return options;
}

absl::StatusOr<std::string> Convert(const google::protobuf::Message& message, bool indented) {
  std::string json;
  const auto status = google::protobuf::util::MessageToJsonString(message, &json, PrintOptions(indented));
  if (!status.ok()) {
    return absl::InternalError(absl::StrCat("cannot convert ", message.GetTypeName(), " to JSON: ", status.ToString()));
  }
  // The printer may end its output with a newline; callers decide where lines end.
  return std::string(absl::StripSuffix(json, "\n"));
}

// Indents every line of a JSON value by one level (protobuf's printer indents by one space) to nest it in an array.
std::string Indent(absl::string_view json) { return absl::StrCat(" ", absl::StrReplaceAll(json, {{"\n", "\n "}})); }

}  // namespace

absl::StatusOr<std::string> ToJson(const google::protobuf::Message& message) { return Convert(message, true); }

absl::StatusOr<std::string> ToJsonLine(const google::protobuf::Message& message) { return Convert(message, false); }

absl::Status PrintJson(const google::protobuf::Message& message, std::ostream& out) {
  ASSIGN_OR_RETURN(std::string json, ToJson(message));
  out << json << '\n';
  return absl::OkStatus();
}

absl::Status PrintJsonArray(std::span<const google::protobuf::Message* const> messages, std::ostream& out) {
  if (messages.empty()) {
    out << "[]\n";
    return absl::OkStatus();
  }
  std::string array = "[\n";
  for (std::size_t i = 0; i < messages.size(); ++i) {
    ASSIGN_OR_RETURN(std::string json, ToJson(*messages[i]));
    absl::StrAppend(&array, Indent(json), i + 1 < messages.size() ? ",\n" : "\n");
  }
  out << array << "]\n";
  return absl::OkStatus();
}

}  // namespace pumptrack::cli
