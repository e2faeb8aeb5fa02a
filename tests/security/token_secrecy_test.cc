// Token secrets are shown once and never kept: not on disk, not in the audit log, not in listings, not in logs. Token
// changes are audited under the acting admin's name.
#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "service/offline_admin.h"
#include "spdlog/sinks/ostream_sink.h"
#include "spdlog/spdlog.h"
#include "storage/audit_log.h"
#include "storage/database.h"
#include "storage/keys.h"
#include "tests/security/security_test_util.h"

namespace pumptrack::security_testing {
namespace {

// Every form in which a secret could leak: as issued, its random part alone, and the raw random bytes.
std::vector<std::string> SecretForms(const std::string& secret) {
  std::vector<std::string> forms = {secret};
  if (absl::StartsWith(secret, "ptk_")) {
    const std::string body = secret.substr(4);
    forms.push_back(body);
    std::string raw;
    if (absl::WebSafeBase64Unescape(body, &raw)) forms.push_back(raw);
  }
  return forms;
}

// Files under `dir` containing any form of `secret`.
std::vector<std::string> FilesContaining(const std::string& dir, const std::string& secret) {
  std::vector<std::string> hits;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    const std::string contents = ReadFile(entry.path().string());
    for (const std::string& form : SecretForms(secret)) {
      if (contents.find(form) != std::string::npos) hits.push_back(entry.path().string());
    }
  }
  return hits;
}

class TokenSecrecyTest : public SecurityServerTest {
 protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(StartTlsServer()); }

  // Tokens made online (by the admin) plus the offline admin token; one of them revoked.
  std::vector<std::string> MakeTokens() {
    std::vector<std::string> secrets = {admin_secret_};
    secrets.push_back(CreateToken("alice.biomed", v1::ROLE_ASSET_MANAGER).secret());
    secrets.push_back(CreateToken("grafana", v1::ROLE_VIEWER, absl::Hours(24)).secret());
    v1::CreateTokenResponse revoked = CreateToken("old.integration", v1::ROLE_TRANSPORT);
    RevokeToken(revoked.token().id());
    secrets.push_back(revoked.secret());
    for (const std::string& secret : secrets) EXPECT_FALSE(secret.empty());
    return secrets;
  }
};

TEST_F(TokenSecrecyTest, DataDirectoryHoldsOnlyTheSecretsHashes) {
  const std::vector<std::string> secrets = MakeTokens();
  StopServer();  // closes RocksDB: everything written is in the WAL / SST files now

  for (const std::string& secret : secrets) {
    EXPECT_THAT(FilesContaining(data_dir_, secret), ::testing::IsEmpty()) << "a secret is stored in clear";
  }

  // Reopen, check that exactly the hashes are the keys, and flush the memtables into SST files.
  {
    storage::DatabaseOptions options;
    options.path = data_dir_;
    absl::StatusOr<std::unique_ptr<storage::Database>> db = storage::Database::Open(options);
    ASSERT_TRUE(db.ok()) << db.status();
    for (const std::string& secret : secrets) {
      absl::StatusOr<std::optional<std::string>> stored =
          (*db)->Get(storage::ColumnFamily::kTokens, storage::keys::TokenKey(storage::Sha256(secret)));
      ASSERT_TRUE(stored.ok()) << stored.status();
      ASSERT_TRUE(stored->has_value()) << "the token is not stored under its secret's SHA-256";
      v1::Token token;
      ASSERT_TRUE(token.ParseFromString(**stored));
      for (const std::string& form : SecretForms(secret)) {
        EXPECT_EQ(token.SerializeAsString().find(form), std::string::npos);
      }
    }
    int stored_tokens = 0;
    std::unique_ptr<rocksdb::Iterator> it = (*db)->NewIterator(storage::ColumnFamily::kTokens, rocksdb::ReadOptions());
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      ++stored_tokens;
      EXPECT_EQ(it->key().size(), 1u + 32u) << "a token key is not [version][SHA-256]";
    }
    EXPECT_EQ(stored_tokens, static_cast<int>(secrets.size()));
    for (std::size_t cf = 0; cf < storage::kColumnFamilyCount; ++cf) {
      ASSERT_TRUE(
          (*db)->raw().Flush(rocksdb::FlushOptions(), (*db)->Handle(static_cast<storage::ColumnFamily>(cf))).ok());
    }
  }
  for (const std::string& secret : secrets) {
    EXPECT_THAT(FilesContaining(data_dir_, secret), ::testing::IsEmpty()) << "a secret is stored in clear after flush";
  }
}

