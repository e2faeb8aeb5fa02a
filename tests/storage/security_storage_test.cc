// Integration tests for the security storage built on Database: the hash-chained AuditLog, TokenStore and
// AgentRegistry, against a real RocksDB in a fresh temporary directory.
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/ids.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rocksdb/write_batch.h"
#include "storage/agent_registry.h"
#include "storage/audit_log.h"
#include "storage/keys.h"
#include "storage/token_store.h"
#include "tests/storage/storage_test_util.h"

namespace pumptrack::storage {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing_util::BaseTime;
using testing_util::FromTimestamp;

const Actor kAlice{v1::ACTOR_KIND_TOKEN, "alice"};
const Actor kBob{v1::ACTOR_KIND_OPERATOR, "bob"};

class SecurityStorageTest : public testing_util::StorageTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(StorageTest::SetUp());
    ASSERT_NO_FATAL_FAILURE(OpenSecurity());
  }
  void OpenSecurity() {
    absl::StatusOr<std::unique_ptr<AuditLog>> audit = AuditLog::Open(db_.get());
    ASSERT_TRUE(audit.ok()) << audit.status();
    audit_ = *std::move(audit);
    absl::StatusOr<std::unique_ptr<TokenStore>> tokens = TokenStore::Open(db_.get(), audit_.get());
    ASSERT_TRUE(tokens.ok()) << tokens.status();
    tokens_ = *std::move(tokens);
    absl::StatusOr<std::unique_ptr<AgentRegistry>> agents = AgentRegistry::Open(db_.get(), audit_.get());
    ASSERT_TRUE(agents.ok()) << agents.status();
    agents_ = *std::move(agents);
  }
  void ReopenAll() {
    agents_.reset();
    tokens_.reset();
    audit_.reset();
    Reopen();
    OpenSecurity();
  }
  void TearDown() override {
    agents_.reset();
    tokens_.reset();
    audit_.reset();
  }

  v1::AuditEntry MustCommit(const AuditRecord& record, absl::Time now) {
    rocksdb::WriteBatch batch;
    absl::StatusOr<v1::AuditEntry> entry = audit_->Commit(batch, record, now);
    EXPECT_TRUE(entry.ok()) << entry.status();
    return entry.ok() ? *entry : v1::AuditEntry();
  }
  std::vector<v1::AuditEntry> AllAudit() const {
    absl::StatusOr<AuditPage> page = audit_->List(absl::InfinitePast(), absl::InfiniteFuture(), "", 0, 10'000);
    EXPECT_TRUE(page.ok()) << page.status();
    return page.ok() ? page->entries : std::vector<v1::AuditEntry>{};
  }
  void RawAuditPut(std::uint64_t index, const v1::AuditEntry& entry) {
    ASSERT_TRUE(db_->raw()
                    .Put(rocksdb::WriteOptions(), db_->Handle(ColumnFamily::kAudit), keys::AuditKey(index),
                         entry.SerializeAsString())
                    .ok());
  }

  std::unique_ptr<AuditLog> audit_;
  std::unique_ptr<TokenStore> tokens_;
  std::unique_ptr<AgentRegistry> agents_;
};

