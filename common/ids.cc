#include "common/ids.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace pumptrack::ids {
namespace {

bool IsIdChar(char c, bool colon) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-' || (colon && c == ':');
}

bool Matches(absl::string_view id, std::size_t max_length, bool colon) {
  if (id.empty() || id.size() > max_length) return false;
  for (char c : id) {
    if (!IsIdChar(c, colon)) return false;
  }
  return true;
}

}  // namespace

bool IsValidAgentId(absl::string_view agent_id) { return Matches(agent_id, kMaxAgentIdLength, /*colon=*/true); }

absl::Status CheckAgentId(absl::string_view field, absl::string_view agent_id) {
  if (IsValidAgentId(agent_id)) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", kAgentIdRule));
}

bool IsValidAssetTag(absl::string_view asset_tag) { return Matches(asset_tag, kMaxAssetTagLength, /*colon=*/false); }

std::string RoleName(v1::Role role) {
  std::string name = v1::Role_Name(role);
  if (absl::StartsWith(name, "ROLE_")) name = name.substr(5);
  return absl::AsciiStrToLower(name);
}

absl::StatusOr<v1::Role> ParseRole(absl::string_view text) {
  const std::string name = absl::StrReplaceAll(absl::AsciiStrToLower(text), {{"-", "_"}});
  v1::Role role = v1::ROLE_UNSPECIFIED;
  if (name != "unspecified" && v1::Role_Parse(absl::StrCat("ROLE_", absl::AsciiStrToUpper(name)), &role) &&
      role != v1::ROLE_UNSPECIFIED) {
    return role;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "'", text, "' is not a role; expected viewer, transport, asset_manager, auditor, admin or technician"));
}

}  // namespace pumptrack::ids