TEST_F(TokenSecrecyTest, AuditLogNeverContainsASecret) {
  const std::vector<std::string> secrets = MakeTokens();
  const std::vector<v1::AuditEntry> entries = AllAudit();
  ASSERT_GE(entries.size(), 5u);  // offline create, 3 creates, 1 revoke
  for (const v1::AuditEntry& entry : entries) {
    const std::string serialized = entry.SerializeAsString();
    for (const std::string& secret : secrets) {
      for (const std::string& form : SecretForms(secret)) {
        EXPECT_EQ(serialized.find(form), std::string::npos) << "audit entry " << entry.index() << " holds a secret";
      }
    }
  }
}

TEST_F(TokenSecrecyTest, ListTokensNeverReturnsASecretOrHash) {
  const std::vector<std::string> secrets = MakeTokens();
  v1::ListTokensResponse response;
  ASSERT_TRUE(ListTokens(admin_secret_, &response).ok());
  EXPECT_EQ(response.tokens_size(), static_cast<int>(secrets.size())) << "live and revoked tokens are listed";
  const std::string serialized = response.SerializeAsString();
  for (const std::string& secret : secrets) {
    for (const std::string& form : SecretForms(secret)) EXPECT_EQ(serialized.find(form), std::string::npos);
    EXPECT_EQ(serialized.find(storage::Sha256(secret)), std::string::npos) << "the hash is returned";
  }
  for (const v1::Token& token : response.tokens()) {
    EXPECT_TRUE(absl::StartsWith(token.id(), "tok_")) << token.id();
    EXPECT_FALSE(absl::StartsWith(token.id(), "ptk_"));
  }
}

TEST_F(TokenSecrecyTest, LogsNeverContainASecret) {
  std::ostringstream captured;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(captured);
  std::shared_ptr<spdlog::logger> logger = spdlog::default_logger();
  const spdlog::level::level_enum previous_level = logger->level();
  logger->sinks().push_back(sink);
  logger->set_level(spdlog::level::trace);

  std::vector<std::string> secrets = MakeTokens();
  const std::string viewer = CreateToken("vera.viewer", v1::ROLE_VIEWER).secret();
  secrets.push_back(viewer);
  ListTokens(viewer);      // wrong role: logged refusal
  ListTokens(secrets[3]);  // revoked: logged refusal
  const std::string unknown = "ptk_" + std::string(43, 'Q');
  secrets.push_back(unknown);
  ListTokens(unknown);  // unknown
  StopServer();

  logger->flush();
  logger->sinks().pop_back();
  logger->set_level(previous_level);
  const std::string logs = captured.str();
  EXPECT_THAT(logs, ::testing::HasSubstr("refused")) << "the refusals were not logged at all";
  for (const std::string& secret : secrets) {
    for (const std::string& form : SecretForms(secret)) EXPECT_EQ(logs.find(form), std::string::npos) << logs;
  }
}

