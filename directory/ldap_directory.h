#ifndef PUMPTRACK_DIRECTORY_LDAP_DIRECTORY_H_
#define PUMPTRACK_DIRECTORY_LDAP_DIRECTORY_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace pumptrack::directory {

struct LdapOptions {
  // ldaps://HOST:636, or ldap://HOST:389 upgraded with StartTLS. Several space-separated URLs are tried in order.
  std::string url;
  // PEM CA bundle that verifies the directory's certificate; empty: the system's trust store.
  std::string ca_file;
  // Permits a cleartext bind when an ldap:// server refuses StartTLS (--insecure: development and tests only).
  bool allow_cleartext = false;
  // The account pumptrack searches with, and its password (read from --ldap_bind_password_file). Empty bind_dn:
  // anonymous search.
  std::string bind_dn;
  std::string bind_password;
  // Where people are, and how to find one: a filter with {user}, e.g. "(uid={user})" or "(sAMAccountName={user})".
  std::string user_base;
  std::string user_filter = "(uid={user})";
  // Group membership is read from the person's memberOf values (Active Directory; OpenLDAP's memberof overlay) and,
  // when group_base is set, from groups under it that list the person as member or uniqueMember (OpenLDAP
  // groupOfNames / groupOfUniqueNames).
  std::string group_base;
  // TCP connect (and TLS handshake) timeout, and the limit on every other operation (bind, search, StartTLS).
  absl::Duration network_timeout = absl::Seconds(3);
  absl::Duration operation_timeout = absl::Seconds(5);
};

// A person as the directory describes them.
struct Person {
  std::string dn;
  // The account name as the directory spells it (the filter's attribute, e.g. uid or sAMAccountName).
  std::string username;
  // displayName, else cn, else the username.
  std::string display_name;
  // DNs of the groups the person is in.
  std::vector<std::string> groups;
};

// A blocking client of an LDAP directory (OpenLDAP's libldap). Every call opens its own connection (TLS verified
// against ca_file, or StartTLS on ldap://), so calls are independent and thread-safe; every network step is bounded
// by the timeouts. Call it from worker threads only, never from gRPC's.
//
// Errors: UNAUTHENTICATED for an unknown, ambiguous, disabled or locked account and a wrong or empty password (the
// message says which, for the audit log; callers answer people uniformly); UNAVAILABLE when the directory cannot be
// reached, times out or refuses pumptrack's own bind.
class LdapDirectory {
 public:
  // INVALID_ARGUMENT for a URL that is not ldap:// or ldaps://, a filter without {user}, or a missing user base.
  static absl::StatusOr<std::unique_ptr<LdapDirectory>> Create(LdapOptions options);

  // Finds `user`, reads their groups, then binds as them with `password`. `password` is overwritten and emptied
  // before this returns, whatever the outcome.
  absl::StatusOr<Person> Authenticate(absl::string_view user, std::string& password) const;

  // Finds `user` and reads their groups without their password (session refresh). UNAUTHENTICATED when the account
  // no longer exists or is disabled.
  absl::StatusOr<Person> Lookup(absl::string_view user) const;

 private:
  explicit LdapDirectory(LdapOptions options, std::string user_attribute)
      : options_(std::move(options)), user_attribute_(std::move(user_attribute)) {}

  absl::StatusOr<Person> Find(absl::string_view user, std::string* password) const;

  const LdapOptions options_;
  const std::string user_attribute_;  // e.g. "uid", from the filter
};

}  // namespace pumptrack::directory

#endif  // PUMPTRACK_DIRECTORY_LDAP_DIRECTORY_H_
