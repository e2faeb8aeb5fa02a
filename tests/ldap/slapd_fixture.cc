#include "tests/ldap/slapd_fixture.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

extern char** environ;

namespace pumptrack::ldap_testing {
namespace {

using security_testing::Pki;
using security_testing::RunCommand;
using security_testing::ShellQuote;

int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  socklen_t length = sizeof(address);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(fd);
  return ntohs(address.sin_port);
}

bool Accepts(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<uint16_t>(port));
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  close(fd);
  return ok;
}

void WriteFile(const std::string& path, const std::string& contents) {
  std::ofstream out(path, std::ios::trunc);
  out << contents;
  ASSERT_TRUE(out.flush()) << path;
}

std::string Person(const std::string& uid, const std::string& cn, const std::string& extra = "") {
  return absl::StrCat("dn: ", PersonDn(uid), "\nobjectClass: inetOrgPerson\nuid: ", uid, "\ncn: ", cn, "\nsn: ", cn,
                      "\ndisplayName: ", cn, "\nuserPassword: ", uid, "-pw\n", extra, "\n");
}

}  // namespace

std::string GroupDn(const std::string& cn) { return absl::StrCat("cn=", cn, ",", kGroupBase); }
std::string PersonDn(const std::string& uid) { return absl::StrCat("uid=", uid, ",", kPeopleBase); }

std::string GroupMapText() {
  // Spelled as Active Directory would (upper case, spaces): DNs compare normalised.
  return absl::StrCat("# role group\n", "admin          CN=pumptrack-admins, OU=groups, DC=hospital, DC=example\n",
                      "asset_manager  ", GroupDn("biomed"), "\n", "viewer         ", GroupDn("nurses"), "\n",
                      "auditor        ", GroupDn("auditors"), "\n");
}

Slapd::Slapd(const std::string& dir) : dir_(dir) {
  std::filesystem::create_directories(dir_ + "/db");
  security_testing::CertFiles cert = Pki::Shared().IssueServerCert(dir_ + "/server");
  const std::string conf = absl::StrCat(
      "include /etc/ldap/schema/core.schema\n"
      "include /etc/ldap/schema/cosine.schema\n"
      "include /etc/ldap/schema/inetorgperson.schema\n"
      "modulepath /usr/lib/ldap\n"
      "moduleload back_mdb\n"
      "moduleload ppolicy\n"
      "moduleload memberof\n"
      "pidfile ",
      dir_,
      "/slapd.pid\n"
      "argsfile ",
      dir_,
      "/slapd.args\n"
      "TLSCACertificateFile ",
      Pki::Shared().ca_path(),
      "\n"
      "TLSCertificateFile ",
      cert.cert_path,
      "\n"
      "TLSCertificateKeyFile ",
      cert.key_path,
      "\n"
      "database mdb\n"
      "maxsize 16777216\n"
      "suffix \"",
      kSuffix,
      "\"\n"
      "rootdn \"",
      kRootDn,
      "\"\n"
      "rootpw ",
      kRootPassword,
      "\n"
      "directory ",
      dir_,
      "/db\n"
      "overlay ppolicy\n"
      "overlay memberof\n"
      "memberof-refint TRUE\n"
      "access to attrs=userPassword by dn.exact=\"",
      kServiceDn,
      "\" none by anonymous auth by * none\n"
      "access to * by dn.exact=\"",
      kServiceDn, "\" read by self read by * none\n");
  WriteFile(dir_ + "/slapd.conf", conf);
  const std::string base = absl::StrCat(
      "dn: ", kSuffix, "\nobjectClass: dcObject\nobjectClass: organization\ndc: hospital\no: Hospital\n\n",
      "dn: ou=people,", kSuffix, "\nobjectClass: organizationalUnit\nou: people\n\n", "dn: ou=groups,", kSuffix,
      "\nobjectClass: organizationalUnit\nou: groups\n\n", "dn: ou=services,", kSuffix,
      "\nobjectClass: organizationalUnit\nou: services\n\n", "dn: ", kServiceDn,
      "\nobjectClass: person\ncn: pumptrack\nsn: pumptrack\nuserPassword: ", kServicePassword, "\n\n",
      Person("alice", "Alice Admin"), Person("bob", "Bob Biomed"), Person("carol", "Carol Nurse"),
      // "zoë" in UTF-8 needs base64 in LDIF.
      "dn:: dWlkPXpvw6ssb3U9cGVvcGxlLGRjPWhvc3BpdGFsLGRjPWV4YW1wbGU=\nobjectClass: inetOrgPerson\n"
      "uid:: em/Dqw==\ncn: Zoe Auditor\nsn: Auditor\ndisplayName: Zoe Auditor\nuserPassword: zoe-pw\n\n",
      Person("dave", "Dave Locked", "pwdAccountLockedTime: 000001010000Z\n"), Person("erin", "Erin Cafeteria"));
  WriteFile(dir_ + "/base.ldif", base);
  security_testing::CommandResult added = RunCommand(absl::StrCat(
      "/usr/sbin/slapadd -q -f ", ShellQuote(dir_ + "/slapd.conf"), " -l ", ShellQuote(dir_ + "/base.ldif")));
  EXPECT_EQ(added.exit_code, 0) << added.err;
}

