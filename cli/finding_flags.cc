#include "cli/finding_flags.h"

#include <cerrno>
#include <fstream>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "common/status_macros.h"
#include "google/protobuf/descriptor.h"

namespace pumptrack::cli {

namespace {

// The value of `descriptor` named `prefix` + `text` (upper-cased, '-' and ' ' read as '_'), except the zero
// (UNSPECIFIED) value. `what` names the enum in the error, e.g. "finding kind".
absl::StatusOr<int> ParseShortEnumName(const google::protobuf::EnumDescriptor& descriptor, absl::string_view prefix,
                                       absl::string_view what, absl::string_view text) {
  const std::string name =
      absl::StrCat(prefix, absl::StrReplaceAll(absl::AsciiStrToUpper(text), {{"-", "_"}, {" ", "_"}}));
  const google::protobuf::EnumValueDescriptor* value = descriptor.FindValueByName(name);
  if (value != nullptr && value->number() != 0 && !text.empty()) return value->number();
  std::vector<std::string> accepted;
  for (int i = 0; i < descriptor.value_count(); ++i) {
    const google::protobuf::EnumValueDescriptor& candidate = *descriptor.value(i);
    if (candidate.number() == 0) continue;
    accepted.push_back(absl::AsciiStrToLower(absl::string_view(candidate.name()).substr(prefix.size())));
  }
  const std::string last = accepted.back();
  accepted.pop_back();
  return absl::InvalidArgumentError(
      absl::StrCat("'", text, "' is not a ", what, "; expected ", absl::StrJoin(accepted, ", "), " or ", last));
}

}  // namespace

absl::StatusOr<v1::FindingKind> ParseFindingKind(absl::string_view text) {
  ASSIGN_OR_RETURN(int value, ParseShortEnumName(*v1::FindingKind_descriptor(), "FINDING_KIND_", "finding kind", text));
  return static_cast<v1::FindingKind>(value);
}

absl::StatusOr<v1::Severity> ParseSeverity(absl::string_view text) {
  ASSIGN_OR_RETURN(int value, ParseShortEnumName(*v1::Severity_descriptor(), "SEVERITY_", "severity", text));
  return static_cast<v1::Severity>(value);
}

absl::StatusOr<v1::FindingState> ParseFindingState(absl::string_view text) {
  ASSIGN_OR_RETURN(int value,
                   ParseShortEnumName(*v1::FindingState_descriptor(), "FINDING_STATE_", "finding state", text));
  return static_cast<v1::FindingState>(value);
}

absl::StatusOr<v1::GetRiskRequest::GroupBy> ParseRiskGroupBy(absl::string_view text) {
  ASSIGN_OR_RETURN(int value,
                   ParseShortEnumName(*v1::GetRiskRequest::GroupBy_descriptor(), "GROUP_BY_", "risk grouping", text));
  return static_cast<v1::GetRiskRequest::GroupBy>(value);
}

absl::StatusOr<std::string> ReadPolicyFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return absl::ErrnoToStatus(errno, absl::StrCat("cannot read policy file ", path));
  std::string text;
  char buffer[64 * 1024];
  while (file.read(buffer, sizeof(buffer)) || file.gcount() > 0) {
    text.append(buffer, static_cast<std::size_t>(file.gcount()));
    if (text.size() > kMaxPolicyBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("policy file ", path, " is larger than ", kMaxPolicyBytes, " bytes"));
    }
  }
  if (file.bad()) return absl::ErrnoToStatus(errno, absl::StrCat("cannot read policy file ", path));
  if (text.empty()) return absl::InvalidArgumentError(absl::StrCat("policy file ", path, " is empty"));
  return text;
}

}  // namespace pumptrack::cli
