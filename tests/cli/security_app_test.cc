// The security commands through the whole command line: tokens from the environment or --token, exit codes, usage
// errors, and that no secret ever reaches the error output.
#include <initializer_list>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cli/app.h"
#include "cli/errors.h"
#include "cli/format.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/cli/fake_inventory_service.h"
#include "tests/cli/fake_security_services.h"
#include "tests/cli/run_cli.h"

namespace pumptrack::cli {
namespace {

using ::pumptrack::cli::testing::UsageCase;

using ::testing::ElementsAre;
using testing::FakeAgentRegistryService;
using testing::FakeAuditService;
using testing::FakeAuth;
using testing::FakeInventoryService;
using testing::FakeTokenService;
using ::testing::HasSubstr;
using testing::kTestToken;
using testing::Lines;
using testing::MakeAuditEntry;
using testing::MakeDevice;
using ::testing::Not;
using testing::RunCli;
using testing::RunResult;
using ::testing::SizeIs;
using ::testing::StartsWith;
using testing::TestNow;
using testing::TestServer;

const std::string kBearer = std::string("Bearer ") + kTestToken;

class SecurityAppTest : public ::testing::Test {
 protected:
  SecurityAppTest() {
    environment_.now = TestNow();
    environment_.token = kTestToken;
    inventory_.AddDevice(MakeDevice("PT-00001", "SN-1", "Infusia 500", "12.1.3", "general", "5-west", "501",
                                    v1::OPERATING_STATE_IDLE, absl::Seconds(5)));
  }

  // Runs `pumptrack --insecure --server <test server> <args...>`.
  RunResult RunAgainstServer(std::initializer_list<std::string> args) {
    std::vector<std::string> all = {"--insecure", "--server", server_.address()};
    all.insert(all.end(), args);
    return RunWith(all);
  }

  RunResult RunWith(const std::vector<std::string>& args) { return RunCli(args, environment_); }

  void SetVerdict(bool ok, uint64_t entries, uint64_t first_bad_index, const std::string& reason) {
    v1::VerifyAuditResponse verdict;
    verdict.set_ok(ok);
    verdict.set_entries(entries);
    verdict.set_first_bad_index(first_bad_index);
    verdict.set_reason(reason);
    audit_.SetVerdict(verdict);
  }

