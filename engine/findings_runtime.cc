#include "engine/findings_runtime.h"

#include <algorithm>
#include <fstream>
#include <future>
#include <optional>
#include <sstream>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/thread_name.h"
#include "google/protobuf/arena.h"
#include "spdlog/spdlog.h"
#include "storage/proto_time.h"

namespace pumptrack::engine {
namespace {

// The longest the detector sleeps between sweeps; it wakes sooner when the earliest deadline is sooner, so a device
// is flagged within about a millisecond (plus the writes ahead of it) of its deadline.
constexpr absl::Duration kSweepInterval = absl::Milliseconds(200);
// Devices re-evaluated per writer task: small enough that ingest waits at most a few milliseconds behind one.
constexpr int kReevaluationPage = 256;
// Devices flagged per writer task.
constexpr std::size_t kMissingPerTask = 1024;

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("cannot read policy file ", path));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return absl::InvalidArgumentError(absl::StrCat("cannot read policy file ", path));
  return text.str();
}

v1::PolicyInfo Provenance(std::string applied_by, absl::Time applied_at, v1::PolicySource source) {
  v1::PolicyInfo provenance;
  provenance.set_applied_by(std::move(applied_by));
  *provenance.mutable_applied_at() = storage::ToProtoTimestamp(applied_at);
  provenance.set_source(source);
  return provenance;
}

std::string DescribeHome(const v1::Device& device) {
  return absl::StrCat(device.home_facility(), "/", device.home_unit());
}

}  // namespace

FindingsRuntime::FindingsRuntime(storage::Database* database, storage::DeviceStore* devices, storage::AuditLog* audit,
                                 FindingEngine* engine, IngestPipeline* ingest)
    : database_(database), devices_(devices), audit_(audit), policies_(database), engine_(engine), ingest_(ingest) {
  detector_ = std::thread([this] {
    NameThisThread("pt-missing");
    DetectorLoop();
  });
  reevaluator_ = std::thread([this] {
    NameThisThread("pt-reevaluator");
    ReevaluatorLoop();
  });
}

FindingsRuntime::~FindingsRuntime() { Stop(); }

void FindingsRuntime::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_ && !detector_.joinable()) return;
    stopping_ = true;
  }
  if (detector_.joinable()) detector_.join();
  if (reevaluator_.joinable()) reevaluator_.join();
}

// --- Policy ----------------------------------------------------------------------------------------------------------

absl::Status FindingsRuntime::LoadInitialPolicy(const std::string& path) {
  if (!path.empty()) {
    ASSIGN_OR_RETURN(std::string text, ReadFile(path));
    absl::StatusOr<std::shared_ptr<const rules::CompiledPolicy>> policy = rules::CompiledPolicy::FromText(text);
    if (!policy.ok()) return absl::InvalidArgumentError(absl::StrCat(path, ": ", policy.status().message()));
    engine_->InstallPolicy(*std::move(policy),
                           Provenance(absl::StrCat("file:", path), engine_->clock(), v1::POLICY_SOURCE_FILE));
  } else {
    ASSIGN_OR_RETURN(std::optional<storage::StoredPolicy> stored, policies_.Load());
    if (stored.has_value()) {
      absl::StatusOr<std::shared_ptr<const rules::CompiledPolicy>> policy =
          rules::CompiledPolicy::FromText(stored->text);
      if (!policy.ok()) {
        return absl::DataLossError(absl::StrCat("stored policy no longer validates: ", policy.status().message()));
      }
      // Stored before provenance was kept: all that is known is that it was stored.
      v1::PolicyInfo provenance = stored->provenance.value_or(
          Provenance("stored", engine_->clock(), v1::POLICY_SOURCE_STORED_WITHOUT_PROVENANCE));
      engine_->InstallPolicy(*std::move(policy), std::move(provenance));
    }
  }
  ReevaluateAll();
  return absl::OkStatus();
}

absl::StatusOr<v1::PolicyInfo> FindingsRuntime::ReloadPolicyFile(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  absl::StatusOr<std::shared_ptr<const rules::CompiledPolicy>> policy = rules::CompiledPolicy::FromText(text);
  if (!policy.ok()) return absl::InvalidArgumentError(absl::StrCat(path, ": ", policy.status().message()));
  const storage::Actor actor{v1::ACTOR_KIND_OPERATOR, absl::StrCat("file:", path)};
  if (absl::Status applied = ApplyPolicy(*std::move(policy), actor, v1::POLICY_SOURCE_RELOAD); !applied.ok()) {
    return applied;
  }
  return engine_->policy_info();
}

