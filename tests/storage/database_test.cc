// Integration tests for storage/database.h against a real RocksDB in a fresh temporary directory: creation, format
// version, unknown column families, locking, reopen, history retention, and the disk-trouble hooks (free space, probe
// writes, background errors) on a file system that fails writes on demand.
#include "storage/database.h"

#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "rocksdb/options.h"
#include "rocksdb/table_properties.h"
#include "rocksdb/write_batch.h"
#include "storage/column_families.h"
#include "storage/device_store.h"
#include "storage/keys.h"
#include "tests/common/faulty_file_system.h"
#include "tests/storage/storage_test_util.h"

namespace pumptrack::storage {
namespace {

using ::testing::HasSubstr;
using testing_util::BaseTime;
using testing_util::Batch;
using testing_util::Obs;
using testing_util::ScopedTempDir;

DatabaseOptions OptionsFor(const std::string& path) {
  DatabaseOptions options;
  options.path = path;
  options.block_cache_bytes = 1 << 20;
  return options;
}

std::string EncodedVersion(std::uint32_t version) {
  std::string value;
  keys::AppendBigEndian32(value, version);
  return value;
}

// Overwrites the stored format version of an open database, synced.
void WriteFormatVersion(Database& db, absl::string_view value) {
  rocksdb::WriteOptions write;
  write.sync = true;
  ASSERT_TRUE(
      db.raw().Put(write, db.Handle(ColumnFamily::kMeta), ToSlice(keys::kFormatVersionKey), ToSlice(value)).ok());
}

TEST(DatabaseTest, OpenCreatesDirectoryAndWritesFormatVersion) {
  ScopedTempDir dir;
  ASSERT_FALSE(std::filesystem::exists(dir.root()));

  absl::StatusOr<std::unique_ptr<Database>> db = Database::Open(OptionsFor(dir.path()));
  ASSERT_TRUE(db.ok()) << db.status();
  EXPECT_TRUE(std::filesystem::is_directory(dir.root()));
  EXPECT_TRUE(std::filesystem::exists(dir.root() / "CURRENT"));
  EXPECT_EQ((*db)->path(), dir.path());

  absl::StatusOr<std::optional<std::string>> version = (*db)->Get(ColumnFamily::kMeta, keys::kFormatVersionKey);
  ASSERT_TRUE(version.ok()) << version.status();
  ASSERT_TRUE(version->has_value());
  EXPECT_EQ(**version, std::string("\x00\x00\x00\x01", 4));
  EXPECT_EQ(**version, EncodedVersion(kFormatVersion));

  // Every family is open under its on-disk name.
  for (std::size_t i = 0; i < kColumnFamilyCount; ++i) {
    rocksdb::ColumnFamilyHandle* handle = (*db)->Handle(static_cast<ColumnFamily>(i));
    ASSERT_NE(handle, nullptr) << i;
    EXPECT_EQ(handle->GetName(), std::string(kColumnFamilyNames[i]));
  }
  std::vector<std::string> families;
  ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), dir.path(), &families).ok());
  std::vector<std::string> expected(kColumnFamilyNames.begin(), kColumnFamilyNames.end());
  EXPECT_THAT(families, ::testing::UnorderedElementsAreArray(expected));
  EXPECT_THAT(families,
              ::testing::IsSupersetOf({"default", "meta", "devices", "serial_index", "device_index", "history"}));
}

TEST(DatabaseTest, OpenCreatesMissingParentDirectories) {
  ScopedTempDir dir;
  const std::filesystem::path nested = dir.root() / "var" / "lib" / "pumptrack";
  absl::StatusOr<std::unique_ptr<Database>> db = Database::Open(OptionsFor(nested.string()));
  ASSERT_TRUE(db.ok()) << db.status();
  EXPECT_TRUE(std::filesystem::exists(nested / "CURRENT"));
  EXPECT_EQ((*db)->Get(ColumnFamily::kMeta, keys::kFormatVersionKey).value(),
            std::optional<std::string>(EncodedVersion(kFormatVersion)));
}

