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

// The targets (models and component models) the mapped products of these advisories name, each once.
std::vector<std::string> TargetsOfAdvisories(const rules::CompiledAdvisories& compiled,
                                             const absl::flat_hash_set<std::string>& tracking_ids) {
  std::vector<std::string> targets;
  for (const std::string& id : tracking_ids) {
    for (std::string& target : compiled.TargetsOfAdvisory(id)) targets.push_back(std::move(target));
  }
  std::sort(targets.begin(), targets.end());
  targets.erase(std::unique(targets.begin(), targets.end()), targets.end());
  return targets;
}

}  // namespace

AdvisoryRuntime::AdvisoryRuntime(storage::Database* database, storage::DeviceStore* devices, storage::AuditLog* audit,
                                 FindingEngine* engine, IngestPipeline* ingest, AdvisoryRuntimeOptions options)
    : options_(options),
      database_(database),
      devices_(devices),
      audit_(audit),
      engine_(engine),
      ingest_(ingest),
      store_(database),
      findings_(database),
      worker_([this] { WorkLoop(); }) {}

AdvisoryRuntime::~AdvisoryRuntime() { Stop(); }

void AdvisoryRuntime::Stop() {
  {
    absl::MutexLock lock(&jobs_mu_);
    stopping_ = true;
    jobs_cv_.SignalAll();
  }
  if (worker_.joinable()) worker_.join();
}

bool AdvisoryRuntime::stopping() const {
  absl::MutexLock lock(&jobs_mu_);
  return stopping_;
}

absl::StatusOr<std::vector<v1::AdvisorySummary>> AdvisoryRuntime::Import(const std::vector<v1::Advisory>& advisories,
                                                                         const std::vector<std::string>& what,
                                                                         const storage::Actor& actor, absl::Time now,
                                                                         bool in_background) {
  if (advisories.empty()) return absl::InvalidArgumentError("no advisories to import");
  std::optional<Reevaluation> job;
  absl::StatusOr<std::vector<v1::AdvisorySummary>> imported =
      RunOnWriter<absl::StatusOr<std::vector<v1::AdvisorySummary>>>(
          *ingest_, [&]() -> absl::StatusOr<std::vector<v1::AdvisorySummary>> {
            // The revision each tracking id has so far: stored, or staged earlier in this call.
            absl::flat_hash_map<std::string, std::optional<v1::Advisory>> current;
            std::vector<std::string> before;
            std::vector<std::string> after;
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
            }
            absl::flat_hash_set<std::string> tracking_ids;
            v1::AdvisoryReevaluation record;
            for (const auto& [id, unused] : current) {
              tracking_ids.insert(id);
              record.add_tracking_ids(id);
            }
            std::sort(record.mutable_tracking_ids()->begin(), record.mutable_tracking_ids()->end());
            *record.mutable_requested_at() = storage::ToProtoTimestamp(now);
            const std::uint64_t sequence = next_sequence_.fetch_add(1);
            RETURN_IF_ERROR(store_.StageReevaluation(sequence, record, batch));
            RETURN_IF_ERROR(audit_
                                ->Commit(batch,
                                         {actor, "advisories.import", absl::StrJoin(record.tracking_ids(), ","),
                                          absl::StrJoin(before, "; "), absl::StrJoin(after, "; ")},
                                         now)
                                .status());
            spdlog::info("advisories imported by {}: {}", actor.name, absl::StrJoin(after, "; "));
            // In force from the next evaluation on (this is the writer: no report is evaluated in between).
            ASSIGN_OR_RETURN(std::vector<v1::Advisory> all, store_.LoadAll());
            engine_->InstallAdvisories(std::move(all));
            job = Describe(sequence, std::move(tracking_ids));
            const std::shared_ptr<const rules::CompiledAdvisories> installed = engine_->advisories();
            std::vector<v1::AdvisorySummary> summaries;
            for (const v1::Advisory& advisory : advisories) summaries.push_back(Summary(advisory, *installed));
            return summaries;
          });
  if (!imported.ok()) return imported.status();
  if (in_background) {
    spdlog::info("advisory re-evaluation {} in the background: about {} pumps", job->sequence, job->counted);
    Enqueue(*std::move(job));
    return imported;
  }
  if (absl::Status run = Run(*job, /*interruptible=*/false); !run.ok()) {
    const std::size_t left = job->tags.size() - job->done;
    Enqueue(*std::move(job));
    const std::string rest = left > 0 ? absl::StrCat("the ", left, " pumps left are re-evaluated in the background")
                                      : "removing its record is retried in the background";
    return absl::Status(run.code(),
                        absl::StrCat("the advisories are stored and in force, but re-evaluating their pumps failed (",
                                     run.message(), "); ", rest));
  }
  for (v1::AdvisorySummary& summary : *imported) {
    summary.set_affected_devices(engine_->AffectedDevices(summary.tracking_id()));
    summary.set_findings_pending(FindingsPending(summary.tracking_id()));
  }
  return imported;
}