  FakeAuth auth_;
  FakeInventoryService inventory_;
  FakeTokenService tokens_{auth_};
  FakeAgentRegistryService agents_{auth_};
  FakeAuditService audit_{auth_};
  TestServer server_{{&inventory_, &tokens_, &agents_, &audit_}};
  Environment environment_;
};

TEST_F(SecurityAppTest, TokensCreatePutsTheSecretOnTheLastLine) {
  const RunResult result =
      RunAgainstServer({"tokens", "create", "--name=alice.biomed", "--role=asset_manager", "--ttl=90d"});
  ASSERT_EQ(result.exit_code, kExitOk) << result.err;
  EXPECT_EQ(result.err, "");
  EXPECT_EQ(Lines(result.out).back(), "ptk_CreatedSecret1");  // what `| tail -1` gives
  EXPECT_THAT(result.out,
              StartsWith("ID:       tok_0000000000000001\nName:     alice.biomed\nRole:     asset_manager\n"));
  EXPECT_THAT(result.out, HasSubstr("Expires:  2027-02-27 10:05:00Z (in 90d)\n"));
  ASSERT_THAT(tokens_.create_requests(), SizeIs(1));
  EXPECT_EQ(tokens_.create_requests()[0].role(), v1::ROLE_ASSET_MANAGER);
  EXPECT_EQ(tokens_.create_requests()[0].ttl().seconds(), 90 * 24 * 3600);
  EXPECT_THAT(auth_.headers(), ElementsAre(kBearer));
}

TEST_F(SecurityAppTest, TokensCreateAsJson) {
  const RunResult result =
      RunAgainstServer({"tokens", "create", "--name", "grafana", "--role", "Viewer", "--output=json"});
  ASSERT_EQ(result.exit_code, kExitOk) << result.err;
  v1::CreateTokenResponse parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(result.out, &parsed).ok()) << result.out;
  EXPECT_EQ(parsed.secret(), "ptk_CreatedSecret1");
  EXPECT_EQ(parsed.token().role(), v1::ROLE_VIEWER);
}

TEST_F(SecurityAppTest, TokensListAndRevoke) {
  ASSERT_EQ(RunAgainstServer({"tokens", "create", "--name=grafana", "--role=viewer"}).exit_code, kExitOk);
  const RunResult revoked = RunAgainstServer({"tokens", "revoke", "tok_0000000000000001"});
  ASSERT_EQ(revoked.exit_code, kExitOk) << revoked.err;
  EXPECT_EQ(revoked.out, "Revoked token tok_0000000000000001 (grafana) at 2026-11-29 10:05:00Z.\n");

  const RunResult listed = RunAgainstServer({"tokens", "list"});
  ASSERT_EQ(listed.exit_code, kExitOk) << listed.err;
  EXPECT_EQ(listed.out,
            "ID                    NAME     ROLE    CREATED               EXPIRES  STATE    CREATED BY\n"
            "tok_0000000000000001  grafana  viewer  2026-11-29 10:05:00Z  never    revoked  root\n");
  EXPECT_THAT(listed.out, Not(HasSubstr("ptk_")));

  const RunResult unknown = RunAgainstServer({"tokens", "revoke", "tok_ffffffffffffffff"});
  EXPECT_EQ(unknown.exit_code, kExitFailure);
  EXPECT_EQ(unknown.err, "pumptrack: token tok_ffffffffffffffff not found (NOT_FOUND)\n");
}

TEST_F(SecurityAppTest, AgentsEnrollListRevoke) {
  const RunResult enrolled = RunAgainstServer({"agents", "enroll", "gw-5west-01", "--note=5 West, rack B"});
  ASSERT_EQ(enrolled.exit_code, kExitOk) << enrolled.err;
  EXPECT_EQ(enrolled.out, "Enrolled agent gw-5west-01 at 2026-11-29 10:05:00Z by root (note: 5 West, rack B).\n");
  const RunResult revoked = RunAgainstServer({"agents", "revoke", "gw-5west-01"});
  ASSERT_EQ(revoked.exit_code, kExitOk) << revoked.err;
  EXPECT_THAT(revoked.out, StartsWith("Revoked agent gw-5west-01 at 2026-11-29 10:05:00Z by root"));
  const RunResult listed = RunAgainstServer({"agents", "list"});
  ASSERT_EQ(listed.exit_code, kExitOk) << listed.err;
  EXPECT_EQ(listed.out,
            "AGENT        STATE    ENROLLED              BY    REVOKED                       NOTE\n"
            "gw-5west-01  revoked  2026-11-29 10:05:00Z  root  2026-11-29 10:05:00Z by root  5 West, rack B\n");
  const RunResult unknown = RunAgainstServer({"agents", "revoke", "gw-nowhere"});
  EXPECT_EQ(unknown.exit_code, kExitFailure);
  EXPECT_EQ(unknown.err, "pumptrack: agent gw-nowhere not found (NOT_FOUND)\n");
}

TEST_F(SecurityAppTest, AuditListSinceActorAndLimit) {
  audit_.SetEntries({
      MakeAuditEntry(1, absl::Hours(30), v1::ACTOR_KIND_OPERATOR, "operator", "token.create", "tok_a", "", "live"),
      MakeAuditEntry(2, absl::Hours(3), v1::ACTOR_KIND_TOKEN, "root", "agent.enroll", "gw-1", "", "enrolled"),
      MakeAuditEntry(3, absl::Hours(2), v1::ACTOR_KIND_TOKEN, "root", "agent.revoke", "gw-1", "enrolled", "revoked"),
      MakeAuditEntry(4, absl::Hours(1), v1::ACTOR_KIND_TOKEN, "root", "agent.enroll", "gw-2", "", "enrolled"),
  });
  audit_.SetMaxPageSize(1);
  const RunResult result = RunAgainstServer({"audit", "list", "--since", "24h", "--actor", "root", "--limit", "2"});
  ASSERT_EQ(result.exit_code, kExitOk) << result.err;
  EXPECT_EQ(result.out,
            "INDEX  TIME                  ACTOR       ACTION        TARGET  BEFORE -> AFTER\n"
            "2      2026-11-29 07:05:00Z  token:root  agent.enroll  gw-1    - -> enrolled\n"
            "3      2026-11-29 08:05:00Z  token:root  agent.revoke  gw-1    enrolled -> revoked\n");
  ASSERT_THAT(audit_.list_requests(), SizeIs(2));
  EXPECT_EQ(ToAbslTime(audit_.list_requests()[0].start_time()), TestNow() - absl::Hours(24));
  EXPECT_FALSE(audit_.list_requests()[0].has_end_time());
  EXPECT_EQ(audit_.list_requests()[0].actor(), "root");
  EXPECT_EQ(audit_.list_requests()[1].page_token(), "1");
}

TEST_F(SecurityAppTest, TokensAgentsAndAuditListAsCsv) {
  ASSERT_EQ(RunAgainstServer({"tokens", "create", "--name=grafana, ward 5", "--role=viewer"}).exit_code, kExitOk);
  const RunResult tokens = RunAgainstServer({"tokens", "list", "--output=csv"});
  ASSERT_EQ(tokens.exit_code, kExitOk) << tokens.err;
  EXPECT_EQ(tokens.out,
            "id,name,role,created_at,created_by,expires_at,revoked_at,directory_user\r\n"
            "tok_0000000000000001,\"grafana, ward 5\",viewer,2026-11-29T10:05:00Z,root,,,\r\n");
  EXPECT_THAT(tokens.out, Not(HasSubstr("ptk_")));

  ASSERT_EQ(RunAgainstServer({"agents", "enroll", "gw-5west-01", "--note=5 West, \"rack B\""}).exit_code, kExitOk);
  const RunResult agents = RunAgainstServer({"agents", "list", "--output=csv"});
  ASSERT_EQ(agents.exit_code, kExitOk) << agents.err;
  EXPECT_EQ(agents.out,
            "agent_id,state,enrolled_at,enrolled_by,revoked_at,revoked_by,note\r\n"
            "gw-5west-01,enrolled,2026-11-29T10:05:00Z,root,,,\"5 West, \"\"rack B\"\"\"\r\n");

  audit_.SetEntries({
      MakeAuditEntry(1, absl::Hours(2), v1::ACTOR_KIND_TOKEN, "root", "agent.revoke", "gw-1", "enrolled", "revoked"),
      MakeAuditEntry(2, absl::Hours(1), v1::ACTOR_KIND_OPERATOR, "operator", "token.create", "tok_a", "", "live"),
  });
  audit_.SetMaxPageSize(1);
  const RunResult audit = RunAgainstServer({"audit", "list", "--output=csv"});
  ASSERT_EQ(audit.exit_code, kExitOk) << audit.err;
  EXPECT_EQ(audit.out,
            "index,time,actor_kind,actor,action,target,before,after\r\n"
            "1,2026-11-29T08:05:00Z,token,root,agent.revoke,gw-1,enrolled,revoked\r\n"
            "2,2026-11-29T09:05:00Z,operator,operator,token.create,tok_a,,live\r\n");
}

TEST_F(SecurityAppTest, AuditListStartAndEnd) {
  const RunResult result =
      RunAgainstServer({"audit", "list", "--start", "2026-11-28T00:00:00Z", "--end", "2026-11-29T00:00:00Z"});
  ASSERT_EQ(result.exit_code, kExitOk) << result.err;
  EXPECT_EQ(result.out, "No audit entries found.\n");
  ASSERT_THAT(audit_.list_requests(), SizeIs(1));
  EXPECT_EQ(FormatTimestamp(ToAbslTime(audit_.list_requests()[0].start_time())), "2026-11-28 00:00:00Z");
  EXPECT_EQ(FormatTimestamp(ToAbslTime(audit_.list_requests()[0].end_time())), "2026-11-29 00:00:00Z");
}

TEST_F(SecurityAppTest, AuditVerifyOkExitsZero) {
  SetVerdict(true, 3, 0, "");
  const RunResult result = RunAgainstServer({"audit", "verify"});
  EXPECT_EQ(result.exit_code, kExitOk) << result.err;
  EXPECT_EQ(result.out, "audit log OK: 3 entries verified\n");
  EXPECT_EQ(result.err, "");
}

TEST_F(SecurityAppTest, AuditVerifyBrokenExitsThree) {
  SetVerdict(false, 9, 7, "previous_hash does not match entry 6's hash");
  const RunResult result = RunAgainstServer({"audit", "verify"});
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_EQ(result.exit_code, kExitAuditBroken);
  EXPECT_EQ(result.out, "audit log BROKEN at entry 7: previous_hash does not match entry 6's hash\n");
  EXPECT_EQ(result.err, "");

  const RunResult json = RunAgainstServer({"--output=json", "audit", "verify"});
  EXPECT_EQ(json.exit_code, kExitAuditBroken);
  EXPECT_THAT(json.out, HasSubstr("\"ok\": false"));
}

TEST_F(SecurityAppTest, AuditVerifyThatCannotRunExitsOne) {
  auth_.DenyAll(true);
  const RunResult result = RunAgainstServer({"audit", "verify"});
  EXPECT_EQ(result.exit_code, kExitFailure);
  EXPECT_EQ(result.err,
            "pumptrack: permission denied: audit log: the caller may not use this method (PERMISSION_DENIED)\n");
}

TEST_F(SecurityAppTest, AuditExportPrintsJsonLinesOfEveryPage) {
  std::vector<v1::AuditEntry> entries;
  for (uint64_t index = 1; index <= 7; ++index) {
    entries.push_back(MakeAuditEntry(index, absl::Hours(10 - static_cast<int64_t>(index)), v1::ACTOR_KIND_TOKEN, "root",
                                     "token.create", absl::StrCat("tok_", index), "", "live"));
  }
  audit_.SetEntries(entries);
  audit_.SetMaxPageSize(3);
  const RunResult result = RunAgainstServer({"audit", "export"});
  ASSERT_EQ(result.exit_code, kExitOk) << result.err;
  const std::vector<std::string> lines = Lines(result.out);
  ASSERT_THAT(lines, SizeIs(7));
  for (std::size_t i = 0; i < lines.size(); ++i) {
    v1::AuditEntry parsed;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(lines[i], &parsed).ok()) << lines[i];
    EXPECT_EQ(parsed.index(), i + 1);
    EXPECT_EQ(parsed.previous_hash(), entries[i].previous_hash());
  }
  EXPECT_THAT(audit_.list_requests(), SizeIs(3));
}

