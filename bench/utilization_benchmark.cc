// pumptrack-utilization-benchmark: the utilization roll-up (docs/UTILIZATION.md) at fleet scale, with real RocksDB.
//
// 1. Builds the roll-up for --pumps pumps over --days days, each pump changing operating state --changes_per_day
//    times a day through a fixed cycle (infusing, idle, alarm, off: a known 25 % duty cycle each), staged and written
//    in batches as the ingest writer does; then times GetUtilization's query over the whole window by unit, model and
//    device, and checks the infusing share against the known duty cycle.
// 2. Writer CPU per report with and without the roll-up: DeviceStore::Apply of the same kind of batches (one report in
//    --change_every changes the pump's state), alternating A (no roll-up) and B (roll-up) --rounds times, timed with
//    the writer thread's CPU clock; and the roll-up's own part alone (Stage, the write of what it staged, Commit) on
//    the same report sequence, which the A/B's difference of two noisy totals cannot resolve below a microsecond.
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "engine/utilization_rollup.h"
#include "google/protobuf/util/time_util.h"
#include "pumptrack/v1/device.pb.h"
#include "storage/database.h"
#include "storage/device_store.h"
#include "storage/utilization_store.h"

ABSL_FLAG(int, pumps, 100'000, "Pumps in the fleet.");
ABSL_FLAG(int, days, 30, "Days of state changes.");
ABSL_FLAG(int, changes_per_day, 8, "State changes per pump per day.");
ABSL_FLAG(int, units, 200, "Units the pumps are spread over.");
ABSL_FLAG(std::string, dir, "/tmp", "Where to create the temporary data directory.");
ABSL_FLAG(int, ab_pumps, 10'000, "Pumps in the writer CPU A/B.");
ABSL_FLAG(int, ab_reports, 400'000, "Reports per A/B round.");
ABSL_FLAG(int, change_every, 120,
          "In the A/B, one report in this many changes the pump's operating state (120: a pump reporting every 30 s "
          "changes state once an hour).");
ABSL_FLAG(int, page_size, 1000, "Rows per page of the paged by-device query.");
ABSL_FLAG(
    bool, skip_ab, false,
    "Skip the writer CPU measurements, the roll-up alone and the A/B (only build the fleet and time the queries).");
ABSL_FLAG(bool, skip_queries, false, "Skip the fleet build and the queries (only the writer CPU measurements).");
ABSL_FLAG(int, rounds, 4, "A/B rounds (each runs A then B, alternating which goes first).");
ABSL_FLAG(std::string, fleet_dir, "",
          "Keep the built fleet in this directory and reuse it when it is already there (skips the 6M-change build; "
          "lets two binaries be queried alternately on the same data). Empty: a temporary directory, removed.");
ABSL_FLAG(int, query_runs, 2, "Runs of each query.");
ABSL_FLAG(bool, skip_device, false, "Skip the by-device queries (unpaged and paged).");

namespace pumptrack {
namespace {

using google::protobuf::util::TimeUtil;

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

v1::OperatingState CycleState(int step) { return static_cast<v1::OperatingState>(step % 4 + 1); }

std::string Tag(int pump) { return absl::StrFormat("PT-%06d", pump); }
std::string UnitOf(int pump, int units) { return absl::StrCat("unit-", pump % units); }

void Die(const absl::Status& status, const char* what) {
  if (status.ok()) return;
  std::fprintf(stderr, "%s: %s\n", what, std::string(status.message()).c_str());
  std::exit(1);
}

// A database at `path` (256 MiB block cache) with the utilization roll-up on it, loaded.
struct RollupDatabase {
  explicit RollupDatabase(const std::string& path) : db(Open(path)), store(db.get()), rollup(&store, nullptr) {
    const absl::Time started = absl::Now();
    Die(rollup.Load(), "load");
    load_seconds = absl::ToDoubleSeconds(absl::Now() - started);
  }
  static std::unique_ptr<storage::Database> Open(const std::string& path) {
    storage::DatabaseOptions options;
    options.path = path;
    options.block_cache_bytes = 256 << 20;
    absl::StatusOr<std::unique_ptr<storage::Database>> opened = storage::Database::Open(options);
    Die(opened.status(), "open");
    return *std::move(opened);
  }

  std::unique_ptr<storage::Database> db;
  storage::UtilizationStore store;
  engine::UtilizationRollup rollup;
  double load_seconds = 0;  // UtilizationRollup::Load, as at pumptrackd's start-up
};

void BuildAndQuery(const std::string& path, bool build) {
  const int pumps = absl::GetFlag(FLAGS_pumps);
  const int days = absl::GetFlag(FLAGS_days);
  const int per_day = absl::GetFlag(FLAGS_changes_per_day);
  const int units = absl::GetFlag(FLAGS_units);
  RollupDatabase opened(path);
  std::unique_ptr<storage::Database>& db = opened.db;
  engine::UtilizationRollup& rollup = opened.rollup;

  const absl::Time start = absl::FromCivil(absl::CivilDay(2026, 11, 1), absl::UTCTimeZone());
  const absl::Duration slot = absl::Hours(24) / per_day;
  v1::Device device;
  device.mutable_identity()->set_model("Infusia 500");
  v1::Observation& o = *device.mutable_last_observation();
  o.mutable_location()->set_facility("general");
  const absl::Time build_started = absl::Now();
  double stage_cpu = 0;
  long long changes = 0;
  rocksdb::WriteBatch batch;
  const int total_slots = build ? days * per_day : 0;
  if (!build) {
    std::printf("reusing the fleet in %s; roll-up loaded (start-up) in %.3f s\n", path.c_str(), opened.load_seconds);
  }
  for (int s = 0; s < total_slots; ++s) {
    for (int p = 0; p < pumps; ++p) {
      device.mutable_identity()->set_asset_tag(Tag(p));
      o.mutable_location()->set_unit(UnitOf(p, units));
      o.set_operating_state(CycleState(p + s));
      // Pumps change at different moments of the slot.
      const absl::Time at = start + slot * s + absl::Milliseconds((static_cast<long long>(p) * 7919) % 600'000);
      *o.mutable_observed_at() = TimeUtil::MillisecondsToTimestamp(absl::ToUnixMillis(at));
      const double before = ThreadCpuSeconds();
      Die(rollup.Stage(device, batch), "stage");
      stage_cpu += ThreadCpuSeconds() - before;
      ++changes;
      if (batch.Count() >= 20'000) {
        Die(db->Write(batch, /*sync=*/false), "write");
        rollup.Commit();
        batch.Clear();
      }
    }
  }
  Die(db->Write(batch, false), "write");
  rollup.Commit();
  const double build_s = absl::ToDoubleSeconds(absl::Now() - build_started);
  if (build) {
    std::printf("built: %d pumps x %d days x %d changes/day = %lld changes in %.1f s (Stage: %.2f us CPU per change)\n",
                pumps, days, per_day, changes, build_s, stage_cpu * 1e6 / static_cast<double>(changes));
    db->raw().Flush(rocksdb::FlushOptions(), db->Handle(storage::ColumnFamily::kUtilization));
  }
  const int query_runs = absl::GetFlag(FLAGS_query_runs);
  const bool skip_device = absl::GetFlag(FLAGS_skip_device);

  const absl::Time end = start + absl::Hours(24) * days;
  for (v1::UtilizationGrouping by :
       {v1::UTILIZATION_GROUPING_UNIT, v1::UTILIZATION_GROUPING_MODEL, v1::UTILIZATION_GROUPING_DEVICE}) {
    if (skip_device && by == v1::UTILIZATION_GROUPING_DEVICE) continue;
    for (int run = 0; run < query_runs; ++run) {
      const absl::Time started = absl::Now();
      absl::StatusOr<v1::GetUtilizationResponse> response = rollup.Query(start, end, end, by);
      const double seconds = absl::ToDoubleSeconds(absl::Now() - started);
      Die(response.status(), "query");
      double infusing = 0;
      double known = 0;
      std::uint32_t peak = 0;
      for (const v1::UtilizationRow& row : response->rows()) {
        const v1::StateTime& t = row.time();
        infusing += static_cast<double>(t.infusing_ms());
        known += static_cast<double>(t.infusing_ms() + t.idle_ms() + t.alarm_ms() + t.off_ms());
        peak = std::max(peak, row.peak_infusing());
      }
      std::printf("query 30-day window by %-6s run %d: %6.3f s, %6d rows, infusing share %.4f (known duty 0.25)%s\n",
                  by == v1::UTILIZATION_GROUPING_UNIT    ? "unit"
                  : by == v1::UTILIZATION_GROUPING_MODEL ? "model"
                                                         : "device",
                  run + 1, seconds, response->rows_size(), known > 0 ? infusing / known : 0.0,
                  by == v1::UTILIZATION_GROUPING_UNIT ? absl::StrCat(", highest unit peak ", peak).c_str() : "");
    }
  }
  // By device over the last 7 days (the CLI's default window): the same pass, with a seek past each pump's older
  // checkpoints.
  for (int run = 0; run < (skip_device ? 0 : query_runs); ++run) {
    const absl::Time started = absl::Now();
    absl::StatusOr<v1::GetUtilizationResponse> response =
        rollup.Query(end - absl::Hours(24 * 7), end, end, v1::UTILIZATION_GROUPING_DEVICE);
    const double seconds = absl::ToDoubleSeconds(absl::Now() - started);
    Die(response.status(), "query");
    std::printf("query  7-day window by device run %d: %6.3f s, %6d rows\n", run + 1, seconds, response->rows_size());
  }
  // By device in pages of --page_size (GetUtilization's page_size): the first page, then every page as the CLI reads
  // them.
  const int page_size = absl::GetFlag(FLAGS_page_size);
  for (int run = 0; run < (skip_device ? 0 : query_runs); ++run) {
    const absl::Time started = absl::Now();
    std::string after;
    int pages = 0;
    long long rows = 0;
    double first_page = 0;
    do {
      std::string next;
      absl::StatusOr<v1::GetUtilizationResponse> response =
          rollup.Query(start, end, end, v1::UTILIZATION_GROUPING_DEVICE, after, page_size, &next);
      Die(response.status(), "query page");
      if (pages++ == 0) first_page = absl::ToDoubleSeconds(absl::Now() - started);
      rows += response->rows_size();
      after = next;
    } while (!after.empty());
    std::printf(
        "query 30-day window by device in pages of %d, run %d: first page %.3f s, all %d pages %.3f s, %lld rows\n",
        page_size, run + 1, first_page, pages, absl::ToDoubleSeconds(absl::Now() - started), rows);
  }
}

// The writer measurements' reports: --ab_pumps pumps reporting in turn, 3 ms apart (333 reports a second: 10,000
// pumps every 30 s), one report in --change_every moving its pump to the next state of the cycle.
class ReportSequence {
 public:
  struct Report {
    int pump;
    absl::Time at;
    v1::OperatingState state;
  };

  ReportSequence()
      : pumps_(absl::GetFlag(FLAGS_ab_pumps)),
        change_every_(absl::GetFlag(FLAGS_change_every)),
        state_step_(pumps_, 0) {}

  int pumps() const { return pumps_; }
  int change_every() const { return change_every_; }

  Report Next() {
    const int pump = static_cast<int>(counter_ % pumps_);
    if (counter_ % change_every_ == 0) ++state_step_[pump];
    ++counter_;
    clock_ += absl::Milliseconds(3);
    return {pump, clock_, CycleState(state_step_[pump])};
  }

 private:
  const int pumps_;
  const int change_every_;
  std::vector<int> state_step_;
  absl::Time clock_ = absl::FromCivil(absl::CivilDay(2026, 11, 1), absl::UTCTimeZone());
  long long counter_ = 0;
};

// Writer CPU per report of DeviceStore::Apply, without (A) and with (B) the roll-up in its hook.
void WriterAb(const std::string& path) {
  const int reports = absl::GetFlag(FLAGS_ab_reports);
  RollupDatabase opened(path);
  engine::UtilizationRollup& rollup = opened.rollup;
  storage::DeviceStore devices(opened.db.get());

  ReportSequence sequence;
  std::vector<std::uint64_t> sequence_numbers(sequence.pumps(), 0);
  v1::AgentInfo agent;
  agent.set_agent_id("gw-bench");
  absl::Time clock;
  auto run = [&](bool with_rollup) {
    double cpu = 0;
    std::deque<v1::Observation> observations;
    std::vector<storage::IncomingObservation> incoming;
    for (int done = 0; done < reports;) {
      observations.clear();
      incoming.clear();
      for (int i = 0; i < 1000 && done < reports; ++i, ++done) {
        const ReportSequence::Report report = sequence.Next();
        const int p = report.pump;
        clock = report.at;
        v1::Observation& o = observations.emplace_back();
        o.mutable_identity()->set_asset_tag(Tag(p));
        o.mutable_identity()->set_serial_number(absl::StrCat("SN-", p));
        o.mutable_identity()->set_model("Infusia 500");
        *o.mutable_observed_at() = TimeUtil::MillisecondsToTimestamp(absl::ToUnixMillis(report.at));
        o.set_sequence(++sequence_numbers[p]);
        o.mutable_location()->set_facility("general");
        o.mutable_location()->set_unit(UnitOf(p, 50));
        o.mutable_location()->set_room("101");
        o.set_firmware_version("12.1.3");
        o.set_operating_state(report.state);
      }
      for (const v1::Observation& o : observations) incoming.push_back({&o, &agent});
      storage::DeviceChangeHook hook;
      if (with_rollup) {
        hook = [&rollup](const v1::Device*, const v1::Device& after, rocksdb::WriteBatch& batch) {
          return rollup.Stage(after, batch);
        };
      }
      const double before = ThreadCpuSeconds();
      absl::StatusOr<std::vector<storage::ApplyResult>> results = devices.Apply(incoming, clock, /*sync=*/false, hook);
      if (with_rollup) {
        if (results.ok()) {
          rollup.Commit();
        } else {
          rollup.Abort();
        }
      }
      cpu += ThreadCpuSeconds() - before;
      Die(results.status(), "apply");
    }
    return cpu * 1e6 / reports;
  };
  run(true);  // warm-up: every pump known, the roll-up's cursors in place
  std::vector<double> a;
  std::vector<double> b;
  for (int r = 0; r < absl::GetFlag(FLAGS_rounds); ++r) {
    if (r % 2 == 0) {
      a.push_back(run(false));
      b.push_back(run(true));
    } else {
      b.push_back(run(true));
      a.push_back(run(false));
    }
    std::printf("A/B round %d: without roll-up %.2f us/report, with %.2f us/report\n", r + 1, a.back(), b.back());
  }
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  std::printf(
      "writer CPU per report (median of %zu, one report in %d changes state): without %.2f us, with %.2f us, "
      "roll-up adds %.2f us\n",
      a.size(), sequence.change_every(), a[a.size() / 2], b[b.size() / 2], b[b.size() / 2] - a[a.size() / 2]);
}

// The roll-up's own writer CPU per report, without DeviceStore::Apply around it (whose run-to-run swing, several
// microseconds, hides a fraction of one): the same report sequence as WriterAb, each batch of 1,000 devices built
// first (untimed), then Stage for each, the write of what they staged (RocksDB, not synced) and Commit, timed with the
// writer thread's CPU clock.
void RollupAlone(const std::string& path) {
  const int reports = absl::GetFlag(FLAGS_ab_reports);
  RollupDatabase opened(path);
  engine::UtilizationRollup& rollup = opened.rollup;

  ReportSequence sequence;
  std::vector<v1::Device> devices(1000);
  auto run = [&] {
    double cpu = 0;
    for (int done = 0; done < reports;) {
      std::size_t n = 0;
      for (; n < devices.size() && done < reports; ++n, ++done) {
        const ReportSequence::Report report = sequence.Next();
        v1::Device& device = devices[n];
        device.mutable_identity()->set_asset_tag(Tag(report.pump));
        device.mutable_identity()->set_model("Infusia 500");
        v1::Observation& o = *device.mutable_last_observation();
        *o.mutable_observed_at() = TimeUtil::MillisecondsToTimestamp(absl::ToUnixMillis(report.at));
        o.mutable_location()->set_facility("general");
        o.mutable_location()->set_unit(UnitOf(report.pump, 50));
        o.set_operating_state(report.state);
      }
      const double before = ThreadCpuSeconds();
      rocksdb::WriteBatch batch;
      for (std::size_t i = 0; i < n; ++i) Die(rollup.Stage(devices[i], batch), "stage");
      if (batch.Count() > 0) Die(opened.db->Write(batch, /*sync=*/false), "write");
      rollup.Commit();
      cpu += ThreadCpuSeconds() - before;
    }
    return cpu * 1e9 / reports;
  };
  run();  // warm-up: every pump known, the roll-up's cursors in place
  std::vector<double> ns;
  for (int r = 0; r < absl::GetFlag(FLAGS_rounds); ++r) {
    ns.push_back(run());
    std::printf("roll-up alone, round %d: %.0f ns/report\n", r + 1, ns.back());
  }
  std::sort(ns.begin(), ns.end());
  std::printf(
      "roll-up alone, writer CPU per report (median of %zu, one report in %d changes state): %.0f ns "
      "(min %.0f, max %.0f)\n",
      ns.size(), sequence.change_every(), ns[ns.size() / 2], ns.front(), ns.back());
}

}  // namespace
}  // namespace pumptrack

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  const std::string base = absl::StrCat(absl::GetFlag(FLAGS_dir), "/pumptrack-utilization-bench-", getpid());
  std::filesystem::create_directories(base);
  if (!absl::GetFlag(FLAGS_skip_ab)) {
    pumptrack::RollupAlone(base + "/alone");
    pumptrack::WriterAb(base + "/ab");
  }
  const std::string fleet_dir = absl::GetFlag(FLAGS_fleet_dir);
  if (absl::GetFlag(FLAGS_skip_queries)) {
    std::filesystem::remove_all(base);
    return 0;
  }
  if (fleet_dir.empty()) {
    pumptrack::BuildAndQuery(base + "/rollup", /*build=*/true);
  } else {
    // A fleet is reused only when its build finished (the marker is written after it).
    const std::string marker = fleet_dir + "/BUILT";
    const bool built = std::filesystem::exists(marker);
    if (!built) std::filesystem::remove_all(fleet_dir);
    pumptrack::BuildAndQuery(fleet_dir + "/db", /*build=*/!built);
    if (!built) std::ofstream(marker) << "built\n";
  }
  std::filesystem::remove_all(base);
  return 0;
}
