// Findings: the per-report cost of rule evaluation (Google Benchmark), and missing detection at fleet scale
// (--missing_devices=N): the in-memory index's size per device and how late a silent pump is flagged after its
// deadline, with the real detector thread, writer thread and RocksDB.
//
//   build/bench/pumptrack-findings-benchmark --policy=examples/hospital-policy.textproto --benchmark_min_time=1
//   build/bench/pumptrack-findings-benchmark --policy=examples/hospital-policy.textproto --missing_devices=1000000
//   build/bench/pumptrack-findings-benchmark --policy=examples/hospital-policy.textproto --mass_silence=100000
//
// --missing_devices=N: N pumps last seen evenly over the 30 minutes before the run, so their deadlines pass evenly
// during it (a fleet reporting normally). --mass_silence=N: N pumps all last heard within the same second, threshold
// 5 s, so all their deadlines pass within one second (a ward's network going down). Both print the lag of each flag
// after that device's own deadline (last seen + threshold, exact: not rounded to any resolution).

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "agents/sim/hospital.h"
#include "benchmark/benchmark.h"
#include "engine/finding_engine.h"
#include "engine/findings_runtime.h"
#include "engine/ingest_metrics.h"
#include "engine/ingest_pipeline.h"
#include "prometheus/registry.h"
#include "rules/checks.h"
#include "rules/policy.h"
#include "storage/audit_log.h"
#include "storage/database.h"
#include "storage/device_store.h"
#include "storage/finding_store.h"
#include "storage/proto_time.h"

namespace pumptrack::bench {
namespace {

std::shared_ptr<const rules::CompiledPolicy> g_policy;

// CPU time used by the calling thread so far.
absl::Duration ThreadCpuTime() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return absl::DurationFromTimespec(now);
}

[[noreturn]] void Die(const std::string& why) {
  std::fprintf(stderr, "pumptrack-findings-benchmark: %s\n", why.c_str());
  std::exit(1);
}

// CPU time (user + system) used by the whole process so far: load-independent, unlike the lag.
absl::Duration ProcessCpuTime() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return absl::DurationFromTimeval(usage.ru_utime) + absl::DurationFromTimeval(usage.ru_stime);
}

// A compliant pump of the simulated hospital at home in 5-west, as the sim agent reports it.
v1::Device CompliantPump(const std::string& tag, absl::Time now) {
  const agents::sim::Site& site = agents::sim::ExampleGeneral();
  const agents::sim::PumpModel& model = site.models[0];
  const agents::sim::DrugLibraryRelease* library = agents::sim::FindDrugLibrary(site, "med-surg");
  v1::Device device;
  device.mutable_identity()->set_asset_tag(tag);
  device.mutable_identity()->set_serial_number("SN-" + tag);
  device.mutable_identity()->set_manufacturer(std::string(model.manufacturer));
  device.mutable_identity()->set_model(std::string(model.model));
  device.set_home_facility("general");
  device.set_home_unit("5-west");
  device.mutable_last_agent()->set_agent_id("gw-1");
  v1::Observation& o = *device.mutable_last_observation();
  *o.mutable_identity() = device.identity();
  o.set_sequence(1);
  *o.mutable_observed_at() = storage::ToProtoTimestamp(now);
  o.mutable_location()->set_facility("general");
  o.mutable_location()->set_building("north");
  o.mutable_location()->set_floor("5");
  o.mutable_location()->set_unit("5-west");
  o.mutable_location()->set_room("5-west-501");
  o.set_firmware_version(std::string(model.firmware));
  o.mutable_drug_library()->set_name(std::string(library->name));
  o.mutable_drug_library()->set_version(std::string(library->version));
  o.mutable_drug_library()->set_digest(agents::sim::DrugLibraryDigest(*library));
  *o.mutable_drug_library()->mutable_published_at() =
      storage::ToProtoTimestamp(absl::FromCivil(library->published_on, absl::UTCTimeZone()));
  for (const agents::sim::Setting& setting : model.settings) {
    (*o.mutable_configuration()->mutable_settings())[std::string(setting.key)] = std::string(setting.value);
  }
  o.mutable_configuration()->set_digest(agents::sim::ConfigurationDigest(model));
  o.mutable_security()->set_wifi_security(model.wifi_security);
  for (const agents::sim::ServicePort& port : model.open_services) {
    v1::OpenService* open = o.mutable_security()->add_open_services();
    open->set_kind(port.kind);
    open->set_port(port.port);
  }
  o.mutable_physical()->set_seal_id("SEAL-" + tag);
  o.mutable_physical()->set_seal_state(v1::SEAL_STATE_INTACT);
  o.mutable_physical()->set_case_state(v1::CASE_STATE_CLOSED);
  o.set_operating_state(v1::OPERATING_STATE_IDLE);
  return device;
}