TEST_F(TokenSecrecyTest, TokenCreationAndRevocationAreAuditedWithTheAdminAsActor) {
  v1::CreateTokenResponse created = CreateToken("alice.biomed", v1::ROLE_ASSET_MANAGER);
  RevokeToken(created.token().id());
  EXPECT_EQ(created.token().created_by(), kAdminName);

  const std::vector<v1::AuditEntry> entries = AllAudit();
  ASSERT_EQ(entries.size(), 3u);
  // 1: the offline admin token, made by the operator.
  EXPECT_EQ(entries[0].action(), "token.create");
  EXPECT_EQ(entries[0].actor_kind(), v1::ACTOR_KIND_OPERATOR);
  EXPECT_EQ(entries[0].actor(), "operator");
  // 2: alice's token, made by the admin.
  EXPECT_EQ(entries[1].action(), "token.create");
  EXPECT_EQ(entries[1].actor_kind(), v1::ACTOR_KIND_TOKEN);
  EXPECT_EQ(entries[1].actor(), kAdminName);
  EXPECT_EQ(entries[1].target(), created.token().id());
  EXPECT_THAT(entries[1].after(), ::testing::HasSubstr("alice.biomed"));
  // 3: its revocation, by the admin.
  EXPECT_EQ(entries[2].action(), "token.revoke");
  EXPECT_EQ(entries[2].actor_kind(), v1::ACTOR_KIND_TOKEN);
  EXPECT_EQ(entries[2].actor(), kAdminName);
  EXPECT_EQ(entries[2].target(), created.token().id());
  EXPECT_THAT(entries[2].after(), ::testing::HasSubstr("revoked"));
  EXPECT_THAT(entries[2].before(), ::testing::Not(::testing::HasSubstr("revoked")));
}

TEST_F(TokenSecrecyTest, OfflineTokenCreationIsRefusedWhileTheServerHoldsTheDataDirectory) {
  absl::StatusOr<storage::CreatedToken> created =
      service::CreateTokenOffline(data_dir_, "sneaky", "admin", absl::ZeroDuration());
  EXPECT_EQ(created.status().code(), absl::StatusCode::kUnavailable) << created.status();
  // The running server is unaffected.
  EXPECT_TRUE(ListTokens(admin_secret_).ok());
}

// ---------------------------------------------------------------------------------------------------------------------
// --insecure: plaintext for development, but authentication and enrollment still apply.

class InsecureModeTest : public SecurityServerTest {
 protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(StartInsecureServer()); }
};

TEST_F(InsecureModeTest, PeoplesCallsStillNeedAToken) {
  grpc::Status status = ListTokens("");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << status.error_message();
  status = ListDevices("");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << status.error_message();
  EXPECT_TRUE(ListTokens(admin_secret_).ok());
}

TEST_F(InsecureModeTest, UnenrolledAgentIdIsPermissionDenied) {
  grpc::Status status = Report(PeopleChannel(), "gw-unknown", "PT-00042", 1);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
  v1::Device device;
  EXPECT_EQ(GetDevice("PT-00042", &device).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(InsecureModeTest, RevokedAgentIdIsPermissionDenied) {
  EnrollAgent("gw-5west-01");
  RevokeAgent("gw-5west-01");
  grpc::Status status = Report(PeopleChannel(), "gw-5west-01", "PT-00042", 1);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
}

TEST_F(InsecureModeTest, MissingOrInvalidAgentIdIsRefused) {
  grpc::Status status = Report(PeopleChannel(), "", "PT-00042", 1);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  status = Report(PeopleChannel(), "gw/../../etc", "PT-00042", 1);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
}

TEST_F(InsecureModeTest, EnrolledAgentIdIsAccepted) {
  EnrollAgent("gw-5west-01");
  v1::ReportResponse response;
  grpc::Status status = Report(PeopleChannel(), "gw-5west-01", "PT-00042", 1, &response);
  ASSERT_TRUE(status.ok()) << status.error_code() << " " << status.error_message();
  EXPECT_EQ(response.result(), v1::REPORT_RESULT_ACCEPTED);
  v1::Device device;
  ASSERT_TRUE(GetDevice("PT-00042", &device).ok());
  EXPECT_EQ(device.last_agent().agent_id(), "gw-5west-01");
}

}  // namespace
}  // namespace pumptrack::security_testing