Slapd::~Slapd() { Stop(); }

void Slapd::Start() {
  // A restart keeps the ports (clients are configured with them) and the data.
  const bool first_start = ldaps_port_ == 0;
  if (first_start) {
    ldaps_port_ = FreePort();
    ldap_port_ = FreePort();
  }
  const std::string urls = absl::StrCat(ldaps_url(), "/ ", ldap_url(), "/");
  const std::string conf = dir_ + "/slapd.conf";
  std::vector<std::string> args = {"/usr/sbin/slapd", "-d", "0", "-f", conf, "-h", urls};
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  ASSERT_EQ(posix_spawn(&pid_, argv[0], nullptr, nullptr, argv.data(), environ), 0);
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (!Accepts(ldaps_port_) || !Accepts(ldap_port_)) {
    int status = 0;
    ASSERT_EQ(waitpid(pid_, &status, WNOHANG), 0) << "slapd exited during start-up";
    ASSERT_LT(absl::Now(), deadline) << "slapd did not start";
    absl::SleepFor(absl::Milliseconds(20));
  }
  if (!first_start) return;
  // Groups are added over LDAP, so the memberof overlay writes each person's memberOf.
  ASSERT_TRUE(
      Modify(absl::StrCat(
                 "dn: ", GroupDn("pumptrack-admins"),
                 "\nchangetype: add\nobjectClass: groupOfNames\ncn: pumptrack-admins\n", "member: ", PersonDn("alice"),
                 "\nmember: ", PersonDn("dave"), "\n\n", "dn: ", GroupDn("biomed"),
                 "\nchangetype: add\nobjectClass: groupOfNames\ncn: biomed\nmember: ", PersonDn("bob"), "\n\n",
                 "dn: ", GroupDn("nurses"), "\nchangetype: add\nobjectClass: groupOfNames\ncn: nurses\nmember: ",
                 PersonDn("bob"), "\nmember: ", PersonDn("carol"), "\n\n", "dn: ", GroupDn("auditors"),
                 "\nchangetype: add\nobjectClass: groupOfNames\ncn: auditors\n",
                 "member:: dWlkPXpvw6ssb3U9cGVvcGxlLGRjPWhvc3BpdGFsLGRjPWV4YW1wbGU=\n\n", "dn: ", GroupDn("cafeteria"),
                 "\nchangetype: add\nobjectClass: groupOfNames\ncn: cafeteria\nmember: ", PersonDn("erin"), "\n"))
          .ok());
}

void Slapd::Stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

std::string Slapd::ldaps_url() const { return absl::StrCat("ldaps://127.0.0.1:", ldaps_port_); }
std::string Slapd::ldap_url() const { return absl::StrCat("ldap://127.0.0.1:", ldap_port_); }
std::string Slapd::ca_path() const { return Pki::Shared().ca_path(); }

absl::Status Slapd::Modify(const std::string& ldif) {
  const std::string path = dir_ + "/change.ldif";
  {
    std::ofstream out(path, std::ios::trunc);
    out << ldif;
  }
  security_testing::CommandResult result = RunCommand(
      absl::StrCat("LDAPTLS_CACERT=", ShellQuote(ca_path()), " /usr/bin/ldapmodify -x -H ", ShellQuote(ldaps_url()),
                   " -D ", ShellQuote(kRootDn), " -w ", ShellQuote(kRootPassword), " -f ", ShellQuote(path)));
  if (result.exit_code != 0) return absl::InternalError(absl::StrCat("ldapmodify: ", result.err, result.out));
  return absl::OkStatus();
}

SilentListener::SilentListener() {
  fd_ = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  EXPECT_EQ(listen(fd_, 64), 0);  // the kernel completes handshakes; nobody ever reads
  socklen_t length = sizeof(address);
  getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
  port_ = ntohs(address.sin_port);
}

SilentListener::~SilentListener() { close(fd_); }

}  // namespace pumptrack::ldap_testing
