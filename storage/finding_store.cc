#include "storage/finding_store.h"

#include <limits>
#include <memory>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"
#include "storage/keys.h"
#include "storage/rocksdb_status.h"

namespace pumptrack::storage {
namespace {

// Bounds the work of one List call when filters reject most findings.
constexpr int kMaxScannedPerPage = 10'000;

bool IsActive(v1::FindingState state) {
  return state == v1::FINDING_STATE_OPEN || state == v1::FINDING_STATE_ACKNOWLEDGED;
}

absl::StatusOr<v1::Finding> ParseFinding(absl::string_view bytes, std::uint64_t number) {
  v1::Finding finding;
  if (!finding.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::DataLossError(absl::StrCat("stored finding ", FindingId(number), " does not parse"));
  }
  return finding;
}

bool Matches(const FindingFilter& filter, const v1::Finding& finding) {
  const bool state_matches =
      filter.state == v1::FINDING_STATE_UNSPECIFIED ? IsActive(finding.state()) : finding.state() == filter.state;
  return state_matches && (filter.kind == v1::FINDING_KIND_UNSPECIFIED || finding.kind() == filter.kind) &&
         (filter.severity == v1::SEVERITY_UNSPECIFIED || finding.severity() == filter.severity) &&
         (filter.facility.empty() || finding.facility() == filter.facility) &&
         (filter.unit.empty() || finding.unit() == filter.unit) &&
         (filter.asset_tag.empty() || finding.asset_tag() == filter.asset_tag);
}

}  // namespace

std::string FindingId(std::uint64_t number) { return absl::StrCat("F-", number); }

absl::StatusOr<std::uint64_t> ParseFindingId(absl::string_view id) {
  std::uint64_t number = 0;
  if (!absl::ConsumePrefix(&id, "F-") || id.empty() || id.size() > 20 || !absl::SimpleAtoi(id, &number) ||
      number == 0) {
    return absl::InvalidArgumentError("id: must look like F-123");
  }
  return number;
}

std::string FindingSubject(const v1::Finding& finding) {
  if (!finding.asset_tag().empty()) return finding.asset_tag();
  return absl::StrCat(kUnitSubjectPrefix, finding.facility(), "/", finding.unit());
}

absl::Status FindingStore::Stage(const v1::Finding& finding, rocksdb::WriteBatch& batch) const {
  absl::StatusOr<std::uint64_t> number = ParseFindingId(finding.id());
  if (!number.ok()) return absl::InternalError(absl::StrCat("finding with malformed id \"", finding.id(), "\""));
  rocksdb::Status s =
      batch.Put(database_->Handle(ColumnFamily::kFindings), keys::FindingKey(*number), finding.SerializeAsString());
  if (s.ok()) {
    s = batch.Put(database_->Handle(ColumnFamily::kDeviceFindings),
                  keys::DeviceFindingKey(FindingSubject(finding), *number), rocksdb::Slice());
  }
  if (s.ok()) {
    const std::string open_key = keys::OpenFindingKey(FindingSubject(finding), finding.rule());
    if (IsActive(finding.state())) {
      std::string value;
      keys::AppendBigEndian64(value, *number);
      s = batch.Put(database_->Handle(ColumnFamily::kOpenFindings), open_key, value);
    } else {
      s = batch.Delete(database_->Handle(ColumnFamily::kOpenFindings), open_key);
    }
  }
  return FromRocksDb(s, "stage finding");
}

absl::Status FindingStore::StageNextNumber(std::uint64_t next, rocksdb::WriteBatch& batch) const {
  std::string value;
  keys::AppendBigEndian64(value, next);
  return FromRocksDb(batch.Put(database_->Handle(ColumnFamily::kMeta), ToSlice(keys::kNextFindingKey), value),
                     "stage next finding number");
}

absl::StatusOr<std::uint64_t> FindingStore::LoadNextNumber() const {
  ASSIGN_OR_RETURN(std::optional<std::string> value, database_->Get(ColumnFamily::kMeta, keys::kNextFindingKey));
  if (!value.has_value()) return 1;
  absl::string_view bytes = *value;
  std::optional<std::uint64_t> next = keys::ConsumeBigEndian64(bytes);
  if (!next || !bytes.empty()) return absl::DataLossError("stored next finding number is corrupt");
  return *next;
}

absl::StatusOr<v1::Finding> FindingStore::GetByNumber(std::uint64_t number) const {
  ASSIGN_OR_RETURN(std::optional<std::string> value, database_->Get(ColumnFamily::kFindings, keys::FindingKey(number)));
  if (!value.has_value()) return absl::NotFoundError(absl::StrCat("finding ", FindingId(number), " not found"));
  return ParseFinding(*value, number);
}

absl::StatusOr<v1::Finding> FindingStore::Get(absl::string_view id) const {
  ASSIGN_OR_RETURN(std::uint64_t number, ParseFindingId(id));
  return GetByNumber(number);
}

absl::StatusOr<std::vector<v1::Finding>> FindingStore::LoadOpen() const {
  std::unique_ptr<rocksdb::Iterator> it = database_->NewIterator(ColumnFamily::kOpenFindings, rocksdb::ReadOptions());
  std::vector<v1::Finding> findings;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    absl::string_view value = ToView(it->value());
    std::optional<std::uint64_t> number = keys::ConsumeBigEndian64(value);
    if (!number || !value.empty()) return absl::DataLossError("open-finding index entry is corrupt");
    ASSIGN_OR_RETURN(v1::Finding finding, GetByNumber(*number));
    findings.push_back(std::move(finding));
  }
  RETURN_IF_ERROR(FromRocksDb(it->status(), "load open findings"));
  return findings;
}

absl::StatusOr<FindingPage> FindingStore::List(const FindingFilter& filter, std::uint64_t below, int limit) const {
  // A device filter walks that device's index; otherwise all findings, newest first.
  const bool by_device = !filter.asset_tag.empty();
  const ColumnFamily family = by_device ? ColumnFamily::kDeviceFindings : ColumnFamily::kFindings;
  const std::string prefix =
      by_device ? keys::DeviceFindingsPrefix(filter.asset_tag) : std::string(1, keys::kKeyVersion);
  const std::uint64_t start = below == 0 ? std::numeric_limits<std::uint64_t>::max() : below - 1;
  const std::string seek = by_device ? keys::DeviceFindingKey(filter.asset_tag, start) : keys::FindingKey(start);
  rocksdb::Slice lower_bound_slice(prefix);
  rocksdb::ReadOptions options;
  options.iterate_lower_bound = &lower_bound_slice;
  std::unique_ptr<rocksdb::Iterator> it = database_->NewIterator(family, options);

  FindingPage page;
  int scanned = 0;
  std::uint64_t last_number = 0;
  for (it->SeekForPrev(seek); it->Valid(); it->Prev()) {
    if (static_cast<int>(page.findings.size()) >= limit || scanned >= kMaxScannedPerPage) {
      page.next_below = last_number;
      break;
    }
    ++scanned;
    ASSIGN_OR_RETURN(std::uint64_t number, by_device ? keys::ParseDeviceFindingKey(ToView(it->key()))
                                                     : keys::ParseFindingKey(ToView(it->key())));
    last_number = number;
    ASSIGN_OR_RETURN(v1::Finding finding, by_device ? GetByNumber(number) : ParseFinding(ToView(it->value()), number));
    if (Matches(filter, finding)) page.findings.push_back(std::move(finding));
  }
  RETURN_IF_ERROR(FromRocksDb(it->status(), "list findings"));
  return page;
}

}  // namespace pumptrack::storage
