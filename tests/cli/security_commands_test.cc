// The token, agent and audit commands against real gRPC servers on 127.0.0.1 that check the bearer token.
#include "cli/security_commands.h"

#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "cli/errors.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/cli/fake_inventory_service.h"
#include "tests/cli/fake_security_services.h"

namespace pumptrack::cli {
namespace {

using ::testing::Each;
using ::testing::ElementsAre;
using ::testing::EndsWith;
using testing::FakeAgentRegistryService;
using testing::FakeAuditService;
using testing::FakeAuth;
using testing::FakeTokenService;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::kTestToken;
using testing::MakeAuditEntry;
using ::testing::Not;
using ::testing::SizeIs;
using testing::TestNow;
using testing::TestServer;

const std::string kExpectedHeader = std::string("Bearer ") + kTestToken;

v1::Token StoredToken(const std::string& id, const std::string& name, v1::Role role) {
  v1::Token token;
  token.set_id(id);
  token.set_name(name);
  token.set_role(role);
  *token.mutable_created_at() = ToProtoTimestamp(TestNow() - absl::Hours(48));
  token.set_created_by("operator");
  return token;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines = absl::StrSplit(text, '\n');
  if (!lines.empty() && lines.back().empty()) lines.pop_back();
  return lines;
}

class SecurityCommandsTest : public ::testing::Test {
 protected:
  SecurityCommandsTest() {
    connection_.server = server_.address();
    connection_.insecure = true;
    connection_.token = kTestToken;
  }

  template <typename Service>
  ServiceContext<Service> Context(typename Service::StubInterface& stub, OutputFormat format) {
    return {.stub = stub, .connection = connection_, .format = format, .now = TestNow(), .out = out_};
  }
  TokenContext Tokens(OutputFormat format = OutputFormat::kTable) {
    return Context<v1::TokenService>(*token_stub_, format);
  }
  AgentContext Agents(OutputFormat format = OutputFormat::kTable) {
    return Context<v1::AgentRegistryService>(*agent_stub_, format);
  }
  AuditContext Audit(OutputFormat format = OutputFormat::kTable) {
    return Context<v1::AuditService>(*audit_stub_, format);
  }

  std::vector<std::string> RequestedAuditPageTokens() const {
    std::vector<std::string> page_tokens;
    for (const v1::ListAuditRequest& request : audit_.list_requests()) page_tokens.push_back(request.page_token());
    return page_tokens;
  }

  // Five entries an hour apart, the newest 1h before TestNow().
  void AddFiveAuditEntries() {
    audit_.SetEntries({
        MakeAuditEntry(1, absl::Hours(5), v1::ACTOR_KIND_OPERATOR, "operator", "token.create", "tok_a", "",
                       "live admin"),
        MakeAuditEntry(2, absl::Hours(4), v1::ACTOR_KIND_TOKEN, "root", "agent.enroll", "gw-5west-01", "", "enrolled"),
        MakeAuditEntry(3, absl::Hours(3), v1::ACTOR_KIND_AGENT, "gw-rogue", "agent.denied", "gw-rogue", "",
                       "not enrolled"),
        MakeAuditEntry(4, absl::Hours(2), v1::ACTOR_KIND_TOKEN, "root", "token.revoke", "tok_b", "live viewer",
                       "revoked"),
        MakeAuditEntry(5, absl::Hours(1), v1::ACTOR_KIND_TOKEN, "alice", "agent.revoke", "gw-5west-01", "enrolled",
                       "revoked"),
    });
  }