const absl::Time kBenchNow = absl::FromCivil(absl::CivilSecond(2026, 12, 5, 12, 0, 0), absl::UTCTimeZone());

void BM_EvaluateCompliantReport(benchmark::State& state) {
  const v1::Device before = CompliantPump("PT-0000001", kBenchNow - absl::Minutes(1));
  v1::Device after = before;
  after.mutable_last_observation()->set_sequence(2);
  std::size_t violations = 0;
  for (auto _ : state) {
    violations += rules::Evaluate(*g_policy, {.device = &after, .previous = &before, .now = kBenchNow}).size();
  }
  if (violations != 0) state.SkipWithError("the compliant pump has violations: check --policy");
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EvaluateCompliantReport);

void BM_EvaluateFaultyReport(benchmark::State& state) {
  const v1::Device before = CompliantPump("PT-0000001", kBenchNow - absl::Minutes(1));
  v1::Device after = before;
  v1::Observation& o = *after.mutable_last_observation();
  o.set_sequence(5);
  o.set_firmware_version("11.0.0");
  o.mutable_security()->set_default_credentials(true);
  v1::OpenService* telnet = o.mutable_security()->add_open_services();
  telnet->set_kind(v1::SERVICE_KIND_TELNET);
  telnet->set_port(23);
  o.mutable_physical()->set_seal_state(v1::SEAL_STATE_BROKEN);
  o.mutable_location()->set_unit("icu-1");
  std::size_t violations = 0;
  for (auto _ : state) {
    violations += rules::Evaluate(*g_policy, {.device = &after, .previous = &before, .now = kBenchNow}).size();
  }
  state.counters["violations"] = static_cast<double>(violations) / static_cast<double>(state.iterations());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EvaluateFaultyReport);

