// Maintenance sweep at fleet scale (#19): the fleet scan the sweep was (MaintenanceRuntime::SweepAll, now run once
// after a start) against the deadline-queue sweep (MaintenanceRuntime::Sweep), with the real engine, writer thread
// and RocksDB and an injected clock, and the writer-side cost of keeping the queue (rules::NextMaintenanceChange per
// evaluation).
//
//   build/bench/pumptrack-maintenance-benchmark --policy=examples/hospital-policy.textproto --devices=100000
//
// N pumps of the example policy's models (12-month PM, 30-day warning) first seen evenly over 100 days, so that one
// day of clock moves about 1 % of them into their warning window. Runs, alternating, --runs scans and --runs queue
// sweeps with nothing due, then moves the clock one day past the first pumps' warning time and sweeps once (about 1 %
// due: read, re-evaluated and written).

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
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "agents/sim/hospital.h"
#include "engine/finding_engine.h"
#include "engine/ingest_metrics.h"
#include "engine/ingest_pipeline.h"
#include "engine/maintenance_runtime.h"
#include "prometheus/registry.h"
#include "rules/maintenance.h"
#include "rules/policy.h"
#include "storage/audit_log.h"
#include "storage/database.h"
#include "storage/device_store.h"
#include "storage/finding_store.h"
#include "storage/maintenance_store.h"
#include "storage/proto_time.h"

