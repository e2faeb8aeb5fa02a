// AuthService.SignIn / SignOut end to end: the real pumptrack Server (TLS) in process, a real slapd, real channels.
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "pumptrack/v1/auth.grpc.pb.h"
#include "tests/ldap/slapd_fixture.h"

namespace pumptrack::ldap_testing {
namespace {

using std::string_literals::operator""s;

class SignInTest : public security_testing::SecurityServerTest {
 protected:
  void SetUp() override {
    slapd_.Start();
    std::ofstream(temp_.Sub("groups.map")) << GroupMapText();
  }

  service::ServerOptions LdapOptions(absl::Duration refresh_interval = absl::ZeroDuration()) {
    service::ServerOptions options = TlsOptions();
    options.ldap.url = slapd_.ldaps_url();
    options.ldap.ca_file = slapd_.ca_path();
    options.ldap.bind_dn = kServiceDn;
    options.ldap.bind_password = kServicePassword;
    options.ldap.user_base = kPeopleBase;
    options.ldap.user_filter = "(uid={user})";
    options.ldap.group_base = kGroupBase;
    options.ldap.network_timeout = absl::Milliseconds(500);
    options.ldap.operation_timeout = absl::Milliseconds(500);
    options.ldap_group_map = temp_.Sub("groups.map");
    options.sessions.refresh_interval = refresh_interval;
    return options;
  }

  grpc::Status SignIn(const std::string& user, const std::string& password, v1::SignInResponse* response = nullptr) {
    v1::SignInResponse ignored;
    grpc::ClientContext context;
    Prepare(context, "");
    v1::SignInRequest request;
    request.set_username(user);
    request.set_password(password);
    return v1::AuthService::NewStub(PeopleChannel())->SignIn(&context, request, response ? response : &ignored);
  }
  grpc::Status SignOut(const std::string& secret) {
    grpc::ClientContext context;
    Prepare(context, secret);
    v1::SignOutResponse response;
    return v1::AuthService::NewStub(PeopleChannel())->SignOut(&context, v1::SignOutRequest(), &response);
  }
  std::string SignedIn(const std::string& user, const std::string& password) {
    v1::SignInResponse response;
    grpc::Status status = SignIn(user, password, &response);
    EXPECT_TRUE(status.ok()) << user << ": " << status.error_message();
    return response.token();
  }

