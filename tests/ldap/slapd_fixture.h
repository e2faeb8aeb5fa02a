// A real OpenLDAP slapd for the tests: its own configuration, database, certificates and loopback ports in a
// temporary directory (never the system's slapd), loaded with people and groups of a small hospital.
#ifndef PUMPTRACK_TESTS_LDAP_SLAPD_FIXTURE_H_
#define PUMPTRACK_TESTS_LDAP_SLAPD_FIXTURE_H_

#include <sys/types.h>

#include <string>

#include "absl/status/status.h"
#include "tests/security/security_test_util.h"

namespace pumptrack::ldap_testing {

inline constexpr char kSuffix[] = "dc=hospital,dc=example";
inline constexpr char kRootDn[] = "cn=admin,dc=hospital,dc=example";
inline constexpr char kRootPassword[] = "root-secret";
inline constexpr char kServiceDn[] = "cn=pumptrack,ou=services,dc=hospital,dc=example";
inline constexpr char kServicePassword[] = "service-secret";
inline constexpr char kPeopleBase[] = "ou=people,dc=hospital,dc=example";
inline constexpr char kGroupBase[] = "ou=groups,dc=hospital,dc=example";

// People (password "<uid>-pw" for each):
//   alice  in admins                       -> admin
//   bob    in nurses and biomed            -> asset_manager (the higher)
//   carol  in nurses                       -> viewer
//   zoë    in auditors (non-ASCII uid)     -> auditor
//   dave   in admins, account locked (ppolicy pwdAccountLockedTime)
//   erin   in no mapped group (in "cafeteria")
// Groups are groupOfNames (member); the memberof overlay also maintains memberOf on people, as AD does.
std::string GroupDn(const std::string& cn);
std::string PersonDn(const std::string& uid);
// The group map for the groups above.
std::string GroupMapText();

class Slapd {
 public:
  // Makes the configuration and certificates (issued by the shared test PKI's CA) and loads the data; does not start.
  explicit Slapd(const std::string& dir);
  ~Slapd();

  // Starts slapd on two free loopback ports (ldaps and ldap; the same ones again after Stop) and waits until it
  // accepts connections. The first start adds the groups.
  void Start();
  // Stops it (SIGTERM, then waits).
  void Stop();

  std::string ldaps_url() const;
  std::string ldap_url() const;
  std::string ca_path() const;
  // slapd's process id while it runs (-1 otherwise): the bench stops (SIGSTOP) or kills it to make the directory slow
  // or down.
  pid_t pid() const { return pid_; }

  // Applies an LDIF change as the root DN with ldapmodify.
  absl::Status Modify(const std::string& ldif);

 private:
  std::string dir_;
  int ldaps_port_ = 0;
  int ldap_port_ = 0;
  pid_t pid_ = -1;
};

// A TCP listener on 127.0.0.1 that accepts connections and never answers (a hung directory).
class SilentListener {
 public:
  SilentListener();
  ~SilentListener();
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

}  // namespace pumptrack::ldap_testing

#endif  // PUMPTRACK_TESTS_LDAP_SLAPD_FIXTURE_H_