TEST_F(SecurityStorageTest, AuditCommitChainsEntriesAndWritesTheChangeAtomically) {
  EXPECT_EQ(audit_->size(), 0u);
  rocksdb::WriteBatch batch;
  ASSERT_TRUE(batch.Put(db_->Handle(ColumnFamily::kMeta), "test.setting", "on").ok());
  absl::StatusOr<v1::AuditEntry> first =
      audit_->Commit(batch, {kAlice, "setting.change", "test.setting", "off", "on"}, BaseTime());
  ASSERT_TRUE(first.ok()) << first.status();
  // The change staged by the caller is written together with its entry.
  EXPECT_EQ(db_->Get(ColumnFamily::kMeta, "test.setting").value(), std::optional<std::string>("on"));

  EXPECT_EQ(first->index(), 1u);
  EXPECT_EQ(first->previous_hash(), std::string(32, '\0'));
  EXPECT_EQ(first->hash(), AuditLog::ComputeHash(*first));
  EXPECT_EQ(first->hash().size(), 32u);
  EXPECT_EQ(first->actor_kind(), v1::ACTOR_KIND_TOKEN);
  EXPECT_EQ(first->actor(), "alice");
  EXPECT_EQ(first->action(), "setting.change");
  EXPECT_EQ(first->before(), "off");
  EXPECT_EQ(first->after(), "on");

  const v1::AuditEntry second =
      MustCommit({kBob, "agent.enroll", "gw-1", "", "enrolled"}, BaseTime() + absl::Minutes(1));
  EXPECT_EQ(second.index(), 2u);
  EXPECT_EQ(second.previous_hash(), first->hash());
  // A commit with an earlier clock keeps times monotonic along the chain.
  const v1::AuditEntry third = MustCommit({kBob, "agent.revoke", "gw-1", "", ""}, BaseTime());
  EXPECT_EQ(third.index(), 3u);
  EXPECT_EQ(FromTimestamp(third.time()), BaseTime() + absl::Minutes(1));
  EXPECT_EQ(audit_->size(), 3u);

  absl::StatusOr<v1::VerifyAuditResponse> verified = audit_->Verify();
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_TRUE(verified->ok()) << verified->reason();
  EXPECT_EQ(verified->entries(), 3u);
}

TEST_F(SecurityStorageTest, AuditChainContinuesAfterReopen) {
  MustCommit({kAlice, "a", "t", "", ""}, BaseTime());
  const v1::AuditEntry last = MustCommit({kAlice, "b", "t", "", ""}, BaseTime() + absl::Minutes(1));
  ASSERT_NO_FATAL_FAILURE(ReopenAll());
  EXPECT_EQ(audit_->size(), 2u);
  // The head's time is restored too: an earlier clock still cannot move time backwards.
  const v1::AuditEntry next = MustCommit({kBob, "c", "t", "", ""}, BaseTime());
  EXPECT_EQ(next.index(), 3u);
  EXPECT_EQ(next.previous_hash(), last.hash());
  EXPECT_EQ(FromTimestamp(next.time()), BaseTime() + absl::Minutes(1));
  absl::StatusOr<v1::VerifyAuditResponse> verified = audit_->Verify();
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_TRUE(verified->ok()) << verified->reason();
  EXPECT_EQ(verified->entries(), 3u);
}

TEST_F(SecurityStorageTest, AuditVerifyReportsTheFirstTamperedEntry) {
  std::vector<v1::AuditEntry> entries;
  for (int i = 0; i < 4; ++i) {
    entries.push_back(
        MustCommit({kAlice, "token.create", absl::StrCat("tok_", i), "", ""}, BaseTime() + absl::Minutes(i)));
  }
  // Rewriting an entry's content without fixing its hash.
  v1::AuditEntry forged = entries[1];
  forged.set_actor("mallory");
  ASSERT_NO_FATAL_FAILURE(RawAuditPut(2, forged));
  absl::StatusOr<v1::VerifyAuditResponse> verified = audit_->Verify();
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_FALSE(verified->ok());
  EXPECT_EQ(verified->first_bad_index(), 2u);
  EXPECT_EQ(verified->entries(), 1u);
  EXPECT_THAT(verified->reason(), HasSubstr("hash does not verify"));

  // Re-hashing the forged entry breaks the link to the next one instead.
  forged.set_hash(AuditLog::ComputeHash(forged));
  ASSERT_NO_FATAL_FAILURE(RawAuditPut(2, forged));
  verified = audit_->Verify();
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_FALSE(verified->ok());
  EXPECT_EQ(verified->first_bad_index(), 3u);
  EXPECT_THAT(verified->reason(), HasSubstr("previous_hash"));

  // A deleted entry in the middle.
  ASSERT_NO_FATAL_FAILURE(RawAuditPut(2, entries[1]));
  ASSERT_TRUE(db_->raw().Delete(rocksdb::WriteOptions(), db_->Handle(ColumnFamily::kAudit), keys::AuditKey(3)).ok());
  verified = audit_->Verify();
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_FALSE(verified->ok());
  EXPECT_EQ(verified->first_bad_index(), 3u);
  EXPECT_THAT(verified->reason(), HasSubstr("missing"));

  // A truncated tail (the running log knows 4 entries were written).
  ASSERT_NO_FATAL_FAILURE(RawAuditPut(3, entries[2]));
  ASSERT_TRUE(db_->raw().Delete(rocksdb::WriteOptions(), db_->Handle(ColumnFamily::kAudit), keys::AuditKey(4)).ok());
  verified = audit_->Verify();
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_FALSE(verified->ok());
  EXPECT_EQ(verified->first_bad_index(), 4u);
  EXPECT_THAT(verified->reason(), HasSubstr("ends early"));
}

