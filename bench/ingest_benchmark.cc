// Per-observation CPU cost of the service's ingest path without gRPC: parsing a batch, validating an observation,
// and DeviceStore::Apply (the group-commit writer's work) with and without the WAL sync. Uses the load tool's pump
// fleet, so the observations are the ones pumptrack-load sends.
//
//   build-bench/bench/pumptrack-ingest-benchmark --benchmark_min_time=2
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/random/random.h"
#include "absl/time/clock.h"
#include "bench/pump_fleet.h"
#include "benchmark/benchmark.h"
#include "pumptrack/v1/agent_service.pb.h"
#include "service/validation.h"
#include "storage/database.h"
#include "storage/device_store.h"

namespace pumptrack::bench {
namespace {

constexpr int kFleetSize = 10'000;

[[noreturn]] void Die(const std::string& why) {
  std::fprintf(stderr, "pumptrack-ingest-benchmark: %s\n", why.c_str());
  std::exit(1);
}

// A fresh database in a temporary directory, removed again at destruction.
class TemporaryStore {
 public:
  TemporaryStore() {
    std::string pattern = (std::filesystem::temp_directory_path() / "pumptrack-ingest-bench.XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) Die("cannot create a temporary directory");
    path_ = pattern;
    storage::DatabaseOptions options;
    options.path = path_ + "/data";
    absl::StatusOr<std::unique_ptr<storage::Database>> database = storage::Database::Open(options);
    if (!database.ok()) Die(database.status().ToString());
    database_ = *std::move(database);
    store_ = std::make_unique<storage::DeviceStore>(database_.get());
  }
  ~TemporaryStore() {
    store_.reset();
    database_.reset();
    std::filesystem::remove_all(path_);
  }

  storage::DeviceStore& store() { return *store_; }

 private:
  std::string path_;
  std::unique_ptr<storage::Database> database_;
  std::unique_ptr<storage::DeviceStore> store_;
};

// Consecutive observations cycling over the fleet, as one stream of the load tool sends them.
class ObservationSource {
 public:
  ObservationSource() : fleet_(kFleetSize, static_cast<std::uint64_t>(absl::ToUnixMicros(absl::Now()))) {
    agent_.set_agent_id("bench-gw-0");
    agent_.set_agent_version("pumptrack-ingest-benchmark");
  }

  // Overwrites `batch` with the next `size` observations.
  void Fill(int size, v1::ReportBatch& batch) {
    batch.clear_observations();
    const absl::Time now = absl::Now();
    for (int i = 0; i < size; ++i) {
      fleet_.NextObservation(next_, now, random_, batch.add_observations());
      next_ = (next_ + 1) % kFleetSize;
    }
  }

  std::vector<storage::IncomingObservation> Incoming(const v1::ReportBatch& batch) const {
    std::vector<storage::IncomingObservation> incoming;
    for (const v1::Observation& observation : batch.observations()) incoming.push_back({&observation, &agent_});
    return incoming;
  }

 private:
  PumpFleet fleet_;
  v1::AgentInfo agent_;
  absl::InsecureBitGen random_;
  int next_ = 0;
};

void BM_ParseReportBatch(benchmark::State& state) {
  ObservationSource source;
  v1::ReportBatch batch;
  source.Fill(static_cast<int>(state.range(0)), batch);
  const std::string bytes = batch.SerializeAsString();
  for (auto _ : state) {
    v1::ReportBatch parsed;
    benchmark::DoNotOptimize(parsed.ParseFromString(bytes));
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.counters["bytes_per_observation"] = static_cast<double>(bytes.size()) / static_cast<double>(state.range(0));
}
BENCHMARK(BM_ParseReportBatch)->Arg(500);

void BM_ValidateObservation(benchmark::State& state) {
  ObservationSource source;
  v1::ReportBatch batch;
  source.Fill(1, batch);
  const absl::Time now = absl::Now();
  for (auto _ : state) {
    benchmark::DoNotOptimize(service::ValidateObservation(batch.observations(0), now, "observations[0]"));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ValidateObservation);

// One group commit of range(0) observations of distinct, already known pumps; range(1) = sync the WAL.
void BM_DeviceStoreApply(benchmark::State& state) {
  const int group = static_cast<int>(state.range(0));
  const bool sync = state.range(1) != 0;
  TemporaryStore temporary;
  ObservationSource source;
  v1::ReportBatch batch;
  for (int i = 0; i < kFleetSize; i += 1000) {  // every pump seen once: measure the steady state, not first sightings
    source.Fill(1000, batch);
    (void)temporary.store().Apply(source.Incoming(batch), absl::Now(), /*sync=*/false);
  }
  for (auto _ : state) {
    state.PauseTiming();
    source.Fill(group, batch);
    const std::vector<storage::IncomingObservation> incoming = source.Incoming(batch);
    state.ResumeTiming();
    absl::StatusOr<std::vector<storage::ApplyResult>> results = temporary.store().Apply(incoming, absl::Now(), sync);
    if (!results.ok()) state.SkipWithError("Apply failed");
  }
  state.SetItemsProcessed(state.iterations() * group);
}
BENCHMARK(BM_DeviceStoreApply)
    ->ArgNames({"group", "sync"})
    ->Args({500, 0})
    ->Args({8192, 0})
    ->Args({500, 1})
    ->Args({8192, 1})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace pumptrack::bench

BENCHMARK_MAIN();
