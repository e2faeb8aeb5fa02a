// The hash-chained audit log: tampering with the stored entries (edit, delete, reorder) is detected both by
// AuditLog::Verify on the data directory and by AuditService.VerifyAudit after a restart; ListAudit filters and pages.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "storage/audit_log.h"
#include "storage/database.h"
#include "storage/keys.h"
#include "tests/security/security_test_util.h"

namespace pumptrack::security_testing {
namespace {

using google::protobuf::util::TimeUtil;

class AuditTamperTest : public SecurityServerTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(StartTlsServer());
    // 1 offline token.create (before start) + these seven changes = 8 entries.
    EnrollAgent("gw-5west-01");                                             // 2
    EnrollAgent("gw-5west-02");                                             // 3
    v1::CreateTokenResponse alice = CreateToken("alice", v1::ROLE_VIEWER);  // 4
    EnrollAgent("gw-5west-03");                                             // 5
    RevokeAgent("gw-5west-02");                                             // 6
    RevokeToken(alice.token().id());                                        // 7
    CreateToken("bob", v1::ROLE_AUDITOR);                                   // 8
    ASSERT_EQ(AllAudit().size(), kEntries);
    StopServer();
  }

  static constexpr std::uint64_t kEntries = 8;

  // Opens the stopped server's data directory directly and runs `edit` on it.
  void EditDataDir(const std::function<void(storage::Database&)>& edit) {
    storage::DatabaseOptions options;
    options.path = data_dir_;
    absl::StatusOr<std::unique_ptr<storage::Database>> db = storage::Database::Open(options);
    ASSERT_TRUE(db.ok()) << db.status();
    edit(**db);
  }

  static v1::AuditEntry ReadEntry(storage::Database& db, std::uint64_t index) {
    absl::StatusOr<std::optional<std::string>> value =
        db.Get(storage::ColumnFamily::kAudit, storage::keys::AuditKey(index));
    EXPECT_TRUE(value.ok() && value->has_value()) << "no audit entry " << index;
    v1::AuditEntry entry;
    if (value.ok() && value->has_value()) {
      EXPECT_TRUE(entry.ParseFromString(**value));
    }
    return entry;
  }
  static void PutRaw(storage::Database& db, std::uint64_t index, const std::string& value) {
    ASSERT_TRUE(db.raw()
                    .Put(rocksdb::WriteOptions(), db.Handle(storage::ColumnFamily::kAudit),
                         storage::keys::AuditKey(index), value)
                    .ok());
  }

  // AuditLog::Verify on the (stopped) data directory.
  v1::VerifyAuditResponse VerifyOffline() {
    v1::VerifyAuditResponse result;
    EditDataDir([&](storage::Database& db) {
      absl::StatusOr<std::unique_ptr<storage::AuditLog>> audit = storage::AuditLog::Open(&db);
      ASSERT_TRUE(audit.ok()) << audit.status();
      absl::StatusOr<v1::VerifyAuditResponse> verified = (*audit)->Verify();
      ASSERT_TRUE(verified.ok()) << verified.status();
      result = *verified;
    });
    return result;
  }

  // Restarts the server on the data directory and asks AuditService.VerifyAudit (as an auditor would).
  v1::VerifyAuditResponse VerifyOnline() {
    v1::VerifyAuditResponse result;
    StartTlsServer();
    grpc::Status status = VerifyAudit(admin_secret_, &result);
    EXPECT_TRUE(status.ok()) << status.error_code() << " " << status.error_message();
    StopServer();
    return result;
  }

  void ExpectTamperedAt(std::uint64_t index) {
    const v1::VerifyAuditResponse offline = VerifyOffline();
    EXPECT_FALSE(offline.ok());
    EXPECT_EQ(offline.first_bad_index(), index) << offline.reason();
    EXPECT_FALSE(offline.reason().empty());
    const v1::VerifyAuditResponse online = VerifyOnline();
    EXPECT_FALSE(online.ok());
    EXPECT_EQ(online.first_bad_index(), index) << online.reason();
    EXPECT_FALSE(online.reason().empty());
  }
};

