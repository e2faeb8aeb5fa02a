#include "cli/security_format.h"

#include <sstream>
#include <vector>

#include "cli/format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/cli/fake_inventory_service.h"
#include "tests/cli/fake_security_services.h"

namespace pumptrack::cli {
namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;
using testing::MakeAuditEntry;
using testing::TestNow;

TEST(SecurityNamesTest, UseTheCommandLinesWords) {
  EXPECT_EQ(RoleName(v1::ROLE_VIEWER), "viewer");
  EXPECT_EQ(RoleName(v1::ROLE_TRANSPORT), "transport");
  EXPECT_EQ(RoleName(v1::ROLE_ASSET_MANAGER), "asset_manager");
  EXPECT_EQ(RoleName(v1::ROLE_AUDITOR), "auditor");
  EXPECT_EQ(RoleName(v1::ROLE_ADMIN), "admin");
  EXPECT_EQ(RoleName(v1::ROLE_UNSPECIFIED), "unknown");
  EXPECT_EQ(RoleName(static_cast<v1::Role>(99)), "unknown");
  EXPECT_EQ(AgentStateName(v1::AGENT_STATE_ENROLLED), "enrolled");
  EXPECT_EQ(AgentStateName(v1::AGENT_STATE_REVOKED), "revoked");
  EXPECT_EQ(AgentStateName(v1::AGENT_STATE_UNSPECIFIED), "unknown");
  EXPECT_EQ(ActorKindName(v1::ACTOR_KIND_TOKEN), "token");
  EXPECT_EQ(ActorKindName(v1::ACTOR_KIND_AGENT), "agent");
  EXPECT_EQ(ActorKindName(v1::ACTOR_KIND_OPERATOR), "operator");
  EXPECT_EQ(ActorKindName(v1::ACTOR_KIND_SERVICE), "service");
  EXPECT_EQ(ActorKindName(v1::ACTOR_KIND_UNSPECIFIED), "unknown");
}

TEST(TokenStateTest, RevokedBeatsExpiredBeatsLive) {
  v1::Token token;
  EXPECT_EQ(TokenState(token, TestNow()), "live");
  *token.mutable_expires_at() = ToProtoTimestamp(TestNow() + absl::Seconds(1));
  EXPECT_EQ(TokenState(token, TestNow()), "live");
  *token.mutable_expires_at() = ToProtoTimestamp(TestNow());
  EXPECT_EQ(TokenState(token, TestNow()), "expired");
  *token.mutable_revoked_at() = ToProtoTimestamp(TestNow() - absl::Hours(1));
  EXPECT_EQ(TokenState(token, TestNow()), "revoked");
}

TEST(FormatExpiryTest, NeverWithoutAnExpiry) {
  v1::Token token;
  EXPECT_EQ(FormatExpiry(token), "never");
  *token.mutable_expires_at() = ToProtoTimestamp(TestNow());
  EXPECT_EQ(FormatExpiry(token), "2026-11-29 10:05:00Z");
}

TEST(PrintCreatedTokenTest, EndsWithTheBareSecret) {
  v1::CreateTokenResponse created;
  created.mutable_token()->set_id("tok_1");
  created.mutable_token()->set_name("grafana");
  created.mutable_token()->set_role(v1::ROLE_VIEWER);
  created.set_secret("ptk_abc");
  std::ostringstream out;
  PrintCreatedToken(created, TestNow(), out);
  EXPECT_THAT(out.str(), EndsWith("\nptk_abc\n"));
  EXPECT_THAT(out.str(), HasSubstr("Created:  unknown\nExpires:  never\n"));
}

TEST(FormatRevokedTest, OneLineEach) {
  v1::Token token;
  token.set_id("tok_1");
  EXPECT_EQ(FormatRevokedToken(token), "Revoked token tok_1.");
  v1::Agent agent;
  agent.set_agent_id("gw-1");
  EXPECT_EQ(FormatEnrolledAgent(agent), "Enrolled agent gw-1.");
  EXPECT_EQ(FormatRevokedAgent(agent), "Revoked agent gw-1; its calls are refused from now on.");
}

TEST(FormatActorTest, KindColonName) {
  EXPECT_EQ(FormatActor(MakeAuditEntry(1, absl::ZeroDuration(), v1::ACTOR_KIND_TOKEN, "alice", "", "", "", "")),
            "token:alice");
  EXPECT_EQ(FormatActor(MakeAuditEntry(1, absl::ZeroDuration(), v1::ACTOR_KIND_AGENT, "gw-1", "", "", "", "")),
            "agent:gw-1");
  EXPECT_EQ(FormatActor(MakeAuditEntry(1, absl::ZeroDuration(), v1::ACTOR_KIND_SERVICE, "", "", "", "", "")),
            "service");
}

TEST(FormatAuditChangeTest, DashesForEmptySides) {
  auto change = [](const std::string& before, const std::string& after) {
    return FormatAuditChange(
        MakeAuditEntry(1, absl::ZeroDuration(), v1::ACTOR_KIND_TOKEN, "a", "x", "y", before, after));
  };
  EXPECT_EQ(change("live", "revoked"), "live -> revoked");
  EXPECT_EQ(change("", "enrolled"), "- -> enrolled");
  EXPECT_EQ(change("enrolled", ""), "enrolled -> -");
  EXPECT_EQ(change("", ""), "-");
}

TEST(PrintAuditTableTest, EscapesWhatAgentsClaimed) {
  std::ostringstream out;
  const std::vector<v1::AuditEntry> entries = {MakeAuditEntry(12, absl::Minutes(1), v1::ACTOR_KIND_AGENT, "gw-1",
                                                              "agent.denied", "gw-1", "",
                                                              "claimed to be x\x1b]0;pwned\x07")};
  PrintAuditTable(entries, out);
  EXPECT_EQ(out.str(),
            "INDEX  TIME                  ACTOR       ACTION        TARGET  BEFORE -> AFTER\n"
            "12     2026-11-29 10:04:00Z  agent:gw-1  agent.denied  gw-1    - -> claimed to be x\\x1b]0;pwned\\x07\n");
}

TEST(FormatVerifyLineTest, OkOrBrokenWithTheReason) {
  v1::VerifyAuditResponse verdict;
  verdict.set_ok(true);
  verdict.set_entries(1204);
  EXPECT_EQ(FormatVerifyLine(verdict), "audit log OK: 1204 entries verified");
  verdict.set_entries(1);
  EXPECT_EQ(FormatVerifyLine(verdict), "audit log OK: 1 entry verified");
  verdict.set_entries(0);
  EXPECT_EQ(FormatVerifyLine(verdict), "audit log OK: 0 entries verified");

  verdict.set_ok(false);
  verdict.set_first_bad_index(17);
  verdict.set_reason("entry 17's hash does not match its contents.\n");
  EXPECT_EQ(FormatVerifyLine(verdict), "audit log BROKEN at entry 17: entry 17's hash does not match its contents.");
  verdict.clear_reason();
  EXPECT_EQ(FormatVerifyLine(verdict), "audit log BROKEN at entry 17: no reason given");
}

}  // namespace
}  // namespace pumptrack::cli
