#include "directory/role_map.h"

#include <fstream>
#include <iterator>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/ids.h"

namespace pumptrack::directory {

std::string NormalizeDn(absl::string_view dn) {
  std::string out;
  dn = absl::StripAsciiWhitespace(dn);
  for (std::size_t i = 0; i < dn.size(); ++i) {
    const char ch = dn[i];
    const bool separator = ch == ',' || ch == '=' || ch == '+';
    const bool escaped = !out.empty() && out.back() == '\\';
    if (separator && !escaped) {
      while (!out.empty() && out.back() == ' ') out.pop_back();
      out += ch;
      while (i + 1 < dn.size() && dn[i + 1] == ' ') ++i;
      continue;
    }
    out += absl::ascii_tolower(static_cast<unsigned char>(ch));
  }
  return out;
}

int RoleRank(v1::Role role) {
  switch (role) {
    case v1::ROLE_VIEWER:
      return 1;
    case v1::ROLE_TRANSPORT:
      return 2;
    case v1::ROLE_TECHNICIAN:
      return 3;
    case v1::ROLE_ASSET_MANAGER:
      return 4;
    case v1::ROLE_AUDITOR:
      return 5;
    case v1::ROLE_ADMIN:
      return 6;
    default:
      return 0;
  }
}

absl::StatusOr<RoleMap> RoleMap::Parse(absl::string_view text) {
  RoleMap map;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line.front() == '#') continue;
    const std::size_t space = line.find_first_of(" \t");
    if (space == absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat("ldap_group_map: line ", line_number, ": expected ROLE GROUP_DN"));
    }
    absl::StatusOr<v1::Role> role = ids::ParseRole(line.substr(0, space));
    if (!role.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("ldap_group_map: line ", line_number, ": ", role.status().message()));
    }
    const std::string dn = NormalizeDn(line.substr(space + 1));
    if (dn.empty() || dn.find('=') == std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat("ldap_group_map: line ", line_number, ": not a DN"));
    }
    for (const auto& [existing, unused] : map.groups_) {
      if (existing == dn) {
        return absl::InvalidArgumentError(absl::StrCat("ldap_group_map: line ", line_number, ": group mapped twice"));
      }
    }
    map.groups_.emplace_back(dn, *role);
  }
  return map;
}

absl::StatusOr<RoleMap> RoleMap::Load(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("ldap_group_map: cannot read ", path));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return Parse(text);
}

v1::Role RoleMap::RoleFor(const std::vector<std::string>& group_dns) const {
  v1::Role best = v1::ROLE_UNSPECIFIED;
  for (const std::string& group : group_dns) {
    const std::string dn = NormalizeDn(group);
    for (const auto& [mapped, role] : groups_) {
      if (mapped == dn && RoleRank(role) > RoleRank(best)) best = role;
    }
  }
  return best;
}

}  // namespace pumptrack::directory
