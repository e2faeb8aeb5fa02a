// pumptrack-load: plays a fleet of simulated infusion pumps against a local pumptrackd and measures durable report
// throughput, acknowledgement latency and GetDevice latency under that load. See docs/PERFORMANCE.md.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "bench/cpu_usage.h"
#include "bench/load_stats.h"
#include "bench/load_workers.h"
#include "bench/pump_fleet.h"

ABSL_FLAG(std::string, target, "127.0.0.1:50051", "pumptrackd's gRPC address; must be 127.0.0.1:PORT.");
ABSL_FLAG(int, devices, 10'000, "Simulated pumps (asset tags LD-00001... LD-1000000), at most 1,000,000.");
ABSL_FLAG(int, streams, 4, "Concurrent ReportStreams (with --unary: concurrent unary callers), one agent each.");
ABSL_FLAG(int, batch, 500, "Observations per ReportBatch (1-1000).");
ABSL_FLAG(int, inflight, 8, "Unacknowledged batches per stream (with --unary: outstanding calls per caller).");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(20), "Measured duration, after the warm-up.");
ABSL_FLAG(absl::Duration, warmup, absl::Seconds(3), "Load before measuring starts (not counted).");
ABSL_FLAG(double, query_rate, 200, "GetDevice queries per second during the load; 0 disables.");
ABSL_FLAG(bool, query_locate, false, "Make every other query InventoryService.Locate (latencies reported apart).");
ABSL_FLAG(double, rate, 0,
          "Reports per second over all streams, paced batch by batch; 0 sends as fast as acknowledgements allow.");
ABSL_FLAG(bool, unary, false, "Report one observation per AgentService.Report call instead of ReportStream.");
ABSL_FLAG(int, server_pid, 0, "pumptrackd's pid, to report its CPU use during the window; 0 to skip.");
ABSL_FLAG(bool, json, false, "Also print one JSON line with every figure.");
ABSL_FLAG(std::string, token, "", "Bearer token for GetDevice queries; default $PUMPTRACK_TOKEN.");

