#include "engine/advisory_runtime.h"

#include <algorithm>
#include <memory>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "advisories/csaf_parser.h"
#include "advisories/summary.h"
#include "common/status_macros.h"
#include "google/protobuf/arena.h"
#include "spdlog/spdlog.h"
#include "storage/proto_time.h"

namespace pumptrack::engine {
namespace {

std::string Revision(const v1::Advisory& advisory) {
  return absl::StrCat(
      advisory.tracking_id(), " revision ", advisory.version(), " of ",
      absl::FormatTime("%Y-%m-%d", storage::ToAbslTime(advisory.current_release_date()), absl::UTCTimeZone()));
}

}  // namespace

absl::StatusOr<std::vector<v1::AdvisorySummary>> AdvisoryRuntime::Import(const std::vector<v1::Advisory>& advisories,
                                                                         const std::vector<std::string>& what,
                                                                         const storage::Actor& actor, absl::Time now) {
  if (advisories.empty()) return absl::InvalidArgumentError("no advisories to import");
  // The targets the replaced revisions concerned, then those of the new ones: both sets of devices may change.
  std::vector<std::string> targets;
  absl::flat_hash_set<std::string> tracking_ids;
  absl::StatusOr<std::vector<v1::AdvisorySummary>> imported =
      RunOnWriter<absl::StatusOr<std::vector<v1::AdvisorySummary>>>(
          *ingest_, [&]() -> absl::StatusOr<std::vector<v1::AdvisorySummary>> {
            // The revision each tracking id has so far: stored, or staged earlier in this call.
            absl::flat_hash_map<std::string, std::optional<v1::Advisory>> current;
            std::vector<std::string> before;
            std::vector<std::string> after;
            std::vector<v1::AdvisorySummary> summaries;
            rocksdb::WriteBatch batch;
            for (std::size_t i = 0; i < advisories.size(); ++i) {
              const v1::Advisory& advisory = advisories[i];
              const std::string prefix = i < what.size() ? absl::StrCat(what[i], ": ") : "";
              auto it = current.find(advisory.tracking_id());
              if (it == current.end()) {
                ASSIGN_OR_RETURN(std::optional<v1::Advisory> stored, store_.Get(advisory.tracking_id()));
                if (stored.has_value()) before.push_back(Revision(*stored));
                it = current.emplace(advisory.tracking_id(), std::move(stored)).first;
              }
              if (it->second.has_value()) {
                const int order = advisories::CompareAdvisoryRevisions(advisory, *it->second);
                if (order == 0) {
                  return absl::AlreadyExistsError(absl::StrCat(prefix, Revision(advisory), " is already imported"));
                }
                if (order < 0) {
                  return absl::FailedPreconditionError(absl::StrCat(
                      prefix, Revision(advisory), " is older than the imported ", Revision(*it->second), "; refused"));
                }
              }
              RETURN_IF_ERROR(store_.Stage(advisory, batch));
              it->second = advisory;
              after.push_back(Revision(advisory));
              summaries.push_back(advisories::Summarize(advisory));
            }
            std::vector<std::string> ids;
            for (const auto& [id, unused] : current) {
              ids.push_back(id);
              tracking_ids.insert(id);
            }
            std::sort(ids.begin(), ids.end());
            RETURN_IF_ERROR(audit_
                                ->Commit(batch,
                                         {actor, "advisories.import", absl::StrJoin(ids, ","),
                                          absl::StrJoin(before, "; "), absl::StrJoin(after, "; ")},
                                         now)
                                .status());
            spdlog::info("advisories imported by {}: {}", actor.name, absl::StrJoin(after, "; "));
            // In force from the next evaluation on (this is the writer: no report is evaluated in between).
            std::shared_ptr<const rules::CompiledAdvisories> previous = engine_->advisories();
            for (const auto& [id, unused] : current) {
              for (std::string& t : previous->TargetsOfAdvisory(id)) targets.push_back(std::move(t));
            }
            ASSIGN_OR_RETURN(std::vector<v1::Advisory> all, store_.LoadAll());
            engine_->InstallAdvisories(std::move(all));
            std::shared_ptr<const rules::CompiledAdvisories> installed = engine_->advisories();
            for (const auto& [id, unused] : current) {
              for (std::string& t : installed->TargetsOfAdvisory(id)) targets.push_back(std::move(t));
            }
            return summaries;
          });
  if (!imported.ok()) return imported.status();
  std::sort(targets.begin(), targets.end());
  targets.erase(std::unique(targets.begin(), targets.end()), targets.end());
  RETURN_IF_ERROR(Reevaluate(targets, tracking_ids));
  for (v1::AdvisorySummary& summary : *imported) {
    summary.set_affected_devices(engine_->AffectedDevices(summary.tracking_id()));
  }
  return imported;
}

absl::Status AdvisoryRuntime::Load() {
  ASSIGN_OR_RETURN(std::vector<v1::Advisory> all, store_.LoadAll());
  const std::size_t count = all.size();
  engine_->InstallAdvisories(std::move(all));
  if (count > 0) spdlog::info("{} advisories in force", count);
  return absl::OkStatus();
}

absl::Status AdvisoryRuntime::Reevaluate(const std::vector<std::string>& targets,
                                         const absl::flat_hash_set<std::string>& tracking_ids) {
  const std::size_t chunk = std::max<std::size_t>(options_.chunk_devices, 1);
  std::vector<std::string> tags = engine_->DevicesWithTargets(targets);
  // Key order: a chunk's MultiGet then reads neighbouring keys, mostly from the same blocks.
  std::sort(tags.begin(), tags.end());
  for (std::size_t start = 0; start < tags.size(); start += chunk) {
    const std::vector<std::string> slice(tags.begin() + start, tags.begin() + std::min(tags.size(), start + chunk));
    RETURN_IF_ERROR(RunOnWriter<absl::Status>(*ingest_, [&]() -> absl::Status {
      FindingTransaction transaction(engine_);
      rocksdb::WriteBatch batch;
      // Read on the writer: the device may have reported since the index said where it is.
      // The chunk's devices live on one arena: no allocation per field, freed at once.
      google::protobuf::Arena arena;
      ASSIGN_OR_RETURN(std::vector<v1::Device*> devices, devices_->GetDevices(slice, arena));
      std::uint64_t read = 0;
      for (const v1::Device* device : devices) {
        if (device == nullptr) continue;
        ++read;
        RETURN_IF_ERROR(engine_->StageAdvisoryReevaluation(*device, tracking_ids, batch));
      }
      RETURN_IF_ERROR(transaction.WriteAndCommit(*database_, batch));
      reevaluated_.fetch_add(read, std::memory_order_relaxed);
      return absl::OkStatus();
    }));
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::Advisory> AdvisoryRuntime::Get(absl::string_view tracking_id) const {
  ASSIGN_OR_RETURN(std::optional<v1::Advisory> stored, store_.Get(tracking_id));
  if (!stored.has_value()) return absl::NotFoundError(absl::StrCat("advisory ", tracking_id, " is not imported"));
  return *std::move(stored);
}

absl::StatusOr<std::vector<v1::AdvisorySummary>> AdvisoryRuntime::List(absl::string_view after, int limit,
                                                                       std::string* next_after) const {
  ASSIGN_OR_RETURN(storage::AdvisoryPage page, store_.List(after, limit));
  std::vector<v1::AdvisorySummary> summaries;
  summaries.reserve(page.advisories.size());
  for (const v1::Advisory& advisory : page.advisories) {
    summaries.push_back(advisories::Summarize(advisory));
    summaries.back().set_affected_devices(engine_->AffectedDevices(advisory.tracking_id()));
  }
  if (next_after != nullptr) *next_after = std::move(page.next_after);
  return summaries;
}

absl::StatusOr<std::vector<v1::AffectedDevice>> AdvisoryRuntime::ListAffected(absl::string_view tracking_id,
                                                                              absl::string_view after, int limit,
                                                                              std::string* next_after,
                                                                              int* total) const {
  ASSIGN_OR_RETURN(std::optional<v1::Advisory> stored, store_.Get(tracking_id));
  if (!stored.has_value()) return absl::NotFoundError(absl::StrCat("advisory ", tracking_id, " is not imported"));
  bool more = false;
  const std::vector<std::pair<std::string, std::uint64_t>> page =
      engine_->AffectedPage(tracking_id, after, limit, &more);
  const std::shared_ptr<const rules::CompiledAdvisories> compiled = engine_->advisories();
  std::vector<v1::AffectedDevice> out;
  out.reserve(page.size());
  for (const auto& [tag, number] : page) {
    absl::StatusOr<v1::Device> device = devices_->GetDevice(tag);
    if (absl::IsNotFound(device.status())) continue;
    RETURN_IF_ERROR(device.status());
    absl::StatusOr<v1::Finding> finding = findings_.Get(storage::FindingId(number));
    if (absl::IsNotFound(finding.status())) continue;
    RETURN_IF_ERROR(finding.status());
    if (finding->state() == v1::FINDING_STATE_RESOLVED) continue;
    v1::AffectedDevice affected;
    affected.set_asset_tag(tag);
    affected.set_model(device->identity().model());
    *affected.mutable_location() = device->last_observation().location();
    affected.set_custody_state(device->custody().state() == v1::CUSTODY_STATE_UNSPECIFIED ? v1::CUSTODY_STATE_AVAILABLE
                                                                                          : device->custody().state());
    affected.set_custody_holder(device->custody().holder());
    *affected.mutable_last_seen_at() = device->last_seen_at();
    affected.set_finding_id(finding->id());
    affected.set_severity(finding->severity());
    affected.set_reason(finding->reason());
    for (v1::AffectedMatch& match : compiled->Matches(*device, tracking_id)) {
      *affected.add_matches() = std::move(match);
    }
    out.push_back(std::move(affected));
  }
  if (next_after != nullptr) *next_after = more && !page.empty() ? page.back().first : "";
  if (total != nullptr) *total = engine_->AffectedDevices(tracking_id);
  return out;
}

std::vector<v1::UnmappedAdvisoryProduct> AdvisoryRuntime::ListUnmapped(absl::string_view after, int limit,
                                                                       std::string* next_after) const {
  // The cursor of a product: its sort key, fields joined by a byte no field holds (they are clean text).
  auto cursor = [](const rules::UnmappedProduct& p) {
    return absl::StrCat(p.tracking_id, "\x01", p.vendor, "\x01", p.product);
  };
  std::vector<rules::UnmappedProduct> all = engine_->advisories()->Unmapped();
  std::vector<std::pair<std::string, const rules::UnmappedProduct*>> ordered;
  ordered.reserve(all.size());
  for (const rules::UnmappedProduct& p : all) {
    std::string key = cursor(p);
    if (key > after) ordered.emplace_back(std::move(key), &p);
  }
  std::sort(ordered.begin(), ordered.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  const std::vector<std::string> models = rules::PolicyModels(engine_->policy()->proto());
  std::vector<v1::UnmappedAdvisoryProduct> out;
  if (next_after != nullptr) next_after->clear();
  for (const auto& [key, p] : ordered) {
    if (static_cast<int>(out.size()) >= limit) {
      if (next_after != nullptr) *next_after = cursor(*(ordered[out.size() - 1].second));
      break;
    }
    v1::UnmappedAdvisoryProduct entry;
    entry.set_tracking_id(p->tracking_id);
    entry.set_vendor(p->vendor);
    entry.set_product(p->product);
    for (std::string& model : rules::SimilarModels(p->vendor, p->product, models)) {
      entry.add_similar_models(std::move(model));
    }
    out.push_back(std::move(entry));
  }
  return out;
}

}  // namespace pumptrack::engine
