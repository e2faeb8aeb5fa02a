// directory::LdapDirectory against a real slapd: finding people, their groups (memberOf and groupOfNames), binds,
// locked accounts, injection attempts, TLS, a stopped and a silent directory.
#include "directory/ldap_directory.h"

#include <string>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/ldap/slapd_fixture.h"

namespace pumptrack::ldap_testing {
namespace {

using std::string_literals::operator""s;

class LdapDirectoryTest : public ::testing::Test {
 protected:
  void SetUp() override { slapd_.Start(); }

  directory::LdapOptions Options(const std::string& url) const {
    directory::LdapOptions options;
    options.url = url;
    options.ca_file = slapd_.ca_path();
    options.bind_dn = kServiceDn;
    options.bind_password = kServicePassword;
    options.user_base = kPeopleBase;
    options.user_filter = "(uid={user})";
    options.group_base = kGroupBase;
    options.network_timeout = absl::Seconds(2);
    options.operation_timeout = absl::Seconds(2);
    return options;
  }
  std::unique_ptr<directory::LdapDirectory> Directory(const directory::LdapOptions& options) const {
    absl::StatusOr<std::unique_ptr<directory::LdapDirectory>> created = directory::LdapDirectory::Create(options);
    EXPECT_TRUE(created.ok()) << created.status();
    return created.ok() ? *std::move(created) : nullptr;
  }

  security_testing::TempDir temp_{"slapd"};
  Slapd slapd_{temp_.path()};
};

TEST_F(LdapDirectoryTest, BindsAndReadsGroupsOverLdapsAndStartTls) {
  for (const std::string& url : {slapd_.ldaps_url(), slapd_.ldap_url()}) {
    auto directory = Directory(Options(url));
    std::string password = "bob-pw";
    absl::StatusOr<directory::Person> bob = directory->Authenticate("bob", password);
    ASSERT_TRUE(bob.ok()) << url << ": " << bob.status();
    EXPECT_TRUE(password.empty()) << "the password is wiped after the bind";
    EXPECT_EQ(bob->dn, PersonDn("bob"));
    EXPECT_EQ(bob->username, "bob");
    EXPECT_EQ(bob->display_name, "Bob Biomed");
    // memberOf (overlay) and the groupOfNames search both find the two groups.
    EXPECT_EQ(std::count(bob->groups.begin(), bob->groups.end(), GroupDn("biomed")), 2) << url;
    EXPECT_EQ(std::count(bob->groups.begin(), bob->groups.end(), GroupDn("nurses")), 2) << url;
  }
}

TEST_F(LdapDirectoryTest, MemberOfAloneIsEnoughAsInActiveDirectory) {
  directory::LdapOptions options = Options(slapd_.ldaps_url());
  options.group_base.clear();
  std::string password = "carol-pw";
  absl::StatusOr<directory::Person> carol = Directory(options)->Authenticate("carol", password);
  ASSERT_TRUE(carol.ok()) << carol.status();
  EXPECT_EQ(carol->groups, std::vector<std::string>{GroupDn("nurses")});
}

TEST_F(LdapDirectoryTest, NonAsciiUserName) {
  std::string password = "zoe-pw";
  absl::StatusOr<directory::Person> zoe = Directory(Options(slapd_.ldaps_url()))->Authenticate("zo\xc3\xab", password);
  ASSERT_TRUE(zoe.ok()) << zoe.status();
  EXPECT_EQ(zoe->username, "zo\xc3\xab");
}

TEST_F(LdapDirectoryTest, WrongEmptyPasswordUnknownAndLockedAreUnauthenticated) {
  auto directory = Directory(Options(slapd_.ldaps_url()));
  for (const auto& [user, pw] : std::vector<std::pair<std::string, std::string>>{
           {"alice", "wrong"}, {"alice", ""}, {"nobody", "x"}, {"dave", "dave-pw"}}) {
    std::string password = pw;
    absl::StatusOr<directory::Person> person = directory->Authenticate(user, password);
    EXPECT_EQ(person.status().code(), absl::StatusCode::kUnauthenticated) << user << ": " << person.status();
    EXPECT_TRUE(password.empty());
  }
  EXPECT_EQ(directory->Lookup("dave").status().code(), absl::StatusCode::kUnauthenticated);
}

TEST_F(LdapDirectoryTest, InjectionAttemptsMatchNobody) {
  auto directory = Directory(Options(slapd_.ldaps_url()));
  ASSERT_TRUE(directory->Lookup("alice").ok());
  for (const std::string& user : {"*"s, "*)(uid=*"s, "alice)(uid=*"s, "al*"s, "alice)(|(uid=*"s, "*)(|(objectClass=*"s,
                                  "alice\0"s, "\\2a"s, "(alice)"s, "alice\\"s}) {
    absl::StatusOr<directory::Person> found = directory->Lookup(user);
    EXPECT_EQ(found.status().code(), absl::StatusCode::kUnauthenticated) << "user " << user << ": " << found.status();
    std::string password = "alice-pw";
    EXPECT_EQ(directory->Authenticate(user, password).status().code(), absl::StatusCode::kUnauthenticated) << user;
  }
}

TEST_F(LdapDirectoryTest, CertificateFromAnotherCaIsRefused) {
  directory::LdapOptions options = Options(slapd_.ldaps_url());
  options.ca_file = security_testing::Pki::Shared().foreign_ca_path();
  std::string password = "alice-pw";
  EXPECT_EQ(Directory(options)->Authenticate("alice", password).status().code(), absl::StatusCode::kUnavailable);
}

TEST_F(LdapDirectoryTest, StoppedDirectoryIsUnavailable) {
  auto directory = Directory(Options(slapd_.ldaps_url()));
  slapd_.Stop();
  std::string password = "alice-pw";
  EXPECT_EQ(directory->Authenticate("alice", password).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(directory->Lookup("alice").status().code(), absl::StatusCode::kUnavailable);
}

TEST_F(LdapDirectoryTest, SilentDirectoryTimesOut) {
  SilentListener silent;
  for (const std::string& scheme : {"ldaps"s, "ldap"s}) {
    directory::LdapOptions options = Options(absl::StrCat(scheme, "://127.0.0.1:", silent.port()));
    options.network_timeout = absl::Milliseconds(300);
    options.operation_timeout = absl::Milliseconds(300);
    const absl::Time started = absl::Now();
    std::string password = "alice-pw";
    absl::StatusOr<directory::Person> person = Directory(options)->Authenticate("alice", password);
    const absl::Duration took = absl::Now() - started;
    EXPECT_EQ(person.status().code(), absl::StatusCode::kUnavailable) << scheme << ": " << person.status();
    EXPECT_LT(took, absl::Seconds(3)) << scheme;
  }
}

}  // namespace
}  // namespace pumptrack::ldap_testing