TEST_F(SecurityAppTest, AuditExportSince) {
  ASSERT_EQ(RunAgainstServer({"audit", "export", "--since", "7d"}).exit_code, kExitOk);
  ASSERT_THAT(audit_.list_requests(), SizeIs(1));
  EXPECT_EQ(ToAbslTime(audit_.list_requests()[0].start_time()), TestNow() - absl::Hours(24 * 7));
}

// --- where the token comes from --------------------------------------------------------------------------------------

TEST_F(SecurityAppTest, TokenDefaultsToTheEnvironment) {
  ASSERT_EQ(RunAgainstServer({"agents", "list"}).exit_code, kExitOk);
  EXPECT_THAT(auth_.headers(), ElementsAre(kBearer));
}

TEST_F(SecurityAppTest, TokenFlagOverridesTheEnvironment) {
  environment_.token = "ptk_FromTheEnvironment";
  auth_.ExpectToken("ptk_FromTheFlag");
  const RunResult result = RunAgainstServer({"agents", "list", "--token", "ptk_FromTheFlag"});
  EXPECT_EQ(result.exit_code, kExitOk) << result.err;
  EXPECT_THAT(auth_.headers(), ElementsAre("Bearer ptk_FromTheFlag"));
  // Before the subcommand, and with =, too.
  ASSERT_EQ(RunAgainstServer({"--token=ptk_FromTheFlag", "agents", "list"}).exit_code, kExitOk);
}