absl::StatusOr<v1::PolicyInfo> FindingsRuntime::SetPolicy(absl::string_view text, const storage::Actor& actor) {
  ASSIGN_OR_RETURN(std::shared_ptr<const rules::CompiledPolicy> policy, rules::CompiledPolicy::FromText(text));
  if (absl::Status applied = ApplyPolicy(std::move(policy), actor, v1::POLICY_SOURCE_SET); !applied.ok()) {
    return applied;
  }
  return engine_->policy_info();
}

absl::Status FindingsRuntime::ApplyPolicy(std::shared_ptr<const rules::CompiledPolicy> policy,
                                          const storage::Actor& actor, v1::PolicySource source) {
  absl::MutexLock change(&policy_change_mu_);
  const absl::Time now = engine_->clock();
  v1::PolicyInfo provenance = Provenance(actor.name, now, source);
  const std::string before = engine_->policy()->digest();
  rocksdb::WriteBatch batch;
  RETURN_IF_ERROR(policies_.Stage(policy->text(), provenance, batch));
  RETURN_IF_ERROR(audit_->Commit(batch, {actor, "policy.set", "policy", before, policy->digest()}, now));
  spdlog::info("policy {} applied by {}", policy->digest(), actor.name);
  engine_->InstallPolicy(std::move(policy), std::move(provenance));
  ReevaluateAll();
  return absl::OkStatus();
}

// --- Acknowledgements and homes --------------------------------------------------------------------------------------

absl::StatusOr<v1::Finding> FindingsRuntime::Acknowledge(absl::string_view id, absl::string_view note,
                                                         const storage::Actor& actor) {
  return RunOnWriter<absl::StatusOr<v1::Finding>>(*ingest_, [&]() -> absl::StatusOr<v1::Finding> {
    FindingTransaction transaction(engine_);
    rocksdb::WriteBatch batch;
    ASSIGN_OR_RETURN(v1::Finding finding, engine_->StageAcknowledge(id, actor.name, note, batch));
    RETURN_IF_ERROR(audit_->Commit(batch,
                                   {actor, "finding.acknowledge", std::string(id), "",
                                    absl::StrCat(v1::FindingState_Name(finding.state()), ": ", note)},
                                   engine_->clock()));
    transaction.Commit();
    return finding;
  });
}

absl::StatusOr<v1::Device> FindingsRuntime::SetHome(absl::string_view asset_tag, absl::string_view unit,
                                                    const storage::Actor& actor) {
  const v1::Unit* home = engine_->policy()->FindUnitAnywhere(unit);
  if (home == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("unit: \"", unit, "\" is not a unit of the policy's site"));
  }
  const std::string facility = home->facility();
  return RunOnWriter<absl::StatusOr<v1::Device>>(*ingest_, [&]() -> absl::StatusOr<v1::Device> {
    ASSIGN_OR_RETURN(v1::Device device, devices_->GetDevice(asset_tag));
    const std::string before = DescribeHome(device);
    device.set_home_facility(facility);
    device.set_home_unit(std::string(unit));
    device.set_home_source(v1::HOME_SOURCE_ASSIGNED);
    FindingTransaction transaction(engine_);
    rocksdb::WriteBatch batch;
    absl::Status staged = devices_->StageServiceFields(device, batch);
    if (staged.ok()) staged = engine_->StageReevaluation(device, batch);
    if (!staged.ok()) return staged;
    RETURN_IF_ERROR(audit_->Commit(
        batch, {actor, "device.set_home", std::string(asset_tag), before, DescribeHome(device)}, engine_->clock()));
    transaction.Commit();
    return device;
  });
}

// --- Missing detection
// -------------------------------------------------------------------------------------------------