TEST_F(AuditTamperTest, UntamperedChainVerifiesWithTheRightCount) {
  const v1::VerifyAuditResponse offline = VerifyOffline();
  EXPECT_TRUE(offline.ok()) << offline.reason();
  EXPECT_EQ(offline.entries(), kEntries);
  const v1::VerifyAuditResponse online = VerifyOnline();
  EXPECT_TRUE(online.ok()) << online.reason();
  EXPECT_EQ(online.entries(), kEntries);
  EXPECT_EQ(online.first_bad_index(), 0u);
}

TEST_F(AuditTamperTest, EditedAfterFieldIsDetectedAtThatEntry) {
  EditDataDir([](storage::Database& db) {
    v1::AuditEntry entry = ReadEntry(db, 5);
    ASSERT_EQ(entry.action(), "agent.enroll");
    entry.set_after("agent=gw-attacker state=AGENT_STATE_ENROLLED");  // hash left as it was
    PutRaw(db, 5, entry.SerializeAsString());
  });
  ExpectTamperedAt(5);
}

TEST_F(AuditTamperTest, EditedEntryWithRecomputedHashIsDetectedAtTheNextEntry) {
  // A tamperer who recomputes the edited entry's own hash breaks the link to its successor.
  EditDataDir([](storage::Database& db) {
    v1::AuditEntry entry = ReadEntry(db, 3);
    entry.set_actor("someone.else");
    entry.set_hash(storage::AuditLog::ComputeHash(entry));
    PutRaw(db, 3, entry.SerializeAsString());
  });
  ExpectTamperedAt(4);
}

TEST_F(AuditTamperTest, DeletedEntryIsDetectedAtItsIndex) {
  EditDataDir([](storage::Database& db) {
    ASSERT_TRUE(
        db.raw()
            .Delete(rocksdb::WriteOptions(), db.Handle(storage::ColumnFamily::kAudit), storage::keys::AuditKey(6))
            .ok());
  });
  ExpectTamperedAt(6);
}

TEST_F(AuditTamperTest, SwappedEntriesAreDetectedAtTheFirstOfThem) {
  EditDataDir([](storage::Database& db) {
    const v1::AuditEntry third = ReadEntry(db, 3);
    const v1::AuditEntry fourth = ReadEntry(db, 4);
    PutRaw(db, 3, fourth.SerializeAsString());
    PutRaw(db, 4, third.SerializeAsString());
  });
  ExpectTamperedAt(3);
}

TEST_F(AuditTamperTest, TamperingWithTheFirstEntryIsDetected) {
  EditDataDir([](storage::Database& db) {
    v1::AuditEntry entry = ReadEntry(db, 1);
    entry.set_actor("nobody");
    PutRaw(db, 1, entry.SerializeAsString());
  });
  ExpectTamperedAt(1);
}

// ---------------------------------------------------------------------------------------------------------------------
// ListAudit: filters and paging, over gRPC.

class ListAuditTest : public SecurityServerTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(StartTlsServer());
    start_ = clock_.Now();
    // A second admin acts too, so there are three actors: operator, root.admin, second.admin.
    second_admin_ = CreateToken("second.admin", v1::ROLE_ADMIN).secret();  // t0: by root.admin
    for (int i = 0; i < 5; ++i) {
      clock_.Advance(absl::Seconds(10));
      times_.push_back(clock_.Now());
      EnrollAgent(absl::StrCat("gw-", i));  // t0+10s ... t0+50s, by root.admin
    }
    clock_.Advance(absl::Seconds(10));
    v1::EnrollAgentRequest request;  // t0+60s, by second.admin
    request.set_agent_id("gw-second");
    v1::Agent agent;
    grpc::ClientContext context;
    Prepare(context, second_admin_);
    ASSERT_TRUE(v1::AgentRegistryService::NewStub(PeopleChannel())->EnrollAgent(&context, request, &agent).ok());
  }

  static google::protobuf::Timestamp Ts(absl::Time t) {
    return TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(t));
  }
  static std::vector<std::string> Targets(const v1::ListAuditResponse& response) {
    std::vector<std::string> targets;
    for (const v1::AuditEntry& entry : response.entries()) targets.push_back(entry.target());
    return targets;
  }

  absl::Time start_;
  std::vector<absl::Time> times_;
  std::string second_admin_;
};