absl::Status AdvisoryRuntime::Load() {
  ASSIGN_OR_RETURN(std::vector<v1::Advisory> all, store_.LoadAll());
  const std::size_t count = all.size();
  engine_->InstallAdvisories(std::move(all));
  if (count > 0) spdlog::info("{} advisories in force", count);
  ASSIGN_OR_RETURN(stored_reevaluations_, store_.LoadReevaluations());
  for (const auto& [sequence, record] : stored_reevaluations_) {
    next_sequence_.store(std::max(next_sequence_.load(), sequence + 1));
  }
  return absl::OkStatus();
}

void AdvisoryRuntime::Resume() {
  for (auto& [sequence, record] : stored_reevaluations_) {
    Reevaluation job = Describe(sequence, {record.tracking_ids().begin(), record.tracking_ids().end()});
    spdlog::info("advisory re-evaluation {} ({}) resumed in the background: about {} pumps", sequence,
                 absl::StrJoin(record.tracking_ids(), ","), job.counted);
    Enqueue(std::move(job));
  }
  stored_reevaluations_.clear();
}

AdvisoryRuntime::Reevaluation AdvisoryRuntime::Describe(std::uint64_t sequence,
                                                        absl::flat_hash_set<std::string> tracking_ids) {
  Reevaluation job;
  job.sequence = sequence;
  job.tracking_ids = std::move(tracking_ids);
  const std::vector<std::string> targets = TargetsOfAdvisories(*engine_->advisories(), job.tracking_ids);
  for (const auto& [profile, devices] : engine_->ProfilesWithTargets(targets)) {
    job.counted += static_cast<std::int64_t>(devices);
  }
  // A revision that drops a product still has the pumps it flags now to resolve: never counted as nothing to do
  // while there is.
  for (const std::string& id : job.tracking_ids) {
    job.counted = std::max<std::int64_t>(job.counted, engine_->AffectedDevices(id));
  }
  absl::MutexLock lock(&jobs_mu_);
  for (const std::string& id : job.tracking_ids) pending_[id] += job.counted;
  return job;
}

void AdvisoryRuntime::Plan(Reevaluation& job) {
  for (const std::string& id : job.tracking_ids) {
    // Those flagged now: a replaced revision may have named products the new one does not. A page at a time: the
    // engine's lock on them is one the writer takes for every report.
    std::string after;
    for (bool more = true; more;) {
      std::vector<std::pair<std::string, std::uint64_t>> page = engine_->AffectedPage(id, after, 4096, &more);
      if (page.empty()) break;
      after = page.back().first;
      for (auto& [tag, unused] : page) job.tags.push_back(std::move(tag));
    }
  }
  for (std::string& tag : engine_->DevicesWithTargets(TargetsOfAdvisories(*engine_->advisories(), job.tracking_ids))) {
    job.tags.push_back(std::move(tag));
  }
  // Key order: a chunk's MultiGet then reads neighbouring keys, mostly from the same blocks.
  std::sort(job.tags.begin(), job.tags.end());
  job.tags.erase(std::unique(job.tags.begin(), job.tags.end()), job.tags.end());
  job.planned = true;
  const std::int64_t exact = static_cast<std::int64_t>(job.tags.size());
  absl::MutexLock lock(&jobs_mu_);
  for (const std::string& id : job.tracking_ids) {
    if ((pending_[id] += exact - job.counted) <= 0) pending_.erase(id);
  }
  job.counted = exact;
}