TEST(DatabaseTest, ReopenKeepsDataAndFormatVersion) {
  ScopedTempDir dir;
  {
    absl::StatusOr<std::unique_ptr<Database>> db = Database::Open(OptionsFor(dir.path()));
    ASSERT_TRUE(db.ok()) << db.status();
    rocksdb::WriteBatch batch;
    ASSERT_TRUE(batch.Put((*db)->Handle(ColumnFamily::kDevices), "\x01PT-7", "state").ok());
    ASSERT_TRUE(batch.Put((*db)->Handle(ColumnFamily::kSerialIndex), "\x01SN-7", "PT-7").ok());
    ASSERT_TRUE((*db)->Write(batch, /*sync=*/true).ok());
  }
  absl::StatusOr<std::unique_ptr<Database>> db = Database::Open(OptionsFor(dir.path()));
  ASSERT_TRUE(db.ok()) << db.status();
  EXPECT_EQ((*db)->Get(ColumnFamily::kDevices, "\x01PT-7").value(), std::optional<std::string>("state"));
  EXPECT_EQ((*db)->Get(ColumnFamily::kSerialIndex, "\x01SN-7").value(), std::optional<std::string>("PT-7"));
  // Families are separate key spaces.
  EXPECT_EQ((*db)->Get(ColumnFamily::kHistory, "\x01PT-7").value(), std::nullopt);
  EXPECT_EQ((*db)->Get(ColumnFamily::kMeta, keys::kFormatVersionKey).value(),
            std::optional<std::string>(EncodedVersion(kFormatVersion)));
}

TEST(DatabaseTest, RefusesDataDirectoryWithAnotherFormatVersion) {
  ScopedTempDir dir;
  for (std::uint32_t other : {kFormatVersion + 1, std::uint32_t{0}}) {
    {
      absl::StatusOr<std::unique_ptr<Database>> db = Database::Open(OptionsFor(dir.path()));
      ASSERT_TRUE(db.ok()) << db.status();
      ASSERT_NO_FATAL_FAILURE(WriteFormatVersion(**db, EncodedVersion(other)));
    }
    absl::StatusOr<std::unique_ptr<Database>> refused = Database::Open(OptionsFor(dir.path()));
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition) << refused.status();
    EXPECT_THAT(std::string(refused.status().message()), HasSubstr(absl::StrCat("format version ", other)));
    EXPECT_THAT(std::string(refused.status().message()), HasSubstr(dir.path()));

    // The refusal must release the directory and leave the stored version alone: a plain RocksDB can open it and
    // still sees the foreign version; restoring it makes the directory usable again.
    std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
    for (absl::string_view name : kColumnFamilyNames)
      descriptors.emplace_back(std::string(name), rocksdb::ColumnFamilyOptions());
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* raw = nullptr;
    rocksdb::Status opened = rocksdb::DB::Open(rocksdb::DBOptions(), dir.path(), descriptors, &handles, &raw);
    ASSERT_TRUE(opened.ok()) << opened.ToString();
    std::unique_ptr<rocksdb::DB> plain(raw);
    std::string stored;
    ASSERT_TRUE(plain->Get(rocksdb::ReadOptions(), handles[1], ToSlice(keys::kFormatVersionKey), &stored).ok());
    EXPECT_EQ(stored, EncodedVersion(other));
    ASSERT_TRUE(
        plain
            ->Put(rocksdb::WriteOptions(), handles[1], ToSlice(keys::kFormatVersionKey), EncodedVersion(kFormatVersion))
            .ok());
    for (rocksdb::ColumnFamilyHandle* handle : handles) ASSERT_TRUE(plain->DestroyColumnFamilyHandle(handle).ok());
    ASSERT_TRUE(plain->Close().ok());
  }
  EXPECT_TRUE(Database::Open(OptionsFor(dir.path())).ok());
}

TEST(DatabaseTest, RefusesMalformedFormatVersionWithDataLoss) {
  ScopedTempDir dir;
  {
    absl::StatusOr<std::unique_ptr<Database>> db = Database::Open(OptionsFor(dir.path()));
    ASSERT_TRUE(db.ok()) << db.status();
    ASSERT_NO_FATAL_FAILURE(WriteFormatVersion(**db, std::string("\x00\x01", 2)));
  }
  absl::StatusOr<std::unique_ptr<Database>> refused = Database::Open(OptionsFor(dir.path()));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kDataLoss) << refused.status();
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("malformed format version"));
}

TEST(DatabaseTest, RefusesDataDirectoryWithUnknownColumnFamily) {
  ScopedTempDir dir;
  {
    absl::StatusOr<std::unique_ptr<Database>> db = Database::Open(OptionsFor(dir.path()));
    ASSERT_TRUE(db.ok()) << db.status();
    rocksdb::ColumnFamilyHandle* handle = nullptr;
    ASSERT_TRUE((*db)->raw().CreateColumnFamily(rocksdb::ColumnFamilyOptions(), "audit_log", &handle).ok());
    ASSERT_TRUE((*db)->raw().DestroyColumnFamilyHandle(handle).ok());
  }
  absl::StatusOr<std::unique_ptr<Database>> refused = Database::Open(OptionsFor(dir.path()));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition) << refused.status();
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("'audit_log'"));
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("unknown to this pumptrack version"));
}