  FakeAuth auth_;
  FakeTokenService tokens_{auth_};
  FakeAgentRegistryService agents_{auth_};
  FakeAuditService audit_{auth_};
  TestServer server_{{&tokens_, &agents_, &audit_}};
  std::shared_ptr<grpc::Channel> channel_ = grpc::CreateChannel(server_.address(), grpc::InsecureChannelCredentials());
  std::unique_ptr<v1::TokenService::Stub> token_stub_ = v1::TokenService::NewStub(channel_);
  std::unique_ptr<v1::AgentRegistryService::Stub> agent_stub_ = v1::AgentRegistryService::NewStub(channel_);
  std::unique_ptr<v1::AuditService::Stub> audit_stub_ = v1::AuditService::NewStub(channel_);
  ConnectionOptions connection_;
  std::ostringstream out_;
};

// --- tokens ----------------------------------------------------------------------------------------------------------

TEST_F(SecurityCommandsTest, CreateTokenPrintsTheDetailsAndTheSecretOnTheLastLine) {
  ASSERT_TRUE(
      CreateToken(Tokens(), {.name = "alice.biomed", .role = v1::ROLE_ASSET_MANAGER, .ttl = absl::Hours(24 * 30)})
          .ok());
  EXPECT_EQ(out_.str(),
            "ID:       tok_0000000000000001\n"
            "Name:     alice.biomed\n"
            "Role:     asset_manager\n"
            "Created:  2026-11-29 10:05:00Z (just now)\n"
            "Expires:  2026-12-29 10:05:00Z (in 30d)\n"
            "Secret (shown only this once; send it as \"authorization: Bearer <secret>\" or set PUMPTRACK_TOKEN):\n"
            "ptk_CreatedSecret1\n");
  EXPECT_EQ(Lines(out_.str()).back(), "ptk_CreatedSecret1");
  ASSERT_THAT(tokens_.create_requests(), SizeIs(1));
  const v1::CreateTokenRequest request = tokens_.create_requests()[0];
  EXPECT_EQ(request.name(), "alice.biomed");
  EXPECT_EQ(request.role(), v1::ROLE_ASSET_MANAGER);
  EXPECT_EQ(request.ttl().seconds(), 30 * 24 * 3600);
  EXPECT_THAT(auth_.headers(), ElementsAre(kExpectedHeader));
}

TEST_F(SecurityCommandsTest, CreateTokenWithoutTtlNeverExpires) {
  ASSERT_TRUE(CreateToken(Tokens(), {.name = "grafana", .role = v1::ROLE_VIEWER}).ok());
  EXPECT_THAT(out_.str(), HasSubstr("Expires:  never\n"));
  EXPECT_FALSE(tokens_.create_requests()[0].has_ttl());
}

TEST_F(SecurityCommandsTest, CreateTokenAsJsonIsTheResponse) {
  ASSERT_TRUE(CreateToken(Tokens(OutputFormat::kJson), {.name = "grafana", .role = v1::ROLE_VIEWER}).ok());
  v1::CreateTokenResponse parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(out_.str(), &parsed).ok()) << out_.str();
  EXPECT_EQ(parsed.secret(), "ptk_CreatedSecret1");
  EXPECT_EQ(parsed.token().name(), "grafana");
  EXPECT_EQ(parsed.token().role(), v1::ROLE_VIEWER);
}

TEST_F(SecurityCommandsTest, CreateTokenReportsTheServersRefusal) {
  ASSERT_TRUE(CreateToken(Tokens(), {.name = "grafana", .role = v1::ROLE_VIEWER}).ok());
  out_.str("");
  const absl::Status status = CreateToken(Tokens(), {.name = "grafana", .role = v1::ROLE_ADMIN});
  EXPECT_EQ(status.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(status.message(), "token grafana: a live token has this name");
  EXPECT_EQ(out_.str(), "");
}

TEST_F(SecurityCommandsTest, ListTokensShowsEachStateWithoutSecrets) {
  v1::Token live = StoredToken("tok_0000000000000001", "root", v1::ROLE_ADMIN);
  v1::Token expiring = StoredToken("tok_0000000000000002", "grafana", v1::ROLE_VIEWER);
  *expiring.mutable_expires_at() = ToProtoTimestamp(TestNow() + absl::Hours(24));
  expiring.set_created_by("root");
  v1::Token expired = StoredToken("tok_0000000000000003", "bob.transport", v1::ROLE_TRANSPORT);
  *expired.mutable_expires_at() = ToProtoTimestamp(TestNow() - absl::Hours(1));
  v1::Token revoked = StoredToken("tok_0000000000000004", "carol", v1::ROLE_AUDITOR);
  *revoked.mutable_revoked_at() = ToProtoTimestamp(TestNow() - absl::Hours(2));
  for (const v1::Token& token : {live, expiring, expired, revoked}) tokens_.AddToken(token);

  ASSERT_TRUE(ListTokens(Tokens()).ok());
  EXPECT_EQ(out_.str(),
            "ID                    NAME           ROLE       CREATED               EXPIRES               STATE    "
            "CREATED BY\n"
            "tok_0000000000000001  root           admin      2026-11-27 10:05:00Z  never                 live     "
            "operator\n"
            "tok_0000000000000002  grafana        viewer     2026-11-27 10:05:00Z  2026-11-30 10:05:00Z  live     "
            "root\n"
            "tok_0000000000000003  bob.transport  transport  2026-11-27 10:05:00Z  2026-11-29 09:05:00Z  expired  "
            "operator\n"
            "tok_0000000000000004  carol          auditor    2026-11-27 10:05:00Z  never                 revoked  "
            "operator\n");
  EXPECT_THAT(auth_.headers(), ElementsAre(kExpectedHeader));
}

TEST_F(SecurityCommandsTest, ListTokensEmptyAndAsJson) {
  ASSERT_TRUE(ListTokens(Tokens()).ok());
  EXPECT_EQ(out_.str(), "No tokens found.\n");
  out_.str("");
  ASSERT_TRUE(ListTokens(Tokens(OutputFormat::kJson)).ok());
  EXPECT_EQ(out_.str(), "[]\n");
  tokens_.AddToken(StoredToken("tok_0000000000000001", "root", v1::ROLE_ADMIN));
  out_.str("");
  ASSERT_TRUE(ListTokens(Tokens(OutputFormat::kJson)).ok());
  EXPECT_THAT(out_.str(), HasSubstr("\"role\": \"ROLE_ADMIN\""));
  EXPECT_THAT(out_.str(), HasSubstr("\"id\": \"tok_0000000000000001\""));
}

TEST_F(SecurityCommandsTest, RevokeTokenSaysWhichAndWhen) {
  tokens_.AddToken(StoredToken("tok_0000000000000007", "grafana", v1::ROLE_VIEWER));
  ASSERT_TRUE(RevokeToken(Tokens(), "tok_0000000000000007").ok());
  EXPECT_EQ(out_.str(), "Revoked token tok_0000000000000007 (grafana) at 2026-11-29 10:05:00Z.\n");
  ASSERT_THAT(tokens_.revoke_requests(), SizeIs(1));
  EXPECT_EQ(tokens_.revoke_requests()[0].id(), "tok_0000000000000007");
}

TEST_F(SecurityCommandsTest, RevokeUnknownTokenIsNotFound) {
  const absl::Status status = RevokeToken(Tokens(), "tok_ffffffffffffffff");
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(status.message(), "token tok_ffffffffffffffff not found");
  EXPECT_EQ(out_.str(), "");
}

// --- agents ----------------------------------------------------------------------------------------------------------

TEST_F(SecurityCommandsTest, EnrollListAndRevokeAgents) {
  ASSERT_TRUE(EnrollAgent(Agents(), "gw-5west-01", "5 West ward gateway, rack B").ok());
  EXPECT_EQ(out_.str(),
            "Enrolled agent gw-5west-01 at 2026-11-29 10:05:00Z by root (note: 5 West ward gateway, rack B).\n");
  ASSERT_THAT(agents_.enroll_requests(), SizeIs(1));
  EXPECT_EQ(agents_.enroll_requests()[0].note(), "5 West ward gateway, rack B");

  ASSERT_TRUE(EnrollAgent(Agents(), "gw-icu-02", "").ok());
  out_.str("");
  ASSERT_TRUE(RevokeAgent(Agents(), "gw-icu-02").ok());
  EXPECT_EQ(out_.str(),
            "Revoked agent gw-icu-02 at 2026-11-29 10:05:00Z by root; its calls are refused from now on.\n");

  out_.str("");
  ASSERT_TRUE(ListAgents(Agents()).ok());
  EXPECT_EQ(
      out_.str(),
      "AGENT        STATE     ENROLLED              BY    REVOKED                       NOTE\n"
      "gw-5west-01  enrolled  2026-11-29 10:05:00Z  root  -                             5 West ward gateway, rack B\n"
      "gw-icu-02    revoked   2026-11-29 10:05:00Z  root  2026-11-29 10:05:00Z by root  -\n");
  EXPECT_THAT(auth_.headers(), SizeIs(4));
  EXPECT_THAT(auth_.headers(), Each(kExpectedHeader));
}

TEST_F(SecurityCommandsTest, AgentNotesCannotDriveTheTerminal) {
  v1::Agent agent;
  agent.set_agent_id("gw-1");
  agent.set_state(v1::AGENT_STATE_ENROLLED);
  agent.set_note("rack B\n\x1b[2Jfake line");
  agents_.AddAgent(agent);
  ASSERT_TRUE(ListAgents(Agents()).ok());
  EXPECT_THAT(out_.str(), HasSubstr("rack B\\n\\x1b[2Jfake line\n"));
  EXPECT_THAT(Lines(out_.str()), SizeIs(2));
}

TEST_F(SecurityCommandsTest, ListAgentsEmptyAndAsJson) {
  ASSERT_TRUE(ListAgents(Agents()).ok());
  EXPECT_EQ(out_.str(), "No agents enrolled.\n");
  ASSERT_TRUE(EnrollAgent(Agents(), "gw-1", "").ok());
  out_.str("");
  ASSERT_TRUE(ListAgents(Agents(OutputFormat::kJson)).ok());
  EXPECT_THAT(out_.str(), HasSubstr("\"agentId\": \"gw-1\""));
  EXPECT_THAT(out_.str(), HasSubstr("\"state\": \"AGENT_STATE_ENROLLED\""));
}

TEST_F(SecurityCommandsTest, RevokeUnknownAgentIsNotFound) {
  const absl::Status status = RevokeAgent(Agents(), "gw-nowhere");
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(status.message(), "agent gw-nowhere not found");
}

// --- audit -----------------------------------------------------------------------------------------------------------

TEST_F(SecurityCommandsTest, ListAuditFollowsEveryPage) {
  AddFiveAuditEntries();
  audit_.SetMaxPageSize(2);
  ASSERT_TRUE(ListAudit(Audit(), {}).ok());
  EXPECT_THAT(RequestedAuditPageTokens(), ElementsAre("", "2", "4"));
  EXPECT_EQ(out_.str(),
            "INDEX  TIME                  ACTOR              ACTION        TARGET       BEFORE -> AFTER\n"
            "1      2026-11-29 05:05:00Z  operator:operator  token.create  tok_a        - -> live admin\n"
            "2      2026-11-29 06:05:00Z  token:root         agent.enroll  gw-5west-01  - -> enrolled\n"
            "3      2026-11-29 07:05:00Z  agent:gw-rogue     agent.denied  gw-rogue     - -> not enrolled\n"
            "4      2026-11-29 08:05:00Z  token:root         token.revoke  tok_b        live viewer -> revoked\n"
            "5      2026-11-29 09:05:00Z  token:alice        agent.revoke  gw-5west-01  enrolled -> revoked\n");
  EXPECT_THAT(auth_.headers(), ElementsAre(kExpectedHeader, kExpectedHeader, kExpectedHeader));
}

TEST_F(SecurityCommandsTest, ListAuditSendsTheFiltersWithEveryPage) {
  AddFiveAuditEntries();
  audit_.SetMaxPageSize(1);
  const AuditQuery query{.start = TestNow() - absl::Hours(4),
                         .end = TestNow() - absl::Minutes(30),
                         .actor = "root",
                         .limit = std::nullopt};
  const std::vector<v1::AuditEntry> entries = FetchAudit(*audit_stub_, connection_, query).value();
  ASSERT_THAT(entries, SizeIs(2));
  EXPECT_EQ(entries[0].index(), 2u);
  EXPECT_EQ(entries[1].index(), 4u);
  ASSERT_THAT(audit_.list_requests(), SizeIs(2));
  for (const v1::ListAuditRequest& request : audit_.list_requests()) {
    EXPECT_EQ(ToAbslTime(request.start_time()), TestNow() - absl::Hours(4));
    EXPECT_EQ(ToAbslTime(request.end_time()), TestNow() - absl::Minutes(30));
    EXPECT_EQ(request.actor(), "root");
    EXPECT_EQ(request.page_size(), 0);
  }
}

TEST_F(SecurityCommandsTest, ListAuditStopsAtTheLimit) {
  AddFiveAuditEntries();
  const std::vector<v1::AuditEntry> entries = FetchAudit(*audit_stub_, connection_, {.limit = 3}).value();
  ASSERT_THAT(entries, SizeIs(3));
  EXPECT_EQ(entries[2].index(), 3u);
  ASSERT_THAT(audit_.list_requests(), SizeIs(1));
  EXPECT_EQ(audit_.list_requests()[0].page_size(), 3);
}

TEST_F(SecurityCommandsTest, ListAuditLimitSpansShortPages) {
  AddFiveAuditEntries();
  audit_.SetMaxPageSize(2);
  const std::vector<v1::AuditEntry> entries = FetchAudit(*audit_stub_, connection_, {.limit = 3}).value();
  ASSERT_THAT(entries, SizeIs(3));
  EXPECT_THAT(RequestedAuditPageTokens(), ElementsAre("", "2"));
}

TEST_F(SecurityCommandsTest, ListAuditEmptyAndAsJson) {
  ASSERT_TRUE(ListAudit(Audit(), {}).ok());
  EXPECT_EQ(out_.str(), "No audit entries found.\n");
  AddFiveAuditEntries();
  out_.str("");
  ASSERT_TRUE(ListAudit(Audit(OutputFormat::kJson), {.limit = 1}).ok());
  EXPECT_THAT(out_.str(), HasSubstr("\"actorKind\": \"ACTOR_KIND_OPERATOR\""));
  EXPECT_THAT(out_.str(), HasSubstr("\"index\": \"1\""));
}

TEST_F(SecurityCommandsTest, VerifyAuditOk) {
  v1::VerifyAuditResponse verdict;
  verdict.set_ok(true);
  verdict.set_entries(42);
  audit_.SetVerdict(verdict);
  EXPECT_EQ(VerifyAudit(Audit()).value(), kExitOk);
  EXPECT_EQ(out_.str(), "audit log OK: 42 entries verified\n");
}

TEST_F(SecurityCommandsTest, VerifyAuditBroken) {
  v1::VerifyAuditResponse verdict;
  verdict.set_ok(false);
  verdict.set_entries(17);
  verdict.set_first_bad_index(17);
  verdict.set_reason("its hash does not match its contents");
  audit_.SetVerdict(verdict);
  EXPECT_EQ(VerifyAudit(Audit()).value(), kExitAuditBroken);
  EXPECT_EQ(out_.str(), "audit log BROKEN at entry 17: its hash does not match its contents\n");

  out_.str("");
  EXPECT_EQ(VerifyAudit(Audit(OutputFormat::kJson)).value(), kExitAuditBroken);
  v1::VerifyAuditResponse parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(out_.str(), &parsed).ok()) << out_.str();
  EXPECT_EQ(parsed.first_bad_index(), 17u);
}

TEST_F(SecurityCommandsTest, ExportAuditPrintsOneJsonObjectPerLineAcrossPages) {
  AddFiveAuditEntries();
  ASSERT_TRUE(ExportAudit(Audit(), {}).ok());
  const std::vector<std::string> lines = Lines(out_.str());
  ASSERT_THAT(lines, SizeIs(5));
  for (std::size_t i = 0; i < lines.size(); ++i) {
    v1::AuditEntry parsed;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(lines[i], &parsed).ok()) << lines[i];
    EXPECT_EQ(parsed.index(), i + 1);
    EXPECT_EQ(parsed.hash(), std::string(32, static_cast<char>(i + 1)));
    EXPECT_EQ(lines[i].front(), '{');
    EXPECT_EQ(lines[i].back(), '}');
  }
  // Bytes are base64 in protobuf JSON: 32 bytes of 0x01.
  EXPECT_THAT(lines[0], HasSubstr("\"hash\":\"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\""));
  EXPECT_EQ(audit_.list_requests()[0].page_size(), 1000);
}