namespace pumptrack::bench {
namespace {

[[noreturn]] void Die(const std::string& why) {
  std::fprintf(stderr, "pumptrack-maintenance-benchmark: %s\n", why.c_str());
  std::exit(1);
}

absl::Duration ProcessCpuTime() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return absl::DurationFromTimeval(usage.ru_utime) + absl::DurationFromTimeval(usage.ru_stime);
}

// A pump of the simulated hospital's model `m`, at home in 5-west, with its battery and Wi-Fi modules.
v1::Observation Pump(std::int64_t i) {
  const agents::sim::Site& site = agents::sim::ExampleGeneral();
  const agents::sim::PumpModel& model = site.models[i % site.models.size()];
  v1::Observation o;
  o.mutable_identity()->set_asset_tag(absl::StrFormat("PT-%07d", i));
  o.mutable_identity()->set_serial_number(absl::StrFormat("SN-%07d", i));
  o.mutable_identity()->set_manufacturer(std::string(model.manufacturer));
  o.mutable_identity()->set_model(std::string(model.model));
  o.set_sequence(1);
  o.mutable_location()->set_facility("general");
  o.mutable_location()->set_unit("5-west");
  o.mutable_location()->set_room("5-west-501");
  o.set_firmware_version(std::string(model.firmware));
  for (const char* kind : {"wifi-module", "battery-module"}) {
    v1::Component& c = *o.add_components();
    c.set_kind(kind);
    c.set_model(absl::StrFormat("%s-%s", model.serial_prefix, kind[0] == 'w' ? "WLAN" : "BAT"));
    c.set_serial_number(absl::StrFormat("%s-%c%07d", model.serial_prefix, kind[0] == 'w' ? 'W' : 'B', i));
  }
  o.set_operating_state(v1::OPERATING_STATE_IDLE);
  return o;
}

struct Timed {
  double wall_ms;
  double cpu_ms;
};

template <typename F>
Timed Time(F f) {
  const absl::Time wall = absl::Now();
  const absl::Duration cpu = ProcessCpuTime();
  f();
  return {absl::ToDoubleMilliseconds(absl::Now() - wall), absl::ToDoubleMilliseconds(ProcessCpuTime() - cpu)};
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : v[v.size() / 2];
}

int Run(std::shared_ptr<const rules::CompiledPolicy> policy, std::int64_t n, int runs) {
  std::string pattern = (std::filesystem::temp_directory_path() / "pumptrack-maintenance-bench.XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) Die("cannot create a temporary directory");
  const std::string dir = pattern;
  {
    const absl::Time t0 = absl::FromCivil(absl::CivilSecond(2026, 1, 1, 0, 0, 0), absl::UTCTimeZone());
    const absl::Duration spread = absl::Hours(24 * 100);
    std::atomic<std::int64_t> now_us{absl::ToUnixMicros(t0 + spread + absl::Hours(24))};
    auto clock = [&] { return absl::FromUnixMicros(now_us.load()); };
    storage::DatabaseOptions options;
    options.path = dir + "/data";
    options.clock = clock;
    auto database = storage::Database::Open(options);
    if (!database.ok()) Die(database.status().ToString());
    storage::DeviceStore devices(database->get());
    constexpr int kBatch = 100;
    v1::AgentInfo agent;
    agent.set_agent_id("gw-1");
    const absl::Time fill_started = absl::Now();
    for (std::int64_t start = 0; start < n; start += kBatch) {
      std::vector<v1::Observation> observations;
      for (std::int64_t i = start; i < std::min<std::int64_t>(n, start + kBatch); ++i) observations.push_back(Pump(i));
      std::vector<storage::IncomingObservation> incoming;
      for (const v1::Observation& o : observations) incoming.push_back({&o, &agent});
      const absl::Time seen = t0 + spread * (static_cast<double>(start) / static_cast<double>(n));
      if (auto applied = devices.Apply(incoming, seen, /*sync=*/false); !applied.ok()) Die(applied.status().ToString());
    }
    if (rocksdb::Status synced = (*database)->raw().FlushWAL(/*sync=*/true); !synced.ok()) Die(synced.ToString());
    std::printf("devices                 %lld (filled in %.1f s)\n", static_cast<long long>(n),
                absl::ToDoubleSeconds(absl::Now() - fill_started));

    storage::FindingStore findings(database->get());
    storage::MaintenanceStore store(database->get());
    auto audit = storage::AuditLog::Open(database->get());
    if (!audit.ok()) Die(audit.status().ToString());
    prometheus::Registry registry;
    engine::IngestMetrics metrics(registry);
    engine::FleetMetrics fleet(registry);
    engine::FindingEngineOptions engine_options;
    engine_options.clock = clock;
    auto finding_engine = engine::FindingEngine::Create(&devices, &findings, &fleet, engine_options);
    if (!finding_engine.ok()) Die(finding_engine.status().ToString());
    (*finding_engine)->InstallPolicy(policy, "bench");
    engine::IngestOptions ingest_options;
    ingest_options.clock = clock;
    engine::IngestPipeline ingest(&devices, &metrics, ingest_options, finding_engine->get());
    engine::MaintenanceRuntime maintenance(database->get(), &devices, &store, audit->get(), finding_engine->get(),
                                           &ingest);

    // The writer-side cost of the queue: the next change of one pump, computed on every evaluation.
    {
      auto device = devices.GetDevice("PT-0000001");
      if (!device.ok()) Die(device.status().ToString());
      constexpr int kCalls = 1'000'000;
      std::int64_t sum = 0;
      const absl::Time started = absl::Now();
      for (int i = 0; i < kCalls; ++i) {
        sum += rules::NextMaintenanceChange(*policy, *device, clock()).has_value() ? 1 : 0;
      }
      if (sum != kCalls) Die("the pump has no maintenance deadline: check --policy");
      std::printf("NextMaintenanceChange   %.0f ns per evaluation\n",
                  absl::ToDoubleNanoseconds(absl::Now() - started) / kCalls);
    }

    // Nothing due: the fleet scan against the queue, alternating. The first scan seeds the queue (as at a start).
    std::vector<double> scan_wall, scan_cpu, queue_wall, queue_cpu;
    for (int r = 0; r < runs; ++r) {
      const Timed scan = Time([&] {
        if (absl::Status s = maintenance.SweepAll(); !s.ok()) Die(s.ToString());
      });
      scan_wall.push_back(scan.wall_ms);
      scan_cpu.push_back(scan.cpu_ms);
      const Timed queue = Time([&] {
        if (absl::Status s = maintenance.Sweep(); !s.ok()) Die(s.ToString());
      });
      queue_wall.push_back(queue.wall_ms);
      queue_cpu.push_back(queue.cpu_ms);
    }
    std::printf("scheduled deadlines     %zu\n", (*finding_engine)->maintenance_deadlines().scheduled());
    std::printf(
        "nothing due, fleet scan (SweepAll)  median %.1f ms wall, %.1f ms CPU over %d runs (min %.1f, max %.1f)\n",
        Median(scan_wall), Median(scan_cpu), runs, *std::min_element(scan_wall.begin(), scan_wall.end()),
        *std::max_element(scan_wall.begin(), scan_wall.end()));
    std::printf("nothing due, queue (Sweep)          median %.3f ms wall, %.3f ms CPU over %d runs (max %.3f)\n",
                Median(queue_wall), Median(queue_cpu), runs, *std::max_element(queue_wall.begin(), queue_wall.end()));
    if (maintenance.swept_pumps() != 0) Die("the queue sweep read pumps with nothing due");

    // One day past the first pumps' warning time: about 1 % of the fleet enters its window.
    const absl::Time first_warn = rules::AddMonths(t0, 12, policy->time_zone()) - absl::Hours(24 * 30);
    now_us = absl::ToUnixMicros(first_warn + absl::Hours(24));
    const Timed due = Time([&] {
      if (absl::Status s = maintenance.Sweep(); !s.ok()) Die(s.ToString());
    });
    std::printf("1 day later, queue (Sweep)          %.1f ms wall, %.1f ms CPU: %llu pumps read and re-evaluated\n",
                due.wall_ms, due.cpu_ms, static_cast<unsigned long long>(maintenance.swept_pumps()));
    const Timed after = Time([&] {
      if (absl::Status s = maintenance.SweepAll(); !s.ok()) Die(s.ToString());
    });
    std::printf("then a fleet scan (SweepAll)        %.1f ms wall, %.1f ms CPU (nothing left to change)\n",
                after.wall_ms, after.cpu_ms);
    maintenance.Stop();
    ingest.Stop();
  }
  std::filesystem::remove_all(dir);
  return 0;
}

}  // namespace
}  // namespace pumptrack::bench

int main(int argc, char** argv) {
  std::string policy_path = "examples/hospital-policy.textproto";
  std::int64_t devices = 100'000;
  int runs = 5;
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (absl::ConsumePrefix(&arg, "--policy=")) {
      policy_path = std::string(arg);
    } else if (absl::ConsumePrefix(&arg, "--devices=")) {
      if (!absl::SimpleAtoi(arg, &devices) || devices < 1) pumptrack::bench::Die("--devices: a positive number");
    } else if (absl::ConsumePrefix(&arg, "--runs=")) {
      if (!absl::SimpleAtoi(arg, &runs) || runs < 1) pumptrack::bench::Die("--runs: a positive number");
    } else {
      pumptrack::bench::Die("unknown argument " + std::string(arg));
    }
  }
  std::ifstream in(policy_path);
  std::stringstream text;
  text << in.rdbuf();
  if (!in) pumptrack::bench::Die("cannot read --policy " + policy_path);
  auto policy = pumptrack::rules::CompiledPolicy::FromText(text.str());
  if (!policy.ok()) pumptrack::bench::Die(policy.status().ToString());
  return pumptrack::bench::Run(*policy, devices, runs);
}