TEST_F(SecurityAppTest, SurroundingWhitespaceOfTheTokenIsDropped) {
  environment_.token = std::string(kTestToken) + "\n";
  EXPECT_EQ(RunAgainstServer({"agents", "list"}).exit_code, kExitOk);
  EXPECT_THAT(auth_.headers(), ElementsAre(kBearer));
}

TEST_F(SecurityAppTest, InventoryCommandsSendTheTokenToo) {
  ASSERT_EQ(RunAgainstServer({"devices", "list"}).exit_code, kExitOk);
  ASSERT_EQ(RunAgainstServer({"locate", "PT-00001", "--token", "ptk_Other"}).exit_code, kExitOk);
  EXPECT_THAT(inventory_.authorization_headers(), ElementsAre(kBearer, "Bearer ptk_Other"));
}

TEST_F(SecurityAppTest, WithoutAnyTokenNoHeaderIsSentAndTheErrorSaysWhatToDo) {
  environment_.token.clear();
  const RunResult result = RunAgainstServer({"tokens", "list"});
  EXPECT_EQ(result.exit_code, kExitFailure);
  EXPECT_EQ(result.err, "pumptrack: not authenticated: pass --token or set PUMPTRACK_TOKEN (UNAUTHENTICATED)\n");
  EXPECT_EQ(result.out, "");
  EXPECT_THAT(auth_.headers(), ElementsAre(""));
}