TEST_F(SecurityCommandsTest, ExportAuditFollowsPageTokensAndFilters) {
  AddFiveAuditEntries();
  audit_.SetMaxPageSize(2);
  ASSERT_TRUE(ExportAudit(Audit(), {.actor = "root"}).ok());
  EXPECT_THAT(Lines(out_.str()), SizeIs(2));
  for (const v1::ListAuditRequest& request : audit_.list_requests()) EXPECT_EQ(request.actor(), "root");
  out_.str("");
  ASSERT_TRUE(ExportAudit(Audit(), {}).ok());
  EXPECT_THAT(Lines(out_.str()), SizeIs(5));
  EXPECT_THAT(audit_.list_requests(), SizeIs(4));  // 1 for root's two entries, then 3 for all five
}

TEST_F(SecurityCommandsTest, ExportAuditOfAnEmptyLogPrintsNothing) {
  ASSERT_TRUE(ExportAudit(Audit(), {}).ok());
  EXPECT_EQ(out_.str(), "");
}

// --- authentication --------------------------------------------------------------------------------------------------

TEST_F(SecurityCommandsTest, EveryCallCarriesTheBearerToken) {
  AddFiveAuditEntries();
  tokens_.AddToken(StoredToken("tok_0000000000000001", "root", v1::ROLE_ADMIN));
  ASSERT_TRUE(CreateToken(Tokens(), {.name = "x", .role = v1::ROLE_VIEWER}).ok());
  ASSERT_TRUE(ListTokens(Tokens()).ok());
  ASSERT_TRUE(RevokeToken(Tokens(), "tok_0000000000000001").ok());
  ASSERT_TRUE(EnrollAgent(Agents(), "gw-1", "").ok());
  ASSERT_TRUE(RevokeAgent(Agents(), "gw-1").ok());
  ASSERT_TRUE(ListAgents(Agents()).ok());
  ASSERT_TRUE(ListAudit(Audit(), {}).ok());
  ASSERT_TRUE(VerifyAudit(Audit()).ok());
  ASSERT_TRUE(ExportAudit(Audit(), {}).ok());
  EXPECT_THAT(auth_.headers(), SizeIs(9));
  EXPECT_THAT(auth_.headers(), Each(kExpectedHeader));
}

