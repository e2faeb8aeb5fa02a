// storage::AdvisoryStore on a real RocksDB in a temporary directory: stage, read back, list in pages, and keep
// advisories across a reopen and a backup/restore.
#include "storage/advisory_store.h"

#include <memory>
#include <string>

#include "advisories/csaf_parser.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/backup.h"
#include "storage/database.h"
#include "tests/advisories/fixtures.h"
#include "tests/common/test_support.h"

namespace pumptrack::storage {
namespace {

using ::pumptrack::testing_support::ScopedTempDir;
using ::testing::ElementsAre;

v1::Advisory Fixture(const std::string& name) {
  absl::StatusOr<v1::Advisory> advisory = advisories::ParseCsafAdvisory(advisories::testing::ReadFixture(name));
  EXPECT_TRUE(advisory.ok()) << advisory.status();
  return advisory.ok() ? *advisory : v1::Advisory();
}

std::unique_ptr<Database> Open(const std::string& path) {
  DatabaseOptions options;
  options.path = path;
  options.block_cache_bytes = 1 << 20;
  absl::StatusOr<std::unique_ptr<Database>> db = Database::Open(options);
  EXPECT_TRUE(db.ok()) << db.status();
  return db.ok() ? *std::move(db) : nullptr;
}

absl::Status Store(Database& db, const v1::Advisory& advisory) {
  AdvisoryStore store(&db);
  rocksdb::WriteBatch batch;
  if (absl::Status s = store.Stage(advisory, batch); !s.ok()) return s;
  return db.Write(batch, /*sync=*/true);
}

std::vector<std::string> Ids(const std::vector<v1::Advisory>& advisories) {
  std::vector<std::string> ids;
  for (const v1::Advisory& a : advisories) ids.push_back(a.tracking_id() + "@" + a.version());
  return ids;
}

TEST(AdvisoryStore, StoresReadsAndReplacesByTrackingId) {
  ScopedTempDir dir;
  std::unique_ptr<Database> db = Open(dir.path());
  ASSERT_NE(db, nullptr);
  AdvisoryStore store(db.get());
  absl::StatusOr<std::optional<v1::Advisory>> none = store.Get("ICSMA-23-193-01");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());

  const v1::Advisory alaris = Fixture("icsma-23-193-01.json");
  ASSERT_TRUE(Store(*db, alaris).ok());
  absl::StatusOr<std::optional<v1::Advisory>> read = store.Get("ICSMA-23-193-01");
  ASSERT_TRUE(read.ok() && read->has_value());
  EXPECT_EQ((*read)->SerializeAsString(), alaris.SerializeAsString());

  ASSERT_TRUE(Store(*db, Fixture("icsma-17-250-02-v1.json")).ok());
  ASSERT_TRUE(Store(*db, Fixture("icsma-17-250-02-v2.json")).ok());
  absl::StatusOr<std::vector<v1::Advisory>> all = store.LoadAll();
  ASSERT_TRUE(all.ok());
  EXPECT_THAT(Ids(*all), ElementsAre("ICSMA-17-250-02@2", "ICSMA-23-193-01@" + alaris.version()));
}

TEST(AdvisoryStore, ListsInPages) {
  ScopedTempDir dir;
  std::unique_ptr<Database> db = Open(dir.path());
  ASSERT_NE(db, nullptr);
  for (const char* name : {"icsma-23-193-01.json", "icsma-21-294-01.json", "icsma-22-251-01.json"}) {
    ASSERT_TRUE(Store(*db, Fixture(name)).ok());
  }
  AdvisoryStore store(db.get());
  absl::StatusOr<AdvisoryPage> first = store.List("", 2);
  ASSERT_TRUE(first.ok());
  EXPECT_THAT(Ids(first->advisories),
              ElementsAre(::testing::StartsWith("ICSMA-21-294-01@"), ::testing::StartsWith("ICSMA-22-251-01@")));
  EXPECT_EQ(first->next_after, "ICSMA-22-251-01");
  absl::StatusOr<AdvisoryPage> second = store.List(first->next_after, 2);
  ASSERT_TRUE(second.ok());
  EXPECT_THAT(Ids(second->advisories), ElementsAre(::testing::StartsWith("ICSMA-23-193-01@")));
  EXPECT_EQ(second->next_after, "");
}

TEST(AdvisoryStore, RefusesAnEmptyTrackingId) {
  ScopedTempDir dir;
  std::unique_ptr<Database> db = Open(dir.path());
  ASSERT_NE(db, nullptr);
  rocksdb::WriteBatch batch;
  EXPECT_EQ(AdvisoryStore(db.get()).Stage(v1::Advisory(), batch).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(batch.Count(), 0u);
}

TEST(AdvisoryStore, SurvivesReopenAndBackupRestore) {
  ScopedTempDir dir;
  ScopedTempDir backups;
  ScopedTempDir restored;
  {
    std::unique_ptr<Database> db = Open(dir.path());
    ASSERT_NE(db, nullptr);
    ASSERT_TRUE(Store(*db, Fixture("icsma-21-294-01.json")).ok());
  }
  std::unique_ptr<Database> db = Open(dir.path());
  ASSERT_NE(db, nullptr);
  absl::StatusOr<std::optional<v1::Advisory>> reopened = AdvisoryStore(db.get()).Get("ICSMA-21-294-01");
  ASSERT_TRUE(reopened.ok() && reopened->has_value());
  absl::StatusOr<v1::Backup> backup = CreateBackup(*db, backups.path());
  ASSERT_TRUE(backup.ok()) << backup.status();
  db.reset();
  absl::StatusOr<v1::Backup> restore = RestoreBackup(backups.path(), std::nullopt, restored.path());
  ASSERT_TRUE(restore.ok()) << restore.status();
  std::unique_ptr<Database> copy = Open(restored.path());
  ASSERT_NE(copy, nullptr);
  absl::StatusOr<std::optional<v1::Advisory>> read = AdvisoryStore(copy.get()).Get("ICSMA-21-294-01");
  ASSERT_TRUE(read.ok() && read->has_value());
  EXPECT_EQ((*read)->SerializeAsString(), (*reopened)->SerializeAsString());
}

}  // namespace
}  // namespace pumptrack::storage