TEST_F(ListAuditTest, FiltersByActor) {
  v1::ListAuditRequest request;
  request.set_actor("second.admin");
  v1::ListAuditResponse response;
  ASSERT_TRUE(ListAudit(admin_secret_, request, &response).ok());
  ASSERT_EQ(response.entries_size(), 1);
  EXPECT_EQ(response.entries(0).target(), "gw-second");

  request.set_actor(kAdminName);
  ASSERT_TRUE(ListAudit(admin_secret_, request, &response).ok());
  EXPECT_EQ(response.entries_size(), 6);  // the token and five agents
  for (const v1::AuditEntry& entry : response.entries()) EXPECT_EQ(entry.actor(), kAdminName);

  request.set_actor("operator");
  ASSERT_TRUE(ListAudit(admin_secret_, request, &response).ok());
  ASSERT_EQ(response.entries_size(), 1);
  EXPECT_EQ(response.entries(0).actor_kind(), v1::ACTOR_KIND_OPERATOR);

  request.set_actor("nobody");
  ASSERT_TRUE(ListAudit(admin_secret_, request, &response).ok());
  EXPECT_EQ(response.entries_size(), 0);
}

TEST_F(ListAuditTest, FiltersByTimeRange) {
  v1::ListAuditRequest request;
  *request.mutable_start_time() = Ts(times_[1]);  // gw-1
  *request.mutable_end_time() = Ts(times_[3]);    // gw-3 excluded
  v1::ListAuditResponse response;
  ASSERT_TRUE(ListAudit(admin_secret_, request, &response).ok());
  EXPECT_THAT(Targets(response), ::testing::ElementsAre("gw-1", "gw-2"));

  // Time range and actor together.
  request.clear_end_time();
  request.set_actor("second.admin");
  ASSERT_TRUE(ListAudit(admin_secret_, request, &response).ok());
  EXPECT_THAT(Targets(response), ::testing::ElementsAre("gw-second"));

  // A range before anything happened is empty.
  v1::ListAuditRequest before;
  *before.mutable_end_time() = Ts(start_ - absl::Hours(1));
  ASSERT_TRUE(ListAudit(admin_secret_, before, &response).ok());
  EXPECT_EQ(response.entries_size(), 0);
}

TEST_F(ListAuditTest, PagesCoverEveryEntryOnceInOrder) {
  const std::vector<v1::AuditEntry> all = AllAudit();
  ASSERT_EQ(all.size(), 8u);
  v1::ListAuditRequest request;
  request.set_page_size(3);
  std::vector<std::uint64_t> indexes;
  int pages = 0;
  while (true) {
    v1::ListAuditResponse response;
    grpc::Status status = ListAudit(admin_secret_, request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    ++pages;
    EXPECT_LE(response.entries_size(), 3);
    for (const v1::AuditEntry& entry : response.entries()) indexes.push_back(entry.index());
    if (response.next_page_token().empty()) break;
    ASSERT_LT(pages, 10);
    request.set_page_token(response.next_page_token());
  }
  EXPECT_EQ(pages, 3);
  EXPECT_THAT(indexes, ::testing::ElementsAre(1, 2, 3, 4, 5, 6, 7, 8));
}

TEST_F(ListAuditTest, PageTokenIsBoundToItsFilters) {
  v1::ListAuditRequest request;
  request.set_page_size(2);
  request.set_actor(kAdminName);
  v1::ListAuditResponse response;
  ASSERT_TRUE(ListAudit(admin_secret_, request, &response).ok());
  ASSERT_FALSE(response.next_page_token().empty());
  request.set_page_token(response.next_page_token());
  request.set_actor("second.admin");
  grpc::Status status = ListAudit(admin_secret_, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
}

TEST_F(ListAuditTest, AuditorMayReadAndVerifyButNotChangeAnything) {
  const std::string auditor = CreateToken("ada.auditor", v1::ROLE_AUDITOR).secret();
  v1::ListAuditResponse response;
  ASSERT_TRUE(ListAudit(auditor, v1::ListAuditRequest(), &response).ok());
  EXPECT_EQ(response.entries_size(), 9);
  v1::VerifyAuditResponse verified;
  ASSERT_TRUE(VerifyAudit(auditor, &verified).ok());
  EXPECT_TRUE(verified.ok()) << verified.reason();
  EXPECT_EQ(verified.entries(), 9u);
  EXPECT_EQ(ListTokens(auditor).error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

}  // namespace
}  // namespace pumptrack::security_testing