absl::Status AdvisoryRuntime::Run(Reevaluation& job, bool interruptible) {
  if (!job.planned) Plan(job);
  const std::size_t chunk = std::max<std::size_t>(options_.chunk_devices, 1);
  while (job.done < job.tags.size()) {
    if (interruptible && stopping()) return absl::CancelledError("pumptrackd is stopping");
    const std::vector<std::string> slice(job.tags.begin() + job.done,
                                         job.tags.begin() + std::min(job.tags.size(), job.done + chunk));
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
        RETURN_IF_ERROR(engine_->StageAdvisoryReevaluation(*device, job.tracking_ids, batch));
      }
      RETURN_IF_ERROR(transaction.WriteAndCommit(*database_, batch));
      reevaluated_.fetch_add(read, std::memory_order_relaxed);
      return absl::OkStatus();
    }));
    job.done += slice.size();
    job.counted -= static_cast<std::int64_t>(slice.size());
    absl::MutexLock lock(&jobs_mu_);
    for (const std::string& id : job.tracking_ids) {
      if ((pending_[id] -= static_cast<std::int64_t>(slice.size())) <= 0) pending_.erase(id);
    }
  }
  return store_.DeleteReevaluation(job.sequence);
}

void AdvisoryRuntime::Enqueue(Reevaluation job) {
  absl::MutexLock lock(&jobs_mu_);
  queue_.push_back(std::move(job));
  jobs_cv_.Signal();
}

std::optional<AdvisoryRuntime::Reevaluation> AdvisoryRuntime::NextJob(absl::Duration delay) {
  absl::MutexLock lock(&jobs_mu_);
  const absl::Time until = absl::Now() + delay;
  while (!stopping_ && absl::Now() < until) jobs_cv_.WaitWithDeadline(&jobs_mu_, until);
  while (!stopping_ && queue_.empty()) jobs_cv_.Wait(&jobs_mu_);
  if (stopping_) return std::nullopt;
  Reevaluation job = std::move(queue_.front());
  queue_.pop_front();
  return job;
}

void AdvisoryRuntime::WorkLoop() {
  absl::Duration retry = absl::ZeroDuration();
  while (std::optional<Reevaluation> job = NextJob(retry)) {
    const absl::Status run = Run(*job, /*interruptible=*/true);
    if (run.ok()) {
      spdlog::info("advisory re-evaluation {} done: {} pumps", job->sequence, job->tags.size());
      retry = absl::ZeroDuration();
      continue;
    }
    if (absl::IsCancelled(run)) return;
    retry = std::min(std::max(retry * 2, options_.retry_initial), options_.retry_max);
    spdlog::error("advisory re-evaluation {} stopped after {} of {} pumps: {}; tried again in {}", job->sequence,
                  job->done, job->tags.size(), run.ToString(), absl::FormatDuration(retry));
    // At the back: one that keeps failing does not hold up the re-evaluations queued after it.
    absl::MutexLock lock(&jobs_mu_);
    queue_.push_back(*std::move(job));
  }
}

int AdvisoryRuntime::FindingsPending(absl::string_view tracking_id) const {
  absl::MutexLock lock(&jobs_mu_);
  auto it = pending_.find(tracking_id);
  return it == pending_.end() ? 0 : static_cast<int>(std::max<std::int64_t>(it->second, 0));
}

int AdvisoryRuntime::MatchedDevices(const rules::CompiledAdvisories& compiled, const std::string& tracking_id) const {
  std::size_t matched = 0;
  const absl::flat_hash_set<std::string> only = {tracking_id};
  for (const auto& [profile, devices] : engine_->ProfilesWithTargets(compiled.TargetsOfAdvisory(tracking_id))) {
    if (!compiled.Evaluate(profile.AsDevice(), only).empty()) matched += devices;
  }
  return static_cast<int>(matched);
}

v1::AdvisorySummary AdvisoryRuntime::Summary(const v1::Advisory& advisory,
                                             const rules::CompiledAdvisories& compiled) const {
  v1::AdvisorySummary summary = advisories::Summarize(advisory);
  summary.set_affected_devices(engine_->AffectedDevices(advisory.tracking_id()));
  summary.set_matched_devices(MatchedDevices(compiled, advisory.tracking_id()));
  summary.set_findings_pending(FindingsPending(advisory.tracking_id()));
  return summary;
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
  const std::shared_ptr<const rules::CompiledAdvisories> compiled = engine_->advisories();
  for (const v1::Advisory& advisory : page.advisories) summaries.push_back(Summary(advisory, *compiled));
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