// --- the token never reaches the error output ------------------------------------------------------------------------

TEST_F(SecurityAppTest, ARefusedTokenIsNotEchoed) {
  const std::string secret = "ptk_RefusedSecret-abc_123";
  const RunResult result = RunAgainstServer({"--token", secret, "tokens", "list"});
  EXPECT_EQ(result.exit_code, kExitFailure);
  EXPECT_THAT(result.err, StartsWith("pumptrack: not authenticated: the server refused the token"));
  EXPECT_THAT(result.err, Not(HasSubstr(secret)));
  EXPECT_THAT(result.err, Not(HasSubstr("RefusedSecret")));
}

TEST_F(SecurityAppTest, AServerMessageQuotingTheTokenIsRedacted) {
  const std::string secret = "not-a-ptk-looking-secret";
  environment_.token = secret;
  auth_.ExpectToken(secret);
  auth_.DenyAll(true);
  // A (misbehaving) server that quotes what it got.
  auth_.SetUnauthenticatedMessage(absl::StrCat("token ", secret, " is unknown"));
  tokens_.AddToken(v1::Token());
  const RunResult denied = RunAgainstServer({"tokens", "revoke", secret});
  EXPECT_EQ(denied.exit_code, kExitFailure);
  EXPECT_THAT(denied.err, Not(HasSubstr(secret)));
  EXPECT_THAT(denied.err, HasSubstr("<redacted>"));
}

TEST_F(SecurityAppTest, ASecretMistakenForAnIdIsRedacted) {
  const RunResult result = RunAgainstServer({"tokens", "revoke", "ptk_PastedByMistake0123"});
  EXPECT_EQ(result.exit_code, kExitFailure);
  EXPECT_EQ(result.err, "pumptrack: token <redacted> not found (NOT_FOUND)\n");
}

TEST_F(SecurityAppTest, UsageErrorsNeverShowTheToken) {
  const std::string secret = "ptk_UsageSecret";
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"--token", secret, "tokens", "create", "--name=x", "--role=boss"},
           {"--token", secret, "tokens", "frobnicate"},
           {"--token=" + secret, "agents", "list", "extra"},
           {"tokens", "list", "--token", secret, secret},
           {"--token", "has space" + secret, "tokens", "list"},
       }) {
    const RunResult result = RunWith(args);
    EXPECT_EQ(result.exit_code, kExitUsage) << args[0];
    EXPECT_THAT(result.err, Not(HasSubstr(secret))) << result.err;
    EXPECT_THAT(result.err, Not(HasSubstr("UsageSecret"))) << result.err;
  }
  EXPECT_EQ(auth_.calls(), 0);
}

TEST_F(SecurityAppTest, AnUnusableTokenIsAUsageErrorNamingItsSource) {
  const RunResult flag = RunAgainstServer({"--token", "two words", "agents", "list"});
  EXPECT_EQ(flag.exit_code, kExitUsage);
  EXPECT_EQ(flag.err, "pumptrack: --token: the token must be printable ASCII without spaces (see pumptrack --help)\n");
  environment_.token = "line\nbreak";
  const RunResult env = RunAgainstServer({"agents", "list"});
  EXPECT_EQ(env.exit_code, kExitUsage);
  EXPECT_EQ(env.err,
            "pumptrack: PUMPTRACK_TOKEN: the token must be printable ASCII without spaces (see pumptrack --help)\n");
  EXPECT_EQ(auth_.calls(), 0);
}