// Fills a store with `n` devices last seen evenly over `spread` starting `window` before `t0`, then measures the
// engine's index and the detector's lag as the deadlines (last seen + window, which pass evenly over `spread` from
// t0) pass, for `run` of real time.
int RunMissing(std::int64_t n, absl::Duration window, absl::Duration spread, absl::Duration run) {
  std::string pattern = (std::filesystem::temp_directory_path() / "pumptrack-findings-bench.XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) Die("cannot create a temporary directory");
  const std::string dir = pattern;
  {
    // Fake clock: frozen before the fill's times while the engine starts (so restart grace does not move the
    // deadlines), then real time running from t0.
    const absl::Time t0 = kBenchNow;
    std::atomic<std::int64_t> frozen_us{absl::ToUnixMicros(t0 - window - absl::Seconds(1))};
    std::atomic<std::int64_t> offset_us{0};
    auto clock = [&] {
      const std::int64_t frozen = frozen_us.load();
      return frozen != 0 ? absl::FromUnixMicros(frozen) : absl::Now() + absl::Microseconds(offset_us.load());
    };
    storage::DatabaseOptions options;
    options.path = dir + "/data";
    options.clock = clock;
    auto database = storage::Database::Open(options);
    if (!database.ok()) Die(database.status().ToString());
    storage::DeviceStore devices(database->get());

    const absl::Time fill_started = absl::Now();
    // Small batches: each gets its own last-seen time, so deadlines pass every spread * kBatch / n.
    constexpr int kBatch = 100;
    v1::AgentInfo agent;
    agent.set_agent_id("gw-1");
    for (std::int64_t start = 0; start < n; start += kBatch) {
      std::vector<v1::Observation> observations;
      const std::int64_t end = std::min<std::int64_t>(n, start + kBatch);
      for (std::int64_t i = start; i < end; ++i) {
        observations.push_back(CompliantPump(absl::StrFormat("PT-%07d", i), t0).last_observation());
      }
      std::vector<storage::IncomingObservation> incoming;
      for (const v1::Observation& o : observations) incoming.push_back({&o, &agent});
      // Last seen spread evenly over `spread` from t0 - window: devices expire evenly over `spread` after t0.
      const absl::Time seen = t0 - window + spread * (static_cast<double>(start) / static_cast<double>(n));
      if (auto applied = devices.Apply(incoming, seen, /*sync=*/false); !applied.ok()) Die(applied.status().ToString());
    }
    // The fill skipped the WAL sync and left full memtables; pay for both now, not in the first flag's write.
    if (rocksdb::Status synced = (*database)->raw().FlushWAL(/*sync=*/true); !synced.ok()) Die(synced.ToString());
    rocksdb::FlushOptions flush;
    flush.wait = true;
    for (storage::ColumnFamily cf : {storage::ColumnFamily::kDevices, storage::ColumnFamily::kSerialIndex,
                                     storage::ColumnFamily::kDeviceIndex, storage::ColumnFamily::kHistory}) {
      if (rocksdb::Status flushed = (*database)->raw().Flush(flush, (*database)->Handle(cf)); !flushed.ok()) {
        Die(flushed.ToString());
      }
    }
    const absl::Duration fill = absl::Now() - fill_started;

    storage::FindingStore findings(database->get());
    auto audit = storage::AuditLog::Open(database->get());
    if (!audit.ok()) Die(audit.status().ToString());
    prometheus::Registry registry;
    engine::IngestMetrics metrics(registry);
    engine::FleetMetrics fleet(registry);
    engine::FindingEngineOptions engine_options;
    engine_options.clock = clock;
    engine_options.missing_after_override = window;
    const absl::Time load_started = absl::Now();
    const absl::Duration load_cpu_started = ThreadCpuTime();
    auto finding_engine = engine::FindingEngine::Create(&devices, &findings, &fleet, engine_options);
    if (!finding_engine.ok()) Die(finding_engine.status().ToString());
    const absl::Duration load = absl::Now() - load_started;
    const absl::Duration load_cpu = ThreadCpuTime() - load_cpu_started;
    (*finding_engine)->InstallPolicy(g_policy, "bench");

    engine::IngestOptions ingest_options;
    ingest_options.clock = clock;
    engine::IngestPipeline ingest(&devices, &metrics, ingest_options, finding_engine->get());
    // From here on the clock runs in real time from t0; the runtime's detector thread starts sweeping.
    offset_us = absl::ToUnixMicros(t0) - absl::ToUnixMicros(absl::Now());
    frozen_us = 0;
    const absl::Duration detection_cpu_started = ProcessCpuTime();
    // The writer thread's own CPU clock, read on the writer (the flags' cost without RocksDB's background work).
    const auto writer_cpu = [&ingest] {
      absl::StatusOr<absl::Duration> cpu =
          engine::RunOnWriter<absl::StatusOr<absl::Duration>>(ingest, [] { return ThreadCpuTime(); });
      if (!cpu.ok()) Die(cpu.status().ToString());
      return *cpu;
    };
    const absl::Duration writer_cpu_started = writer_cpu();
    engine::FindingsRuntime runtime(database->get(), &devices, audit->get(), finding_engine->get(), &ingest);
    absl::SleepFor(run);
    runtime.Stop();  // lets the sweep in progress finish
    const absl::Duration detection_cpu = ProcessCpuTime() - detection_cpu_started;
    const absl::Duration detection_writer_cpu = writer_cpu() - writer_cpu_started;

    // Lag of each flag: when the finding was opened (service clock) minus the device's deadline.
    std::vector<double> lags_ms;
    storage::FindingFilter filter;
    filter.kind = v1::FINDING_KIND_MISSING;
    std::uint64_t below = 0;
    do {
      auto page = findings.List(filter, below, 1000);
      if (!page.ok()) Die(page.status().ToString());
      for (const v1::Finding& finding : page->findings) {
        std::int64_t index = 0;
        if (!absl::SimpleAtoi(absl::string_view(finding.asset_tag()).substr(3), &index)) Die("bad tag");
        const std::int64_t batch_start = index / 100 * 100;  // kBatch
        const absl::Time seen = t0 - window + spread * (static_cast<double>(batch_start) / static_cast<double>(n));
        const absl::Time deadline = seen + window;
        lags_ms.push_back(absl::ToDoubleMilliseconds(storage::ToAbslTime(finding.first_seen_at()) - deadline));
      }
      below = page->next_below;
    } while (below != 0);
    std::sort(lags_ms.begin(), lags_ms.end());
    auto pct = [&](double p) {
      return lags_ms.empty() ? 0.0
                             : lags_ms[std::min(lags_ms.size() - 1, static_cast<std::size_t>(p * lags_ms.size()))];
    };
    std::printf("devices                %lld\n", static_cast<long long>(n));
    std::printf("fill (Apply, no sync)  %.1f s\n", absl::ToDoubleSeconds(fill));
    std::printf("engine start-up        %.2f s (index rebuilt from storage; %.2f s of CPU)\n",
                absl::ToDoubleSeconds(load), absl::ToDoubleSeconds(load_cpu));
    std::printf("index bytes            %zu (%.1f per device)\n", (*finding_engine)->index_bytes(),
                static_cast<double>((*finding_engine)->index_bytes()) / static_cast<double>(n));
    std::printf("flagged in %.0f s       %zu (expected about %.0f)\n", absl::ToDoubleSeconds(run), lags_ms.size(),
                static_cast<double>(n) * std::min(1.0, absl::FDivDuration(run, spread)));
    std::printf(
        "process CPU from t0 until the detector stopped  %.2f s (%.1f us per flagged device)\n",
        absl::ToDoubleSeconds(detection_cpu),
        lags_ms.empty() ? 0.0 : absl::ToDoubleMicroseconds(detection_cpu) / static_cast<double>(lags_ms.size()));
    std::printf(
        "writer thread CPU in that time             %.2f s (%.1f us per flagged device)\n",
        absl::ToDoubleSeconds(detection_writer_cpu),
        lags_ms.empty() ? 0.0 : absl::ToDoubleMicroseconds(detection_writer_cpu) / static_cast<double>(lags_ms.size()));
    std::printf("flag lag after deadline p50 %.0f ms, p99 %.0f ms, max %.0f ms\n", pct(0.5), pct(0.99),
                lags_ms.empty() ? 0.0 : lags_ms.back());
    ingest.Stop();
  }
  std::filesystem::remove_all(dir);
  return 0;
}

}  // namespace
}  // namespace pumptrack::bench

