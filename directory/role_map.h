#ifndef PUMPTRACK_DIRECTORY_ROLE_MAP_H_
#define PUMPTRACK_DIRECTORY_ROLE_MAP_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "pumptrack/v1/auth.pb.h"

namespace pumptrack::directory {

// Which directory groups grant which role (--ldap_group_map). The file has one mapping a line, the role name first,
// then the group's DN:
//
//   # comment
//   admin          CN=pumptrack-admins,OU=Groups,DC=hospital,DC=example
//   asset_manager  CN=Biomed,OU=Groups,DC=hospital,DC=example
//
// DNs compare case-insensitively and ignoring spaces around ',' and '=' (AD and OpenLDAP spell them differently).
// A person in several mapped groups gets the highest role (viewer < transport < technician < asset_manager < auditor <
// admin; a person in both a transport and a technician group gets technician, which cannot check pumps out); in none,
// ROLE_UNSPECIFIED: no access.
class RoleMap {
 public:
  // INVALID_ARGUMENT naming the line for an unknown role, a missing DN or a group mapped twice.
  static absl::StatusOr<RoleMap> Parse(absl::string_view text);
  // Parse of the file's contents; INVALID_ARGUMENT when it cannot be read.
  static absl::StatusOr<RoleMap> Load(const std::string& path);

  v1::Role RoleFor(const std::vector<std::string>& group_dns) const;

  std::size_t size() const { return groups_.size(); }

 private:
  std::vector<std::pair<std::string, v1::Role>> groups_;  // normalised DN -> role
};

// A DN in the form RoleMap compares: lower case, no spaces around ',', '=' and '+'.
std::string NormalizeDn(absl::string_view dn);

// The rank used for "highest role wins"; 0 for ROLE_UNSPECIFIED.
int RoleRank(v1::Role role);

}  // namespace pumptrack::directory

#endif  // PUMPTRACK_DIRECTORY_ROLE_MAP_H_