TEST_F(SecurityAppTest, HelpDoesNotShowTheToken) {
  const RunResult result = RunWith({"--help"});
  EXPECT_EQ(result.exit_code, kExitOk);
  EXPECT_THAT(result.out, HasSubstr("--token"));
  EXPECT_THAT(result.out, HasSubstr("tokens"));
  EXPECT_THAT(result.out, HasSubstr("agents"));
  EXPECT_THAT(result.out, HasSubstr("audit"));
  EXPECT_THAT(result.out, Not(HasSubstr(kTestToken)));
}

TEST_F(SecurityAppTest, PlaintextToARemoteServerWarnsWithoutFailing) {
  // Nothing listens there; the warning comes first and names the server, never the token.
  const RunResult result = RunWith({"--insecure", "--server", "192.0.2.1:1", "--timeout", "100ms", "agents", "list"});
  EXPECT_EQ(result.exit_code, kExitFailure);
  EXPECT_THAT(result.err, StartsWith("pumptrack: warning: --insecure sends the token unencrypted to 192.0.2.1:1\n"));
  EXPECT_THAT(result.err, Not(HasSubstr(kTestToken)));
  EXPECT_EQ(RunAgainstServer({"agents", "list"}).err, "");
}

// --- usage errors ----------------------------------------------------------------------------------------------------

class SecurityUsageErrorTest : public SecurityAppTest, public ::testing::WithParamInterface<UsageCase> {};

TEST_P(SecurityUsageErrorTest, PrintsOneLineExitsTwoAndSendsNothing) {
  std::vector<std::string> args = {"--insecure", "--server", server_.address()};
  args.insert(args.end(), GetParam().args.begin(), GetParam().args.end());
  const RunResult result = RunWith(args);
  EXPECT_EQ(result.exit_code, kExitUsage);
  EXPECT_EQ(result.err, absl::StrCat("pumptrack: ", GetParam().error, " (see pumptrack --help)\n"));
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(auth_.calls(), 0);
}

INSTANTIATE_TEST_SUITE_P(
    CommandLines, SecurityUsageErrorTest,
    ::testing::Values(
        UsageCase{{"tokens"}, "A subcommand is required"},
        UsageCase{
            {"tokens", "create", "--name=x", "--role=boss"},
            "--role: 'boss' is not a role; expected viewer, transport, asset_manager, auditor, admin or technician"},
        UsageCase{{"tokens", "create", "--name=x", "--role="}, "--role: 1 required ROLE missing"},
        UsageCase{{"tokens", "create", "--name=x", "--role=ROLE_ADMIN"},
                  "--role: 'ROLE_ADMIN' is not a role; expected viewer, transport, asset_manager, auditor, admin or "
                  "technician"},
        UsageCase{{"tokens", "create", "--name=x"}, "--role is required"},
        UsageCase{{"tokens", "create", "--role=admin"}, "--name is required"},
        UsageCase{{"tokens", "create", "--name=x", "--role=admin", "--ttl=forever"},
                  "--ttl: 'forever' is not a duration; expected e.g. 30s, 15m, 1h30m or 7d"},
        UsageCase{{"tokens", "revoke"}, "ID is required"}, UsageCase{{"agents"}, "A subcommand is required"},
        UsageCase{{"agents", "enroll"}, "AGENT_ID is required"},
        UsageCase{{"agents", "enroll", "gw 1"}, "AGENT_ID: must be 1-64 characters from [A-Za-z0-9._:-]"},
        UsageCase{{"agents", "revoke", std::string(65, 'a')}, "AGENT_ID: must be 1-64 characters from [A-Za-z0-9._:-]"},
        UsageCase{{"audit"}, "A subcommand is required"},
        UsageCase{{"audit", "list", "--since", "1h", "--start", "2026-11-29T00:00:00Z"}, "--since excludes --start"},
        UsageCase{{"audit", "list", "--limit", "0"}, "--limit: '0' is not a whole number of at least 1"},
        UsageCase{{"audit", "list", "--end", "yesterday"},
                  "--end: 'yesterday' is not an RFC 3339 time; expected e.g. 2026-11-29T10:02:11Z"},
        UsageCase{{"audit", "export", "--start", "2026-11-29T00:00:00Z", "--end", "2026-11-28T00:00:00Z"},
                  "the time range is empty: its start is not before --end"},
        UsageCase{{"audit", "export", "--limit", "5"}, "The following arguments were not expected: 5 --limit"}));

}  // namespace
}  // namespace pumptrack::cli
