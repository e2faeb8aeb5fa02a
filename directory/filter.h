#ifndef PUMPTRACK_DIRECTORY_FILTER_H_
#define PUMPTRACK_DIRECTORY_FILTER_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace pumptrack::directory {

// `value` escaped for use as an assertion value in an LDAP search filter (RFC 4515 section 3): '*', '(', ')', '\'
// and NUL become "\2a", "\28", "\29", "\5c" and "\00"; every other byte (including UTF-8 multi-byte sequences) is
// kept. The only way pumptrack puts user input into a filter.
std::string EscapeFilterValue(absl::string_view value);

// `filter_template` with every "{user}" replaced by EscapeFilterValue(user). INVALID_ARGUMENT when the template has
// no "{user}" or is not parenthesised ("(uid={user})", "(&(objectClass=person)(sAMAccountName={user}))").
absl::StatusOr<std::string> UserFilter(absl::string_view filter_template, absl::string_view user);

}  // namespace pumptrack::directory

#endif  // PUMPTRACK_DIRECTORY_FILTER_H_