absl::Status FindingsRuntime::SweepMissing() {
  // A chunk at a time, each taken at the clock of its own start: in a burst (a ward's network down), devices whose
  // deadlines pass while earlier ones are being flagged join the next chunk in deadline order, and devices not yet due
  // stay in the queue without being read.
  while (true) {
    const std::vector<std::string> expired = engine_->TakeExpired(engine_->clock(), kMissingPerTask);
    if (expired.empty()) return absl::OkStatus();
    absl::Status flagged = RunOnWriter<absl::Status>(*ingest_, [&]() -> absl::Status {
      FindingTransaction transaction(engine_);
      rocksdb::WriteBatch batch;
      // The whole chunk with one MultiGet onto one arena (freed at once), not a read and a heap message per device.
      google::protobuf::Arena arena;
      ASSIGN_OR_RETURN(const std::vector<v1::Device*> devices, devices_->GetDevices(expired, arena));
      for (const v1::Device* device : devices) {
        if (device == nullptr) continue;  // no longer stored
        RETURN_IF_ERROR(engine_->StageMissingIfSilent(*device, batch).status());
      }
      return transaction.WriteAndCommit(*database_, batch);
    });
    if (!flagged.ok()) {
      engine_->RequeueAll();  // nothing of this chunk was flagged: try again on the next sweep
      return flagged;
    }
  }
}

void FindingsRuntime::DetectorLoop() {
  absl::Time last_error = absl::InfinitePast();
  absl::Duration wait = kSweepInterval;
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      auto stopping = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_; };
      if (mu_.AwaitWithTimeout(absl::Condition(&stopping), wait)) return;
    }
    absl::Status swept = SweepMissing();
    if (!swept.ok() && absl::Now() - last_error > absl::Minutes(1)) {
      last_error = absl::Now();
      spdlog::warn("missing detection failed, will retry: {}", std::string(swept.message()));
    }
    // Wake at the next deadline (at most kSweepInterval from now, since a report can queue an earlier one at any
    // time; at least a millisecond), or after kSweepInterval when the sweep failed.
    wait = kSweepInterval;
    if (swept.ok()) {
      if (std::optional<absl::Time> next = engine_->NextDeadline(); next.has_value()) {
        wait = std::clamp(*next - engine_->clock(), absl::Milliseconds(1), kSweepInterval);
      }
    }
  }
}

// --- Re-evaluation
// -----------------------------------------------------------------------------------------------------

void FindingsRuntime::ReevaluateAll() {
  absl::MutexLock lock(&mu_);
  ++reevaluation_requested_;
}

void FindingsRuntime::WaitForReevaluation() {
  absl::MutexLock lock(&mu_);
  auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return reevaluation_done_ == reevaluation_requested_ || stopping_;
  };
  mu_.Await(absl::Condition(&idle));
}

absl::StatusOr<std::string> FindingsRuntime::ReevaluatePage(const std::string& after_tag) {
  ASSIGN_OR_RETURN(storage::DevicePage page, devices_->ListDevices({}, after_tag, kReevaluationPage));
  if (page.devices.empty()) return std::string();
  std::vector<std::string> tags;
  for (const v1::Device& device : page.devices) tags.push_back(device.identity().asset_tag());
  absl::Status done = RunOnWriter<absl::Status>(*ingest_, [&]() -> absl::Status {
    FindingTransaction transaction(engine_);
    rocksdb::WriteBatch batch;
    for (const std::string& tag : tags) {
      // Read again on the writer: the page may be older than a report committed since.
      absl::StatusOr<v1::Device> device = devices_->GetDevice(tag);
      if (absl::IsNotFound(device.status())) continue;
      RETURN_IF_ERROR(device.ok() ? engine_->StageReevaluation(*device, batch) : device.status());
    }
    return transaction.WriteAndCommit(*database_, batch);
  });
  if (!done.ok()) return done;
  return page.next_after_tag.empty() ? std::string() : tags.back();
}

void FindingsRuntime::ReevaluatorLoop() {
  while (true) {
    std::uint64_t generation = 0;
    {
      absl::MutexLock lock(&mu_);
      auto pending = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || reevaluation_requested_ != reevaluation_done_;
      };
      mu_.Await(absl::Condition(&pending));
      if (stopping_) return;
      generation = reevaluation_requested_;
    }
    std::string after;
    bool restarted = false;
    std::size_t pages = 0;
    while (true) {
      {
        absl::MutexLock lock(&mu_);
        if (stopping_) return;
        if (reevaluation_requested_ != generation) {
          restarted = true;
          break;
        }
      }
      absl::StatusOr<std::string> last = ReevaluatePage(after);
      if (!last.ok()) {
        spdlog::warn("re-evaluation stopped after {} pages: {}", pages, std::string(last.status().message()));
        break;
      }
      ++pages;
      if (last->empty()) break;
      after = *std::move(last);
    }
    if (restarted) continue;
    absl::MutexLock lock(&mu_);
    reevaluation_done_ = generation;
  }
}

}  // namespace pumptrack::engine