TEST_F(SecurityStorageTest, AuditListFiltersByTimeAndActorAndPages) {
  for (int i = 0; i < 8; ++i) {
    MustCommit({i % 2 == 0 ? kAlice : kBob, "x", absl::StrCat(i + 1), "", ""}, BaseTime() + absl::Minutes(i));
  }
  auto indexes = [](const AuditPage& page) {
    std::vector<std::uint64_t> out;
    for (const v1::AuditEntry& entry : page.entries) out.push_back(entry.index());
    return out;
  };
  // [start, end): minute 2 (index 3) included, minute 6 (index 7) excluded.
  absl::StatusOr<AuditPage> range =
      audit_->List(BaseTime() + absl::Minutes(2), BaseTime() + absl::Minutes(6), "", 0, 100);
  ASSERT_TRUE(range.ok()) << range.status();
  EXPECT_THAT(indexes(*range), ElementsAre(3, 4, 5, 6));
  EXPECT_EQ(range->next_after_index, 0u);

  absl::StatusOr<AuditPage> bob = audit_->List(absl::InfinitePast(), absl::InfiniteFuture(), "bob", 0, 100);
  ASSERT_TRUE(bob.ok()) << bob.status();
  EXPECT_THAT(indexes(*bob), ElementsAre(2, 4, 6, 8));

  // Paging by actor visits every match once, oldest first.
  std::vector<std::uint64_t> seen;
  std::uint64_t after = 0;
  int pages = 0;
  do {
    absl::StatusOr<AuditPage> page = audit_->List(absl::InfinitePast(), absl::InfiniteFuture(), "alice", after, 3);
    ASSERT_TRUE(page.ok()) << page.status();
    for (std::uint64_t index : indexes(*page)) seen.push_back(index);
    after = page->next_after_index;
    ++pages;
  } while (after != 0 && pages < 10);
  EXPECT_THAT(seen, ElementsAre(1, 3, 5, 7));
  EXPECT_EQ(pages, 2);
}

TEST_F(SecurityStorageTest, TokenCreateAuthenticateAndRevoke) {
  const absl::Time now = BaseTime();
  absl::StatusOr<CreatedToken> created =
      tokens_->Create("night-shift", v1::ROLE_VIEWER, absl::ZeroDuration(), kAlice, now);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_TRUE(absl::StartsWith(created->secret, "ptk_")) << created->secret;
  EXPECT_TRUE(absl::StartsWith(created->token.id(), "tok_"));
  EXPECT_EQ(created->token.name(), "night-shift");
  EXPECT_EQ(created->token.role(), v1::ROLE_VIEWER);
  EXPECT_EQ(created->token.created_by(), "alice");
  EXPECT_FALSE(created->token.has_expires_at());

  absl::StatusOr<v1::Token> authenticated = tokens_->Authenticate(created->secret, now + absl::Hours(24 * 365));
  ASSERT_TRUE(authenticated.ok()) << authenticated.status();
  EXPECT_EQ(authenticated->id(), created->token.id());

  absl::StatusOr<v1::Token> wrong = tokens_->Authenticate("ptk_not-the-secret", now);
  EXPECT_EQ(wrong.status().code(), absl::StatusCode::kUnauthenticated);

  // The secret is stored only as a hash: it appears nowhere in the tokens family or the audit log.
  std::unique_ptr<rocksdb::Iterator> it = db_->NewIterator(ColumnFamily::kTokens, rocksdb::ReadOptions());
  int stored = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next(), ++stored) {
    EXPECT_FALSE(absl::StrContains(ToView(it->key()), created->secret));
    EXPECT_FALSE(absl::StrContains(ToView(it->value()), created->secret));
    EXPECT_EQ(ToView(it->key()), keys::TokenKey(Sha256(created->secret)));
  }
  EXPECT_EQ(stored, 1);

  absl::StatusOr<v1::Token> revoked = tokens_->Revoke(created->token.id(), kBob, now + absl::Minutes(5));
  ASSERT_TRUE(revoked.ok()) << revoked.status();
  EXPECT_EQ(FromTimestamp(revoked->revoked_at()), now + absl::Minutes(5));
  absl::StatusOr<v1::Token> after_revoke = tokens_->Authenticate(created->secret, now + absl::Minutes(6));
  EXPECT_EQ(after_revoke.status().code(), absl::StatusCode::kUnauthenticated);
  // Same message for unknown and revoked secrets.
  EXPECT_EQ(after_revoke.status().message(), wrong.status().message());
  // Revoking again is idempotent and not audited again; an unknown id is NOT_FOUND.
  absl::StatusOr<v1::Token> again = tokens_->Revoke(created->token.id(), kBob, now + absl::Minutes(7));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(FromTimestamp(again->revoked_at()), now + absl::Minutes(5));
  EXPECT_EQ(tokens_->Revoke("tok_0000", kBob, now).status().code(), absl::StatusCode::kNotFound);

  const std::vector<v1::AuditEntry> audit = AllAudit();
  ASSERT_EQ(audit.size(), 2u);
  EXPECT_EQ(audit[0].action(), "token.create");
  EXPECT_EQ(audit[0].target(), created->token.id());
  EXPECT_EQ(audit[1].action(), "token.revoke");
  EXPECT_EQ(audit[1].actor(), "bob");
  for (const v1::AuditEntry& entry : audit) {
    EXPECT_FALSE(absl::StrContains(entry.SerializeAsString(), created->secret));
  }
}