namespace pumptrack::bench {
namespace {

constexpr absl::Duration kConnectTimeout = absl::Seconds(5);

struct Results {
  ReportStats reports;
  QueryStats queries;
  CpuUse cpu;
};

std::optional<std::string> CheckConfig(const LoadConfig& config) {
  int port = 0;
  if (!absl::StartsWith(config.target, "127.0.0.1:") || !absl::SimpleAtoi(config.target.substr(10), &port) ||
      port <= 0 || port > 65535) {
    return "--target must be 127.0.0.1:PORT (the load tool only talks to loopback)";
  }
  if (config.devices < 1 || config.devices > 1'000'000) return "--devices must be within 1-1000000";
  if (config.streams < 1 || config.streams > config.devices) return "--streams must be within 1-devices";
  if (config.batch < 1 || config.batch > 1000) return "--batch must be within 1-1000";
  if (config.inflight < 1 || config.inflight > 1024) return "--inflight must be within 1-1024";
  if (config.duration <= absl::ZeroDuration() || config.duration > absl::Hours(1)) {
    return "--duration must be within (0, 1h]";
  }
  if (config.warmup < absl::ZeroDuration() || config.warmup > absl::Minutes(10)) {
    return "--warmup must be within [0, 10m]";
  }
  if (config.query_rate < 0 || config.query_rate > 100'000) return "--query_rate must be within 0-100000";
  if (config.rate < 0 || config.rate > 10'000'000) return "--rate must be within 0-10000000";
  if (config.rate > 0 && config.unary) return "--rate applies to streams only, not with --unary";
  return std::nullopt;
}

LoadConfig ConfigFromFlags() {
  LoadConfig config;
  config.target = absl::GetFlag(FLAGS_target);
  config.token = absl::GetFlag(FLAGS_token);
  if (config.token.empty() && std::getenv("PUMPTRACK_TOKEN") != nullptr) config.token = std::getenv("PUMPTRACK_TOKEN");
  config.devices = absl::GetFlag(FLAGS_devices);
  config.streams = absl::GetFlag(FLAGS_streams);
  config.batch = absl::GetFlag(FLAGS_batch);
  config.inflight = absl::GetFlag(FLAGS_inflight);
  config.duration = absl::GetFlag(FLAGS_duration);
  config.warmup = absl::GetFlag(FLAGS_warmup);
  config.query_rate = absl::GetFlag(FLAGS_query_rate);
  config.query_locate = absl::GetFlag(FLAGS_query_locate);
  config.rate = absl::GetFlag(FLAGS_rate);
  config.unary = absl::GetFlag(FLAGS_unary);
  return config;
}

bool WaitForServer(const std::string& target) {
  return OpenChannel(target)->WaitForConnected(absl::ToChronoTime(absl::Now() + kConnectTimeout));
}

// Runs every worker on its own thread until the window is over and every acknowledgement is in.
template <typename Worker>
ReportStats RunReportWorkers(const LoadContext& context) {
  std::vector<std::unique_ptr<Worker>> workers;
  for (int i = 0; i < context.config->streams; ++i) workers.push_back(std::make_unique<Worker>(i, context));
  std::vector<std::thread> threads;
  for (auto& worker : workers) threads.emplace_back([&worker] { worker->Run(); });
  for (std::thread& thread : threads) thread.join();
  ReportStats total;
  for (const auto& worker : workers) total.Merge(worker->stats());
  return total;
}

Results RunLoad(const LoadConfig& config, int server_pid) {
  // Sequences start at the clock in microseconds: a rerun against the same data directory starts above every
  // sequence an earlier run can have used (no run sends a million reports per pump per second).
  PumpFleet fleet(config.devices, static_cast<std::uint64_t>(absl::ToUnixMicros(absl::Now())));
  DurableSequences durable(config.devices);
  const MeasurementWindow window(absl::Now(), config.warmup, config.duration);
  const LoadContext context{&config, &window, &fleet, &durable};

  Results results;
  QueryWorker querier(context);
  std::thread query_thread([&querier] { querier.Run(); });
  std::thread cpu_thread([&] { results.cpu = MeasureCpuOverWindow(window, server_pid); });
  results.reports = config.unary ? RunReportWorkers<UnaryWorker>(context) : RunReportWorkers<StreamWorker>(context);
  query_thread.join();
  cpu_thread.join();
  results.queries = querier.stats();
  return results;
}

double Millis(absl::Duration d) { return absl::ToDoubleMilliseconds(d); }

double PerSecond(std::uint64_t count, const LoadConfig& config) {
  return static_cast<double>(count) / absl::ToDoubleSeconds(config.duration);
}

std::string ModeLine(const LoadConfig& config) {
  if (config.unary) {
    return absl::StrFormat("unary Report, %d pumps, %d callers x %d calls outstanding", config.devices, config.streams,
                           config.inflight);
  }
  return absl::StrCat(absl::StrFormat("ReportStream, %d pumps, %d streams x batch %d, %d batches in flight per stream",
                                      config.devices, config.streams, config.batch, config.inflight),
                      config.rate > 0 ? absl::StrFormat(", paced at %.0f reports/s", config.rate) : "");
}

std::string LatencyLine(const LatencySummary& s) {
  return absl::StrFormat("p50 %.2f ms  p99 %.2f ms  p999 %.2f ms  max %.2f ms  (%d samples)", Millis(s.p50),
                         Millis(s.p99), Millis(s.p999), Millis(s.max), s.count);
}

// Service CPU time per durable report, in microseconds; -1 if unknown.
double ServerMicrosPerReport(const LoadConfig& config, const Results& r) {
  const double per_second = PerSecond(r.reports.in_window.accepted, config);
  return r.cpu.server < 0 || per_second == 0 ? -1 : 1e6 * r.cpu.server / per_second;
}

void PrintCpuUse(const LoadConfig& config, const Results& r) {
  const CpuUse& cpu = r.cpu;
  absl::PrintF("  CPU, cores of %d  : load tool %.2f, pumptrackd %.2f, other processes %.2f\n", cpu.cores, cpu.load,
               cpu.server, cpu.others());
  if (cpu.server < 0) return;
  std::string threads;
  for (const ThreadCpu& thread : cpu.busiest_server_threads) {
    absl::StrAppend(&threads, threads.empty() ? "" : ", ", thread.name, absl::StrFormat(" %.2f", thread.cores));
  }
  absl::PrintF("  pumptrackd        : %.1f us CPU per durable report; busiest threads: %s\n",
               ServerMicrosPerReport(config, r), threads);
}

void PrintSummary(const LoadConfig& config, const Results& r) {
  const ReportCounts& c = r.reports.in_window;
  absl::PrintF("pumptrack-load: %s; %s measured after %s warm-up\n", ModeLine(config),
               absl::FormatDuration(config.duration), absl::FormatDuration(config.warmup));
  absl::PrintF("  durable reports/s : %.0f  (%d accepted in the window)\n", PerSecond(c.accepted, config), c.accepted);
  absl::PrintF("  other outcomes    : duplicate %d, rejected %d, overloaded %d, unavailable %d\n", c.duplicate,
               c.rejected, c.overloaded, c.unavailable);
  absl::PrintF("  %s : %s\n", config.unary ? "Report latency   " : "batch ack latency",
               LatencyLine(r.reports.ack_latency.Summarize()));
  absl::PrintF("  whole run         : %d observations sent, %d acknowledged, %d failed calls, %d protocol errors\n",
               r.reports.sent, r.reports.acknowledged, r.reports.failed_calls, r.reports.protocol_errors);
  if (config.query_rate > 0) {
    const QueryStats& q = r.queries;
    absl::PrintF("  GetDevice latency : %s\n", LatencyLine(q.latency.Summarize()));
    if (config.query_locate) absl::PrintF("  Locate latency    : %s\n", LatencyLine(q.locate_latency.Summarize()));
    absl::PrintF("  GetDevice answers : %d found, %d not found, %d errors, %d stale, %d skipped (target %.0f/s)\n",
                 q.found, q.not_found, q.errors, q.stale, q.skipped, config.query_rate);
  }
  PrintCpuUse(config, r);
  if (!r.reports.first_error.empty()) absl::PrintF("  first error       : %s\n", r.reports.first_error);
  if (!r.queries.first_error.empty()) absl::PrintF("  first query error : %s\n", r.queries.first_error);
}

std::string JsonLatency(const std::string& prefix, const LatencySummary& s) {
  return absl::StrFormat(R"("%s_p50_ms": %.3f, "%s_p99_ms": %.3f, "%s_p999_ms": %.3f, "%s_max_ms": %.3f, )"
                         R"("%s_samples": %d)",
                         prefix, Millis(s.p50), prefix, Millis(s.p99), prefix, Millis(s.p999), prefix, Millis(s.max),
                         prefix, s.count);
}

std::string JsonLine(const LoadConfig& config, const Results& r) {
  const ReportCounts& c = r.reports.in_window;
  const QueryStats& q = r.queries;
  return absl::StrCat(
      "{",
      absl::StrFormat(R"("mode": "%s", "devices": %d, "streams": %d, "batch": %d, "inflight": %d, )",
                      config.unary ? "unary" : "stream", config.devices, config.streams,
                      config.unary ? 1 : config.batch, config.inflight),
      absl::StrFormat(R"("duration_s": %.1f, "warmup_s": %.1f, "query_rate": %.0f, )",
                      absl::ToDoubleSeconds(config.duration), absl::ToDoubleSeconds(config.warmup), config.query_rate),
      absl::StrFormat(R"("durable_reports_per_s": %.1f, "accepted": %d, "duplicate": %d, "rejected": %d, )",
                      PerSecond(c.accepted, config), c.accepted, c.duplicate, c.rejected),
      absl::StrFormat(R"("overloaded": %d, "unavailable": %d, "sent": %d, "acknowledged": %d, )", c.overloaded,
                      c.unavailable, r.reports.sent, r.reports.acknowledged),
      absl::StrFormat(R"("failed_calls": %d, "protocol_errors": %d, )", r.reports.failed_calls,
                      r.reports.protocol_errors),
      JsonLatency("ack", r.reports.ack_latency.Summarize()), ", ", JsonLatency("get_device", q.latency.Summarize()),
      ", ", JsonLatency("locate", q.locate_latency.Summarize()), ", ",
      absl::StrFormat(R"("rate": %.0f, )", config.rate),
      absl::StrFormat(R"("get_device_found": %d, "get_device_not_found": %d, "get_device_errors": %d, )", q.found,
                      q.not_found, q.errors),
      absl::StrFormat(R"("get_device_stale": %d, "cores": %d, "load_cpu_cores": %.2f, "server_cpu_cores": %.2f, )",
                      q.stale, r.cpu.cores, r.cpu.load, r.cpu.server),
      absl::StrFormat(R"("other_cpu_cores": %.2f, "server_busiest_thread_cores": %.2f, )", r.cpu.others(),
                      r.cpu.busiest_server_threads.empty() ? -1.0 : r.cpu.busiest_server_threads.front().cores),
      absl::StrFormat(R"("server_cpu_us_per_report": %.1f)", ServerMicrosPerReport(config, r)), "}");
}

// Success means the run worked, not that it was fast: every call ended well and every answer made sense.
bool RunWasClean(const Results& r) {
  return r.reports.failed_calls == 0 && r.reports.protocol_errors == 0 && r.reports.acknowledged == r.reports.sent &&
         r.reports.in_window.accepted > 0 && r.queries.errors == 0 && r.queries.not_found == 0 && r.queries.stale == 0;
}

}  // namespace
}  // namespace pumptrack::bench

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "pumptrack-load --target=127.0.0.1:PORT [--devices=10000] [--streams=4] [--batch=500] [--inflight=8] "
      "[--duration=20s] [--warmup=3s] [--query_rate=200] [--unary] [--json]");
  absl::ParseCommandLine(argc, argv);
  const pumptrack::bench::LoadConfig config = pumptrack::bench::ConfigFromFlags();
  if (std::optional<std::string> problem = pumptrack::bench::CheckConfig(config)) {
    absl::FPrintF(stderr, "pumptrack-load: %s\n", *problem);
    return 2;
  }
  if (!pumptrack::bench::WaitForServer(config.target)) {
    absl::FPrintF(stderr, "pumptrack-load: cannot connect to %s\n", config.target);
    return 1;
  }
  const pumptrack::bench::Results results = pumptrack::bench::RunLoad(config, absl::GetFlag(FLAGS_server_pid));
  pumptrack::bench::PrintSummary(config, results);
  if (absl::GetFlag(FLAGS_json)) absl::PrintF("%s\n", pumptrack::bench::JsonLine(config, results));
  std::fflush(stdout);
  return pumptrack::bench::RunWasClean(results) ? 0 : 1;
}