int main(int argc, char** argv) {
  std::string policy_path = "examples/hospital-policy.textproto";
  std::int64_t missing_devices = 0;
  std::int64_t mass_silence = 0;
  std::vector<char*> rest = {argv[0]};
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (absl::ConsumePrefix(&arg, "--policy=")) {
      policy_path = std::string(arg);
    } else if (absl::ConsumePrefix(&arg, "--missing_devices=")) {
      if (!absl::SimpleAtoi(arg, &missing_devices)) pumptrack::bench::Die("--missing_devices: not a number");
    } else if (absl::ConsumePrefix(&arg, "--mass_silence=")) {
      if (!absl::SimpleAtoi(arg, &mass_silence)) pumptrack::bench::Die("--mass_silence: not a number");
    } else {
      rest.push_back(argv[i]);
    }
  }
  std::ifstream in(policy_path);
  std::stringstream text;
  text << in.rdbuf();
  if (!in) pumptrack::bench::Die("cannot read --policy " + policy_path);
  auto policy = pumptrack::rules::CompiledPolicy::FromText(text.str());
  if (!policy.ok()) pumptrack::bench::Die(policy.status().ToString());
  pumptrack::bench::g_policy = *policy;
  if (missing_devices > 0) {
    return pumptrack::bench::RunMissing(missing_devices, absl::Minutes(30), absl::Minutes(30), absl::Seconds(20));
  }
  if (mass_silence > 0) {
    return pumptrack::bench::RunMissing(mass_silence, absl::Seconds(5), absl::Seconds(1), absl::Seconds(10));
  }
  int bench_argc = static_cast<int>(rest.size());
  benchmark::Initialize(&bench_argc, rest.data());
  benchmark::RunSpecifiedBenchmarks();
  return 0;
}