TEST_F(SecurityStorageTest, TokenValidationExpiryNamesAndPersistence) {
  const absl::Time now = BaseTime();
  EXPECT_EQ(tokens_->Create("", v1::ROLE_VIEWER, absl::ZeroDuration(), kAlice, now).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(tokens_->Create("has space", v1::ROLE_VIEWER, absl::ZeroDuration(), kAlice, now).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(tokens_->Create("ok", v1::ROLE_UNSPECIFIED, absl::ZeroDuration(), kAlice, now).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(tokens_->Create("ok", v1::ROLE_VIEWER, absl::Seconds(-1), kAlice, now).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(audit_->size(), 0u);  // refused requests are not stored or audited

  absl::StatusOr<CreatedToken> hourly =
      tokens_->Create("ops@5west", v1::ROLE_ASSET_MANAGER, absl::Hours(1), kAlice, now);
  ASSERT_TRUE(hourly.ok()) << hourly.status();
  EXPECT_EQ(FromTimestamp(hourly->token.expires_at()), now + absl::Hours(1));
  EXPECT_TRUE(tokens_->Authenticate(hourly->secret, now + absl::Minutes(59)).ok());
  EXPECT_EQ(tokens_->Authenticate(hourly->secret, now + absl::Hours(1)).status().code(),
            absl::StatusCode::kUnauthenticated);

  // A live token's name cannot be reused; an expired one's can.
  EXPECT_EQ(tokens_->Create("ops@5west", v1::ROLE_VIEWER, absl::ZeroDuration(), kAlice, now + absl::Minutes(1))
                .status()
                .code(),
            absl::StatusCode::kAlreadyExists);
  absl::StatusOr<CreatedToken> reused =
      tokens_->Create("ops@5west", v1::ROLE_AUDITOR, absl::ZeroDuration(), kAlice, now + absl::Hours(2));
  ASSERT_TRUE(reused.ok()) << reused.status();

  ASSERT_NO_FATAL_FAILURE(ReopenAll());
  absl::StatusOr<v1::Token> reloaded = tokens_->Authenticate(reused->secret, now + absl::Hours(3));
  ASSERT_TRUE(reloaded.ok()) << reloaded.status();
  EXPECT_EQ(reloaded->role(), v1::ROLE_AUDITOR);
  const std::vector<v1::Token> listed = tokens_->List();
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].id(), hourly->token.id());  // creation order
  EXPECT_EQ(listed[1].id(), reused->token.id());
}

TEST_F(SecurityStorageTest, AHandMadeTokenMayShareANameWithALiveSessionButNotWithALiveToken) {
  const absl::Time now = BaseTime();
  absl::StatusOr<CreatedToken> session =
      tokens_->CreateSession("alice", "Alice Admin", v1::ROLE_ADMIN, absl::Hours(8), now);
  ASSERT_TRUE(session.ok()) << session.status();
  ASSERT_TRUE(tokens_->Authenticate(session->secret, now).ok());
  // alice's live directory session does not hold the name: `tokens create --name=alice` works.
  absl::StatusOr<CreatedToken> token =
      tokens_->Create("alice", v1::ROLE_VIEWER, absl::ZeroDuration(), kBob, now + absl::Minutes(1));
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_TRUE(token->token.directory_user().empty());
  // A second hand-made token of that name still clashes with the first (the session is not what is found).
  EXPECT_EQ(
      tokens_->Create("alice", v1::ROLE_VIEWER, absl::ZeroDuration(), kBob, now + absl::Minutes(2)).status().code(),
      absl::StatusCode::kAlreadyExists);
  // And another sign-in of alice is not refused because of the hand-made token.
  ASSERT_TRUE(
      tokens_->CreateSession("alice", "Alice Admin", v1::ROLE_ADMIN, absl::Hours(8), now + absl::Minutes(3)).ok());
  // Every one of them authenticates as itself.
  absl::StatusOr<v1::Token> as_session = tokens_->Authenticate(session->secret, now + absl::Minutes(4));
  absl::StatusOr<v1::Token> as_token = tokens_->Authenticate(token->secret, now + absl::Minutes(4));
  ASSERT_TRUE(as_session.ok() && as_token.ok());
  EXPECT_EQ(as_session->role(), v1::ROLE_ADMIN);
  EXPECT_EQ(as_token->role(), v1::ROLE_VIEWER);
}

TEST_F(SecurityStorageTest, AgentEnrollRevokeAndReenroll) {
  const absl::Time now = BaseTime();
  absl::StatusOr<v1::Agent> enrolled = agents_->Enroll("gw-5west-01", "5 West, rack B", kAlice, now);
  ASSERT_TRUE(enrolled.ok()) << enrolled.status();
  EXPECT_EQ(enrolled->state(), v1::AGENT_STATE_ENROLLED);
  EXPECT_EQ(enrolled->enrolled_by(), "alice");
  EXPECT_EQ(enrolled->note(), "5 West, rack B");
  // Enrolling an enrolled agent is idempotent: unchanged, no new audit entry.
  absl::StatusOr<v1::Agent> again = agents_->Enroll("gw-5west-01", "other note", kBob, now + absl::Minutes(1));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->enrolled_by(), "alice");
  EXPECT_EQ(audit_->size(), 1u);

  absl::StatusOr<v1::Agent> revoked = agents_->Revoke("gw-5west-01", kBob, now + absl::Minutes(2));
  ASSERT_TRUE(revoked.ok()) << revoked.status();
  EXPECT_EQ(revoked->state(), v1::AGENT_STATE_REVOKED);
  EXPECT_EQ(revoked->revoked_by(), "bob");
  EXPECT_EQ(FromTimestamp(revoked->revoked_at()), now + absl::Minutes(2));
  EXPECT_TRUE(agents_->Revoke("gw-5west-01", kBob, now + absl::Minutes(3)).ok());
  EXPECT_EQ(audit_->size(), 2u);
  EXPECT_EQ(agents_->Revoke("gw-unknown", kBob, now).status().code(), absl::StatusCode::kNotFound);

  absl::StatusOr<v1::Agent> reenrolled = agents_->Enroll("gw-5west-01", "", kAlice, now + absl::Minutes(4));
  ASSERT_TRUE(reenrolled.ok()) << reenrolled.status();
  EXPECT_EQ(reenrolled->state(), v1::AGENT_STATE_ENROLLED);
  EXPECT_FALSE(reenrolled->has_revoked_at());
  EXPECT_EQ(reenrolled->revoked_by(), "");

  EXPECT_EQ(agents_->Enroll("bad id!", "", kAlice, now).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(agents_->Enroll("gw-2", std::string(257, 'n'), kAlice, now).status().code(),
            absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(agents_->Enroll("gw-4east-01", "", kAlice, now).ok());

  const std::vector<v1::AuditEntry> audit = AllAudit();
  std::vector<std::string> actions;
  for (const v1::AuditEntry& entry : audit) actions.push_back(entry.action());
  EXPECT_THAT(actions, ElementsAre("agent.enroll", "agent.revoke", "agent.enroll", "agent.enroll"));
  EXPECT_EQ(audit[2].before(), "agent=gw-5west-01 state=AGENT_STATE_REVOKED");

  ASSERT_NO_FATAL_FAILURE(ReopenAll());
  std::optional<v1::Agent> reloaded = agents_->Get("gw-5west-01");
  ASSERT_TRUE(reloaded.has_value());
  EXPECT_EQ(reloaded->state(), v1::AGENT_STATE_ENROLLED);
  EXPECT_EQ(agents_->Get("gw-unknown"), std::nullopt);
  const std::vector<v1::Agent> listed = agents_->List();
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].agent_id(), "gw-4east-01");
  EXPECT_EQ(listed[1].agent_id(), "gw-5west-01");
}

TEST_F(SecurityStorageTest, DeniedAgentCallsAreAuditedAtMostOncePerMinutePerAgent) {
  const absl::Time now = BaseTime();
  EXPECT_TRUE(agents_->AuditDenied("gw-rogue", "not enrolled", now).ok());
  EXPECT_TRUE(agents_->AuditDenied("gw-rogue", "not enrolled", now + absl::Seconds(30)).ok());  // suppressed
  EXPECT_TRUE(agents_->AuditDenied("gw-other", "revoked", now + absl::Seconds(31)).ok());
  EXPECT_TRUE(agents_->AuditDenied("gw-rogue", "not enrolled", now + absl::Seconds(61)).ok());
  const std::vector<v1::AuditEntry> audit = AllAudit();
  ASSERT_EQ(audit.size(), 3u);
  EXPECT_EQ(audit[0].actor(), "gw-rogue");
  EXPECT_EQ(audit[0].actor_kind(), v1::ACTOR_KIND_AGENT);
  EXPECT_EQ(audit[0].action(), "agent.denied");
  EXPECT_EQ(audit[0].after(), "not enrolled");
  EXPECT_EQ(audit[1].actor(), "gw-other");
  EXPECT_EQ(audit[2].actor(), "gw-rogue");
  EXPECT_EQ(FromTimestamp(audit[2].time()), now + absl::Seconds(61));
}

TEST(SecurityHelpersTest, Sha256RoleNamesAndAgentIds) {
  // FIPS 180-2 test vector.
  EXPECT_EQ(absl::BytesToHexString(Sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(ids::RoleName(v1::ROLE_ASSET_MANAGER), "asset_manager");
  EXPECT_EQ(ids::ParseRole("asset_manager").value(), v1::ROLE_ASSET_MANAGER);
  EXPECT_EQ(ids::ParseRole("ADMIN").value(), v1::ROLE_ADMIN);
  EXPECT_EQ(ids::ParseRole("Asset-Manager").value(), v1::ROLE_ASSET_MANAGER);
  EXPECT_FALSE(ids::ParseRole("root").ok());
  EXPECT_FALSE(ids::ParseRole("unspecified").ok());
  EXPECT_FALSE(ids::ParseRole("role_admin").ok());
  EXPECT_TRUE(ids::IsValidAgentId("gw-5west-01"));
  EXPECT_TRUE(ids::IsValidAgentId("rtls:bridge.02_a"));
  EXPECT_TRUE(ids::IsValidAgentId(std::string(64, 'a')));
  EXPECT_FALSE(ids::IsValidAgentId(""));
  EXPECT_FALSE(ids::IsValidAgentId(std::string(65, 'a')));
  EXPECT_FALSE(ids::IsValidAgentId("gw 1"));
  EXPECT_FALSE(ids::IsValidAgentId("gw/1"));
  EXPECT_EQ(ids::CheckAgentId("agent_id", "gw/1").message(), "agent_id: must be 1-64 characters from [A-Za-z0-9._:-]");
  EXPECT_TRUE(ids::IsValidAssetTag("PT-00042"));
  EXPECT_FALSE(ids::IsValidAssetTag("PT:00042"));  // a colon is for agent ids only
}

}  // namespace
}  // namespace pumptrack::storage