  security_testing::TempDir slapd_dir_{"slapd"};
  Slapd slapd_{slapd_dir_.path()};
};

TEST_F(SignInTest, EachPersonGetsTheHighestRoleOfTheirMappedGroups) {
  StartServer(LdapOptions());
  struct Case {
    std::string user, password, display;
    v1::Role role;
  };
  for (const Case& c : {Case{"alice", "alice-pw", "Alice Admin", v1::ROLE_ADMIN},
                        Case{"bob", "bob-pw", "Bob Biomed", v1::ROLE_ASSET_MANAGER},
                        Case{"carol", "carol-pw", "Carol Nurse", v1::ROLE_VIEWER},
                        Case{"zo\xc3\xab", "zoe-pw", "Zoe Auditor", v1::ROLE_AUDITOR}}) {
    v1::SignInResponse response;
    grpc::Status status = SignIn(c.user, c.password, &response);
    ASSERT_TRUE(status.ok()) << c.user << ": " << status.error_message();
    EXPECT_EQ(response.role(), c.role) << c.user;
    EXPECT_EQ(response.display_name(), c.display);
    EXPECT_TRUE(response.token().starts_with("ptk_"));
    const absl::Duration ttl = absl::FromUnixSeconds(response.expires_at().seconds()) - clock_.Now();
    EXPECT_GT(ttl, absl::Hours(7));
    EXPECT_LE(ttl, absl::Hours(8));
    // The session token works with exactly the role's permissions.
    EXPECT_EQ(ListDevices(response.token()).error_code(),
              c.role == v1::ROLE_AUDITOR ? grpc::StatusCode::PERMISSION_DENIED : grpc::StatusCode::OK)
        << c.user;
    EXPECT_EQ(ListTokens(response.token()).error_code(),
              c.role == v1::ROLE_ADMIN ? grpc::StatusCode::OK : grpc::StatusCode::PERMISSION_DENIED)
        << c.user;
  }
  // The person's directory name is the actor of the session's audit entries.
  const std::string alice = SignedIn("alice", "alice-pw");
  v1::CreateTokenRequest create;
  create.set_name("grafana");
  create.set_role(v1::ROLE_VIEWER);
  grpc::ClientContext context;
  Prepare(context, alice);
  v1::CreateTokenResponse created;
  ASSERT_TRUE(v1::TokenService::NewStub(PeopleChannel())->CreateToken(&context, create, &created).ok());
  EXPECT_TRUE(WaitForAudit([](const v1::AuditEntry& entry) {
    return entry.action() == "token.create" && entry.actor() == "alice" &&
           entry.after().find("grafana") != std::string::npos;
  }));
  EXPECT_TRUE(WaitForAudit(
      [](const v1::AuditEntry& entry) { return entry.action() == "session.create" && entry.actor() == "alice"; }));
}

TEST_F(SignInTest, EveryRefusalGetsTheSameAnswerAndIsAudited) {
  StartServer(LdapOptions());
  const grpc::Status wrong = SignIn("alice", "not-her-password");
  EXPECT_EQ(wrong.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  for (const auto& [user, password] : std::vector<std::pair<std::string, std::string>>{
           {"nobody", "alice-pw"}, {"dave", "dave-pw"}, {"erin", "erin-pw"}, {"carol", ""}}) {
    const grpc::Status status = SignIn(user, password);
    EXPECT_EQ(status.error_code(), wrong.error_code()) << user;
    EXPECT_EQ(status.error_message(), wrong.error_message()) << user;
  }
  for (const char* reason : {"no such user", "account locked", "in no mapped group", "wrong password"}) {
    EXPECT_TRUE(WaitForAudit([&](const v1::AuditEntry& entry) {
      return entry.action() == "session.denied" && entry.after().find(reason) != std::string::npos;
    })) << reason;
  }
  // The audit log never holds a password.
  for (const v1::AuditEntry& entry : AllAudit()) {
    EXPECT_EQ(entry.DebugString().find("not-her-password"), std::string::npos);
    EXPECT_EQ(entry.DebugString().find("dave-pw"), std::string::npos);
  }
}

TEST_F(SignInTest, InjectionAttemptsInTheUserNameSignNobodyIn) {
  StartServer(LdapOptions());
  const grpc::Status uniform = SignIn("nobody", "alice-pw");
  for (const std::string& user :
       {"*"s, "*)(uid=*"s, "alice)(uid=*"s, "al*"s, "alice)(|(uid=*"s, "(alice)"s, "\\2a"s, "alice\\"s}) {
    const grpc::Status status = SignIn(user, "alice-pw");
    EXPECT_EQ(status.error_code(), uniform.error_code()) << user;
    EXPECT_EQ(status.error_message(), uniform.error_message()) << user;
  }
  // A NUL or other control character never reaches the directory.
  for (const std::string& user : {"alice\0"s, "\0"s, "alice\n"s}) {
    EXPECT_EQ(SignIn(user, "alice-pw").error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  }
}

TEST_F(SignInTest, FailuresAreRateLimitedPerUser) {
  StartServer(LdapOptions());
  for (int i = 0; i < 5; ++i) EXPECT_EQ(SignIn("carol", "guess").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  // Even the right password is refused until the window passes; other people are not affected.
  EXPECT_EQ(SignIn("carol", "carol-pw").error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(SignIn("CAROL", "carol-pw").error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_TRUE(SignIn("bob", "bob-pw").ok());
  clock_.Advance(absl::Minutes(6));
  EXPECT_TRUE(SignIn("carol", "carol-pw").ok());
}

TEST_F(SignInTest, FailuresAreRateLimitedPerSource) {
  StartServer(LdapOptions());
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(SignIn(absl::StrCat("nobody", i), "guess").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  }
  EXPECT_EQ(SignIn("alice", "alice-pw").error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
}

TEST_F(SignInTest, SignOutRevokesTheCallingSession) {
  StartServer(LdapOptions());
  const std::string first = SignedIn("carol", "carol-pw");
  const std::string second = SignedIn("carol", "carol-pw");
  ASSERT_TRUE(SignOut(first).ok());
  EXPECT_EQ(ListDevices(first).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(ListDevices(second).ok()) << "only the calling session ends";
  EXPECT_EQ(SignOut(first).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(SignOut("").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  // A hand-made token is not a session: SignOut does not revoke it.
  EXPECT_EQ(SignOut(admin_secret_).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_TRUE(ListTokens(admin_secret_).ok());
}

TEST_F(SignInTest, PersonRemovedFromEveryMappedGroupLosesTheSessionAtTheNextRefresh) {
  StartServer(LdapOptions(/*refresh_interval=*/absl::Milliseconds(200)));
  const std::string carol = SignedIn("carol", "carol-pw");
  const std::string bob = SignedIn("bob", "bob-pw");
  ASSERT_TRUE(ListDevices(carol).ok());
  ASSERT_TRUE(slapd_
                  .Modify(absl::StrCat("dn: ", GroupDn("nurses"),
                                       "\nchangetype: modify\ndelete: member\nmember: ", PersonDn("carol"), "\n"))
                  .ok());
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (ListDevices(carol).ok() && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(50));
  EXPECT_EQ(ListDevices(carol).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(ListDevices(bob).ok()) << "bob is still in his groups";
  EXPECT_EQ(SignIn("carol", "carol-pw").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  // Locking an account ends its sessions too.
  ASSERT_TRUE(slapd_
                  .Modify(absl::StrCat("dn: ", PersonDn("bob"),
                                       "\nchangetype: modify\nadd: pwdAccountLockedTime\npwdAccountLockedTime: "
                                       "000001010000Z\n"))
                  .ok());
  const absl::Time bob_deadline = absl::Now() + absl::Seconds(10);
  while (ListDevices(bob).ok() && absl::Now() < bob_deadline) absl::SleepFor(absl::Milliseconds(50));
  EXPECT_EQ(ListDevices(bob).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(SignIn("bob", "bob-pw").error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(SignInTest, DirectoryDownIsUnavailableAndTokensKeepWorking) {
  StartServer(LdapOptions(/*refresh_interval=*/absl::Milliseconds(100)));
  const std::string carol = SignedIn("carol", "carol-pw");
  slapd_.Stop();
  const grpc::Status down = SignIn("alice", "alice-pw");
  EXPECT_EQ(down.error_code(), grpc::StatusCode::UNAVAILABLE) << down.error_message();
  // Not counted as failures: no throttling however often it is tried.
  for (int i = 0; i < 8; ++i) EXPECT_EQ(SignIn("alice", "alice-pw").error_code(), grpc::StatusCode::UNAVAILABLE);
  // Refreshes run against the stopped directory and keep the session.
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (server_->sessions().refreshes_skipped() < 2 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(20));
  EXPECT_GE(server_->sessions().refreshes_skipped(), 2u);
  EXPECT_TRUE(ListDevices(carol).ok());
  EXPECT_TRUE(ListTokens(admin_secret_).ok());
  slapd_.Start();
  EXPECT_TRUE(SignIn("alice", "alice-pw").ok());
}

TEST_F(SignInTest, SlowDirectoryTimesOutAndTokenCallsStayFast) {
  SilentListener silent;
  service::ServerOptions options = LdapOptions();
  options.ldap.url = absl::StrCat("ldaps://127.0.0.1:", silent.port());
  StartServer(options);
  const absl::Time started = absl::Now();
  const grpc::Status status = SignIn("alice", "alice-pw");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  EXPECT_LT(absl::Now() - started, absl::Seconds(3));
  // While sign-ins hang on the directory, token calls are served by other threads.
  std::vector<std::thread> hanging;
  for (int i = 0; i < 4; ++i) hanging.emplace_back([this] { SignIn("alice", "alice-pw"); });
  const absl::Time call_started = absl::Now();
  EXPECT_TRUE(ListTokens(admin_secret_).ok());
  EXPECT_LT(absl::Now() - call_started, absl::Milliseconds(400));
  for (std::thread& thread : hanging) thread.join();
}

TEST_F(SignInTest, CliLoginKeepsTheSessionInA0600FileAndUsesItByDefault) {
  StartServer(LdapOptions());
  const std::string config = temp_.Sub("config");
  const std::string cli = absl::StrCat(
      "env -u PUMPTRACK_TOKEN XDG_CONFIG_HOME=", security_testing::ShellQuote(config), " ", PUMPTRACK_CLI,
      " --server=", Target(), " --ca=", security_testing::ShellQuote(security_testing::Pki::Shared().ca_path()), " ");
  EXPECT_NE(security_testing::RunCommand(cli + "devices list").exit_code, 0) << "no session yet";
  security_testing::CommandResult wrong = security_testing::RunCommand("echo nope | " + cli + "login carol");
  EXPECT_NE(wrong.exit_code, 0);
  EXPECT_FALSE(std::filesystem::exists(config + "/pumptrack/session"));
  security_testing::CommandResult login = security_testing::RunCommand("echo carol-pw | " + cli + "login carol");
  ASSERT_EQ(login.exit_code, 0) << login.err;
  EXPECT_NE(login.out.find("Carol Nurse (viewer)"), std::string::npos) << login.out;
  EXPECT_EQ(login.out.find("carol-pw"), std::string::npos);
  struct stat info {};
  ASSERT_EQ(stat((config + "/pumptrack/session").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  security_testing::CommandResult listed = security_testing::RunCommand(cli + "devices list");
  EXPECT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_NE(security_testing::RunCommand(cli + "tokens list").exit_code, 0) << "a viewer may not list tokens";
  const std::string token = security_testing::ReadFile(config + "/pumptrack/session");
  security_testing::CommandResult logout = security_testing::RunCommand(cli + "logout");
  ASSERT_EQ(logout.exit_code, 0) << logout.err;
  EXPECT_FALSE(std::filesystem::exists(config + "/pumptrack/session"));
  EXPECT_EQ(ListDevices(std::string(absl::StripAsciiWhitespace(token))).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(SignInTest, WithoutADirectorySignInIsFailedPrecondition) {
  StartServer(TlsOptions());
  EXPECT_EQ(SignIn("alice", "alice-pw").error_code(), grpc::StatusCode::FAILED_PRECONDITION);
}

}  // namespace
}  // namespace pumptrack::ldap_testing