TEST_F(SecurityCommandsTest, WithoutATokenNoHeaderIsSentAndTheErrorSaysHowToAuthenticate) {
  connection_.token.clear();
  const absl::Status status = ListTokens(Tokens());
  EXPECT_EQ(status.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(ErrorLine(status), "pumptrack: not authenticated: pass --token or set PUMPTRACK_TOKEN (UNAUTHENTICATED)");
  EXPECT_THAT(auth_.headers(), ElementsAre(""));
}

TEST_F(SecurityCommandsTest, ARefusedTokenIsNotAuthenticated) {
  connection_.token = "ptk_WrongSecret";
  const absl::Status status = ListAgents(Agents());
  EXPECT_EQ(status.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(ErrorLine(status),
            "pumptrack: not authenticated: the server refused the token (unknown, expired or revoked); pass a valid "
            "--token or set PUMPTRACK_TOKEN (UNAUTHENTICATED)");
  EXPECT_THAT(auth_.headers(), ElementsAre("Bearer ptk_WrongSecret"));
  EXPECT_EQ(out_.str(), "");
}

TEST_F(SecurityCommandsTest, ARoleWithoutTheMethodIsPermissionDenied) {
  auth_.DenyAll(true);
  const absl::StatusOr<ExitCode> verified = VerifyAudit(Audit());
  EXPECT_EQ(verified.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(ErrorLine(verified.status()),
            "pumptrack: permission denied: audit log: the caller may not use this method (PERMISSION_DENIED)");
  EXPECT_EQ(ErrorLine(RevokeToken(Tokens(), "tok_1")),
            "pumptrack: permission denied: token tok_1: the caller may not use this method (PERMISSION_DENIED)");
  EXPECT_EQ(out_.str(), "");
}

}  // namespace
}  // namespace pumptrack::cli