TEST(DatabaseTest, SecondOpenOfALockedDirectoryIsUnavailable) {
  ScopedTempDir dir;
  absl::StatusOr<std::unique_ptr<Database>> first = Database::Open(OptionsFor(dir.path()));
  ASSERT_TRUE(first.ok()) << first.status();

  absl::StatusOr<std::unique_ptr<Database>> second = Database::Open(OptionsFor(dir.path()));
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable) << second.status();
  EXPECT_THAT(std::string(second.status().message()), HasSubstr(absl::StrCat("open ", dir.path())));
  EXPECT_THAT(std::string(second.status().message()), HasSubstr("LOCK"));

  // The first instance is unaffected, and once it is closed the directory opens again.
  EXPECT_TRUE((*first)->Get(ColumnFamily::kMeta, keys::kFormatVersionKey).ok());
  first->reset();
  EXPECT_TRUE(Database::Open(OptionsFor(dir.path())).ok());
}

TEST(DatabaseTest, GetOfMissingKeyIsNulloptAndIntPropertyWorks) {
  ScopedTempDir dir;
  absl::StatusOr<std::unique_ptr<Database>> db = Database::Open(OptionsFor(dir.path()));
  ASSERT_TRUE(db.ok()) << db.status();
  absl::StatusOr<std::optional<std::string>> missing = (*db)->Get(ColumnFamily::kDevices, keys::DeviceKey("PT-404"));
  ASSERT_TRUE(missing.ok()) << missing.status();
  EXPECT_EQ(*missing, std::nullopt);

  std::optional<std::uint64_t> keys_in_meta = (*db)->IntProperty(ColumnFamily::kMeta, "rocksdb.estimate-num-keys");
  ASSERT_TRUE(keys_in_meta.has_value());
  EXPECT_EQ(*keys_in_meta, 1u);  // the format version
  EXPECT_EQ((*db)->IntProperty(ColumnFamily::kMeta, "rocksdb.no-such-property"), std::nullopt);
}

// History retention runs in the history family's compaction filter with the injected clock.
TEST(DatabaseTest, HistoryRetentionDropsOldEntriesOnCompaction) {
  ScopedTempDir dir;
  absl::Time clock = BaseTime();
  DatabaseOptions options = OptionsFor(dir.path());
  options.history_retention = absl::Hours(24 * 30);
  options.clock = [&clock] { return clock; };
  absl::StatusOr<std::unique_ptr<Database>> db = Database::Open(options);
  ASSERT_TRUE(db.ok()) << db.status();
  DeviceStore store(db->get());

  const absl::Time now = BaseTime();
  Batch batch;
  batch.Add(Obs("PT-1").Seq(1).At(now - absl::Hours(24 * 100)).Room("501"));  // first seen, 100 days old
  batch.Add(Obs("PT-1").Seq(2).At(now - absl::Hours(24 * 40)).Room("502"));   // 40 days old
  batch.Add(Obs("PT-1").Seq(3).At(now - absl::Hours(24 * 10)).Room("503"));   // 10 days old
  batch.Add(Obs("PT-1").Seq(4).At(now - absl::Hours(24 * 1)).Room("504"));    // 1 day old
  batch.Add(Obs("PT-2").Seq(1).At(now - absl::Hours(24 * 31)));               // just past retention
  batch.Add(Obs("PT-3").Seq(1).At(now - absl::Hours(24 * 29)));               // just within retention
  absl::StatusOr<std::vector<ApplyResult>> applied = store.Apply(batch.span(), now);
  ASSERT_TRUE(applied.ok()) << applied.status();

  auto sequences = [&](absl::string_view tag) {
    std::vector<std::uint64_t> out;
    absl::StatusOr<HistoryPage> page = store.GetHistory(tag, absl::InfinitePast(), absl::InfiniteFuture(), "", 100);
    EXPECT_TRUE(page.ok()) << page.status();
    if (page.ok()) {
      for (const v1::HistoryEntry& entry : page->entries) out.push_back(entry.sequence());
    }
    return out;
  };
  auto compact_history = [&] {
    rocksdb::CompactRangeOptions compact;
    compact.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
    rocksdb::Status status =
        (*db)->raw().CompactRange(compact, (*db)->Handle(ColumnFamily::kHistory), nullptr, nullptr);
    ASSERT_TRUE(status.ok()) << status.ToString();
  };
  // Nothing is dropped before compaction.
  ASSERT_EQ(sequences("PT-1"), (std::vector<std::uint64_t>{4, 3, 2, 1}));

  ASSERT_NO_FATAL_FAILURE(compact_history());
  EXPECT_EQ(sequences("PT-1"), (std::vector<std::uint64_t>{4, 3}));
  EXPECT_EQ(sequences("PT-2"), (std::vector<std::uint64_t>{}));
  EXPECT_EQ(sequences("PT-3"), (std::vector<std::uint64_t>{1}));
  // Retention applies to history only: the devices themselves stay.
  EXPECT_TRUE(store.GetDevice("PT-2").ok());
  absl::StatusOr<v1::Device> pt1 = store.GetDevice("PT-1");
  ASSERT_TRUE(pt1.ok());
  EXPECT_EQ(pt1->last_observation().sequence(), 4u);

  // Advancing the injected clock by 25 days ages the 10-day-old entry (now 35 days) out, not the 1-day-old one.
  clock = BaseTime() + absl::Hours(24 * 25);
  ASSERT_NO_FATAL_FAILURE(compact_history());
  EXPECT_EQ(sequences("PT-1"), (std::vector<std::uint64_t>{4}));
  EXPECT_EQ(sequences("PT-3"), (std::vector<std::uint64_t>{}));
}

