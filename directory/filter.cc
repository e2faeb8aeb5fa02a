#include "directory/filter.h"

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_replace.h"

namespace pumptrack::directory {

std::string EscapeFilterValue(absl::string_view value) {
  std::string escaped;
  escaped.reserve(value.size());
  for (char ch : value) {
    switch (ch) {
      case '*':
        escaped += "\\2a";
        break;
      case '(':
        escaped += "\\28";
        break;
      case ')':
        escaped += "\\29";
        break;
      case '\\':
        escaped += "\\5c";
        break;
      case '\0':
        escaped += "\\00";
        break;
      default:
        escaped += ch;
    }
  }
  return escaped;
}

absl::StatusOr<std::string> UserFilter(absl::string_view filter_template, absl::string_view user) {
  if (!absl::StrContains(filter_template, "{user}")) {
    return absl::InvalidArgumentError("ldap_user_filter: must contain {user}, e.g. (uid={user})");
  }
  if (!absl::StartsWith(filter_template, "(") || !absl::EndsWith(filter_template, ")")) {
    return absl::InvalidArgumentError("ldap_user_filter: must be a parenthesised LDAP filter, e.g. (uid={user})");
  }
  return absl::StrReplaceAll(filter_template, {{"{user}", EscapeFilterValue(user)}});
}

}  // namespace pumptrack::directory