// Devices' current state stays LZ4 where it settles (the writer reads it for reports that miss the block cache and
// start-up reads all of it); history, read rarely and large, is ZSTD there.
TEST(DatabaseTest, DevicesSettleInLz4AndHistoryInZstd) {
  ScopedTempDir dir;
  absl::StatusOr<std::unique_ptr<Database>> db = Database::Open(OptionsFor(dir.path()));
  ASSERT_TRUE(db.ok()) << db.status();
  DeviceStore store(db->get());
  Batch batch;
  for (int i = 0; i < 50; ++i) batch.Add(Obs(absl::StrCat("PT-", i)).Seq(1).At(BaseTime()));
  ASSERT_TRUE(store.Apply(batch.span(), BaseTime()).ok());
  EXPECT_GE(store.EstimatedDevices(), 50u);

  auto compressions = [&](ColumnFamily cf) {
    rocksdb::CompactRangeOptions compact;
    compact.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
    EXPECT_TRUE((*db)->raw().CompactRange(compact, (*db)->Handle(cf), nullptr, nullptr).ok());
    rocksdb::TablePropertiesCollection tables;
    EXPECT_TRUE((*db)->raw().GetPropertiesOfAllTables((*db)->Handle(cf), &tables).ok());
    std::set<std::string> names;
    for (const auto& [file, properties] : tables) names.insert(properties->compression_name);
    return names;
  };
  EXPECT_EQ(compressions(ColumnFamily::kDevices), std::set<std::string>{"LZ4"});
  EXPECT_EQ(compressions(ColumnFamily::kHistory), std::set<std::string>{"ZSTD"});
}

TEST(DatabaseDiskTroubleTest, ProbeFreeSpaceAndBackgroundErrorsFollowTheVolume) {
  using ::pumptrack::testing_support::DiskFault;
  using ::pumptrack::testing_support::FaultyFileSystem;
  ScopedTempDir dir;
  auto fs = std::make_shared<FaultyFileSystem>();
  std::unique_ptr<rocksdb::Env> env = ::pumptrack::testing_support::NewFaultyEnv(fs);
  DatabaseOptions options = OptionsFor(dir.path());
  options.env = env.get();
  absl::StatusOr<std::unique_ptr<Database>> database = Database::Open(options);
  ASSERT_TRUE(database.ok()) << database.status();
  absl::Mutex mu;  // RocksDB's recovery thread may report too
  std::vector<absl::Status> errors;
  (*database)->SetBackgroundErrorHandler([&](const absl::Status& error) {
    absl::MutexLock lock(&mu);
    errors.push_back(error);
  });

  fs->SetFreeSpace(12345);
  EXPECT_EQ((*database)->FreeBytes().value_or(0), 12345u);
  EXPECT_TRUE((*database)->ProbeWritable().ok());
  EXPECT_FALSE(std::filesystem::exists(std::filesystem::path(dir.path()) / "HEALTH-PROBE"));

  fs->SetFault(DiskFault::kFailing);
  EXPECT_TRUE(absl::IsUnavailable((*database)->ProbeWritable()));
  fs->SetFault(DiskFault::kFull);
  EXPECT_TRUE(absl::IsResourceExhausted((*database)->ProbeWritable()));
  rocksdb::WriteBatch batch;
  ASSERT_TRUE(batch.Put((*database)->Handle(ColumnFamily::kMeta), "probe-key", "v").ok());
  EXPECT_TRUE(absl::IsResourceExhausted((*database)->Write(batch, /*sync=*/true)));
  EXPECT_FALSE((*database)->Resume().ok());
  (*database)->SetBackgroundErrorHandler(nullptr);
  {
    absl::MutexLock lock(&mu);
    ASSERT_FALSE(errors.empty());  // RocksDB stopped taking writes, and said so
    EXPECT_TRUE(absl::IsResourceExhausted(errors[0])) << errors[0];
  }
  absl::StatusOr<std::optional<std::string>> stored = (*database)->Get(ColumnFamily::kMeta, "probe-key");
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_FALSE(stored->has_value());
  fs->SetFault(DiskFault::kNone);
}

}  // namespace
}  // namespace pumptrack::storage
