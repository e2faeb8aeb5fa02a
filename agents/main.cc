// pumptrack-agent: observes infusion pumps through an adapter, buffers every observation durably and reports them
// to the pumptrack service.
#include <grpcpp/grpcpp.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "agents/agent.h"
#include "agents/buffer.h"
#include "agents/hl7/mapping.h"
#include "agents/hl7/mllp_server.h"
#include "agents/metrics.h"
#include "agents/sequencer.h"
#include "agents/sim/sim_source.h"
#include "agents/spool/spool_source.h"
#include "agents/uplink.h"
#include "common/ids.h"
#include "prometheus/exposer.h"
#include "pumptrack/v1/agent_service.grpc.pb.h"
#include "spdlog/sinks/stdout_color_sinks.h"
#include "spdlog/spdlog.h"

#ifndef PUMPTRACK_VERSION
#error "PUMPTRACK_VERSION must be defined by the build"
#endif

ABSL_FLAG(std::string, server, "localhost:50051", "The pumptrack service, host:port.");
ABSL_FLAG(bool, insecure, false, "Use a plaintext channel instead of TLS (development only).");
ABSL_FLAG(std::string, tls_ca, "", "PEM CA bundle that signs the service's certificate.");
ABSL_FLAG(std::string, tls_cert, "",
          "PEM client certificate of this agent (mutual TLS); its subject is the agent's id.");
ABSL_FLAG(std::string, tls_key, "", "PEM private key of this agent's client certificate.");
ABSL_FLAG(std::string, agent_id, "",
          "This agent's id, 1-64 characters from [A-Za-z0-9._:-]. Default: derived from the host name.");
ABSL_FLAG(std::string, adapter, "sim",
          "Where observations come from: \"sim\" (a simulated hospital), \"spool\" or \"hl7\" (docs/HL7.md).");
ABSL_FLAG(std::string, spool_dir, "", "spool: the directory of JSON observation files (docs/SPOOL.md).");
ABSL_FLAG(std::string, hl7_listen, "127.0.0.1:2575",
          "hl7: IPv4 HOST:PORT of the MLLP listener. MLLP has no TLS: keep it on loopback or the device VLAN.");
ABSL_FLAG(std::string, hl7_allow, "127.0.0.1/32",
          "hl7: comma-separated IPv4 CIDRs allowed to connect; any other source is closed at accept and counted.");
ABSL_FLAG(std::string, hl7_mapping, "",
          "hl7: text-format mapping table (agents/hl7/mapping.proto). Default: the shipped "
          "agents/hl7/mdc-default.textproto.");
ABSL_FLAG(int64_t, hl7_max_message_bytes, 1 << 20, "hl7: largest message accepted; bigger ones are answered AR.");
ABSL_FLAG(absl::Duration, hl7_idle_timeout, absl::Minutes(5), "hl7: close a connection idle this long.");
ABSL_FLAG(int32_t, hl7_max_connections, 64, "hl7: connections served at once; more are refused and counted.");
ABSL_FLAG(std::string, buffer_dir, "",
          "Directory of the durable buffer (a small RocksDB). Default: a temporary directory removed at exit (not "
          "durable across restarts; development only).");
ABSL_FLAG(int64_t, buffer_max, 1'000'000, "Most observations buffered; when full the oldest are dropped and counted.");
ABSL_FLAG(absl::Duration, deadline, absl::ZeroDuration(),
          "Give up when reports are still undelivered this long after start: exit 1 saying how many. 0 = none, "
          "except with --once, where 0 means 60s.");
ABSL_FLAG(std::string, metrics_listen, "", "Serve Prometheus metrics on this host:port (empty = off).");
ABSL_FLAG(double, sim_faults, 0.0,
          "sim: share of pumps that misbehave, in [0, 1], one fault each, by pump index (agents/README.md).");
ABSL_FLAG(double, sim_worn_batteries, 0.0,
          "sim: share of pumps whose battery is worn out (55% health, 1400 cycles: BATTERY_DEGRADED under the example "
          "policy), in [0, 1], by pump index, independent of --sim_faults (agents/README.md).");
ABSL_FLAG(int64_t, sim_pumps, 100, "sim: number of simulated pumps.");
ABSL_FLAG(std::string, sim_prefix, "PT", "sim: asset tag prefix; pump i is <prefix>-<i as 5 digits>.");
ABSL_FLAG(uint64_t, sim_seed, pumptrack::agents::sim::kDefaultSeed, "sim: seed of the simulated fleet and its moves.");
ABSL_FLAG(double, sim_exit_rate, 0.0,
          "sim: chance per pump and round of being carried to the loading-dock exit zone (0 = never).");
ABSL_FLAG(absl::Duration, interval, absl::Seconds(30), "Time between rounds.");
ABSL_FLAG(int64_t, rounds, 0, "Rounds to send; 0 = until stopped (with --once: default 1).");
ABSL_FLAG(bool, once, false,
          "Observe --rounds rounds (default 1), deliver everything buffered and exit 0; exit 1 when the --deadline "
          "passes first or the service refuses the agent.");
ABSL_FLAG(int32_t, batch_size, pumptrack::agents::kDefaultBatchSize, "Observations per ReportBatch, 1-1000.");
ABSL_FLAG(int32_t, batches_in_flight, pumptrack::agents::kDefaultBatchesInFlight,
          "ReportBatches sent but not yet acknowledged, at least 1. The default window (200 x 3) was measured to keep "
          "throughput while queries stay fast (docs/FLOW_CONTROL.md); the service reads at most "
          "--max_stream_inflight_observations of a stream ahead anyway.");
ABSL_FLAG(absl::Duration, round_timeout, absl::Seconds(60),
          "Deadline of each ReportStream call (one chunk of the buffer, up to 50,000 observations).");

namespace {

namespace agents = pumptrack::agents;

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

bool IsAgentIdChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
         c == ':' || c == '-';
}

// The host name with characters an agent id may not hold replaced by '-', at most 64 characters.
std::string AgentIdFromHostname() {
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0') return "pumptrack-agent";
  std::string id(host);
  if (id.size() > 64) id.resize(64);
  for (char& c : id) {
    if (!IsAgentIdChar(c)) c = '-';
  }
  return id;
}

absl::StatusOr<std::string> ReadPemFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrFormat("cannot read %s", path));
  std::string contents((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (contents.find("-----BEGIN ") == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrFormat("%s is not a PEM file", path));
  }
  return contents;
}

struct Config {
  std::string server;
  bool insecure = false;
  // PEM contents, not paths (TLS only).
  std::string tls_ca;
  std::string tls_cert;
  std::string tls_key;
  std::string adapter;
  agents::sim::SimOptions sim;
  agents::spool::SpoolOptions spool;
  agents::hl7::MllpOptions hl7;
  pumptrack::hl7::MappingTable hl7_mapping;
  agents::BufferOptions buffer;
  bool temporary_buffer = false;
  std::string metrics_listen;
  agents::UplinkOptions uplink;
  agents::AgentOptions agent;
};

// Reads and checks the flags. INVALID_ARGUMENT names the bad flag.
absl::StatusOr<Config> ConfigFromFlags(absl::Time start) {
  Config config;
  config.server = absl::GetFlag(FLAGS_server);
  config.insecure = absl::GetFlag(FLAGS_insecure);
  if (config.server.empty()) return absl::InvalidArgumentError("--server must not be empty");

  config.adapter = absl::GetFlag(FLAGS_adapter);
  if (config.adapter != "sim" && config.adapter != "spool" && config.adapter != "hl7") {
    return absl::InvalidArgumentError(
        absl::StrFormat("unknown --adapter \"%s\" (available: sim, spool, hl7)", config.adapter));
  }
  if (config.adapter == "hl7") {
    config.hl7.listen = absl::GetFlag(FLAGS_hl7_listen);
    absl::StatusOr<std::vector<agents::hl7::Cidr>> allow = agents::hl7::ParseCidrList(absl::GetFlag(FLAGS_hl7_allow));
    if (!allow.ok()) return absl::InvalidArgumentError(absl::StrCat("--hl7_allow: ", allow.status().message()));
    if (allow->empty()) return absl::InvalidArgumentError("--hl7_allow must allow at least one source");
    config.hl7.allow = *std::move(allow);
    if (absl::GetFlag(FLAGS_hl7_max_message_bytes) < 64) {
      return absl::InvalidArgumentError("--hl7_max_message_bytes must be at least 64");
    }
    config.hl7.max_message_bytes = static_cast<size_t>(absl::GetFlag(FLAGS_hl7_max_message_bytes));
    config.hl7.idle_timeout = absl::GetFlag(FLAGS_hl7_idle_timeout);
    if (config.hl7.idle_timeout <= absl::ZeroDuration()) {
      return absl::InvalidArgumentError("--hl7_idle_timeout must be positive");
    }
    config.hl7.max_connections = absl::GetFlag(FLAGS_hl7_max_connections);
    if (config.hl7.max_connections < 1) return absl::InvalidArgumentError("--hl7_max_connections must be >= 1");
    std::string text(agents::hl7::DefaultMappingText());
    const std::string path = absl::GetFlag(FLAGS_hl7_mapping);
    if (!path.empty()) {
      std::ifstream in(path);
      if (!in) return absl::InvalidArgumentError(absl::StrFormat("--hl7_mapping: cannot read %s", path));
      text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    absl::StatusOr<pumptrack::hl7::MappingTable> table = agents::hl7::ParseMappingTable(text);
    if (!table.ok()) return absl::InvalidArgumentError(absl::StrCat("--hl7_mapping: ", table.status().message()));
    config.hl7_mapping = *std::move(table);
  }
  config.sim.pumps = absl::GetFlag(FLAGS_sim_pumps);
  config.sim.prefix = absl::GetFlag(FLAGS_sim_prefix);
  config.sim.seed = absl::GetFlag(FLAGS_sim_seed);
  config.sim.exit_zone_probability = absl::GetFlag(FLAGS_sim_exit_rate);
  config.sim.fault_fraction = absl::GetFlag(FLAGS_sim_faults);
  config.sim.worn_battery_fraction = absl::GetFlag(FLAGS_sim_worn_batteries);
  config.sim.epoch = start;
  config.spool.dir = absl::GetFlag(FLAGS_spool_dir);
  if (config.adapter == "spool" && config.spool.dir.empty()) {
    return absl::InvalidArgumentError("--adapter=spool needs --spool_dir");
  }

  config.buffer.dir = absl::GetFlag(FLAGS_buffer_dir);
  config.buffer.max_entries = absl::GetFlag(FLAGS_buffer_max);
  if (config.buffer.max_entries < 1) return absl::InvalidArgumentError("--buffer_max must be at least 1");
  config.buffer.sequence_base = agents::Sequencer::BaseForStart(start);
  config.metrics_listen = absl::GetFlag(FLAGS_metrics_listen);

  if (!config.insecure) {
    for (const auto& [flag, path, pem] : {std::tuple{"--tls_ca", absl::GetFlag(FLAGS_tls_ca), &config.tls_ca},
                                          std::tuple{"--tls_cert", absl::GetFlag(FLAGS_tls_cert), &config.tls_cert},
                                          std::tuple{"--tls_key", absl::GetFlag(FLAGS_tls_key), &config.tls_key}}) {
      if (path.empty()) {
        return absl::InvalidArgumentError(
            absl::StrFormat("%s is required for mutual TLS (or pass --insecure for development only)", flag));
      }
      absl::StatusOr<std::string> contents = ReadPemFile(path);
      if (!contents.ok())
        return absl::InvalidArgumentError(absl::StrFormat("%s: %s", flag, contents.status().message()));
      *pem = *std::move(contents);
    }
  }

  // With mutual TLS the service takes the identity from the certificate, so the agent need not name itself.
  config.uplink.agent_id = absl::GetFlag(FLAGS_agent_id);
  if (config.uplink.agent_id.empty() && config.insecure) config.uplink.agent_id = AgentIdFromHostname();
  if (!config.uplink.agent_id.empty() && !pumptrack::ids::IsValidAgentId(config.uplink.agent_id)) {
    return absl::InvalidArgumentError(absl::StrCat("--agent_id ", pumptrack::ids::kAgentIdRule));
  }
  config.uplink.agent_version = PUMPTRACK_VERSION;
  config.uplink.batch_size = absl::GetFlag(FLAGS_batch_size);
  if (config.uplink.batch_size < 1 || config.uplink.batch_size > agents::kMaxBatchSize) {
    return absl::InvalidArgumentError(absl::StrFormat("--batch_size must be 1-%d", agents::kMaxBatchSize));
  }
  config.uplink.max_batches_in_flight = absl::GetFlag(FLAGS_batches_in_flight);
  if (config.uplink.max_batches_in_flight < 1) return absl::InvalidArgumentError("--batches_in_flight must be >= 1");
  config.uplink.round_timeout = absl::GetFlag(FLAGS_round_timeout);
  if (config.uplink.round_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--round_timeout must be positive");
  }

  config.agent.interval = absl::GetFlag(FLAGS_interval);
  if (config.agent.interval <= absl::ZeroDuration()) return absl::InvalidArgumentError("--interval must be positive");
  config.agent.rounds = absl::GetFlag(FLAGS_rounds);
  if (config.agent.rounds < 0) return absl::InvalidArgumentError("--rounds must be 0 or more");
  const bool once = absl::GetFlag(FLAGS_once);
  config.agent.fail_fast = once;
  if (once && config.agent.rounds == 0) config.agent.rounds = 1;
  const absl::Duration deadline = absl::GetFlag(FLAGS_deadline);
  if (deadline < absl::ZeroDuration()) return absl::InvalidArgumentError("--deadline must not be negative");
  if (deadline > absl::ZeroDuration()) {
    config.agent.deadline = deadline;
  } else if (once) {
    config.agent.deadline = absl::Seconds(60);
  }
  // No single call may outlive the run's deadline.
  config.uplink.round_timeout = std::min(config.uplink.round_timeout, config.agent.deadline);
  // The agent retries failed streams itself (counted, logged at a bounded rate, jittered backoff).
  config.uplink.max_failed_streams = 1;
  return config;
}

std::shared_ptr<grpc::Channel> MakeChannel(const Config& config) {
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  if (!config.insecure) {
    grpc::SslCredentialsOptions tls;
    tls.pem_root_certs = config.tls_ca;
    tls.pem_cert_chain = config.tls_cert;
    tls.pem_private_key = config.tls_key;
    credentials = grpc::SslCredentials(tls);
  }
  grpc::ChannelArguments arguments;
  // Keep idle streams alive through NATs and notice dead links; the service accepts one ping per 10 s.
  arguments.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 30'000);
  arguments.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10'000);
  arguments.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  // Reconnect to a service that was down within seconds; the agent's own backoff paces the retries above this.
  // (GRPC_ARG_MIN_RECONNECT_BACKOFF_MS keeps its default: it is also the connect timeout, TLS handshake included.)
  arguments.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 1'000);
  arguments.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 5'000);
  return grpc::CreateCustomChannel(config.server, credentials, arguments);
}

sigset_t StopSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  return signals;
}

// Calls agent.RequestStop() on SIGINT or SIGTERM, from a thread of its own, until destroyed. The signals must already
// be blocked in every thread (BlockStopSignals before any thread starts) so that only this watcher receives them.
class StopSignalWatcher {
 public:
  explicit StopSignalWatcher(agents::Agent& agent) : thread_([this, &agent] { Watch(agent); }) {}
  ~StopSignalWatcher() {
    done_ = true;
    thread_.join();
  }

 private:
  void Watch(agents::Agent& agent) {
    const sigset_t signals = StopSignals();
    const timespec poll = {0, 200'000'000};
    while (!done_) {
      const int signal = sigtimedwait(&signals, nullptr, &poll);
      if (signal > 0) {
        spdlog::info("received {}; stopping", strsignal(signal));
        agent.RequestStop();
        return;
      }
    }
  }

  std::atomic<bool> done_{false};
  std::thread thread_;
};

// A directory made with mkdtemp and removed, with its contents, on destruction.
class TemporaryDirectory {
 public:
  TemporaryDirectory() = default;
  TemporaryDirectory(const TemporaryDirectory&) = delete;
  TemporaryDirectory& operator=(const TemporaryDirectory&) = delete;
  ~TemporaryDirectory() {
    if (path_.empty()) return;
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }

  absl::StatusOr<std::string> Create() {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/pumptrack-agent.XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) {
      return absl::UnavailableError(
          absl::StrFormat("cannot create a temporary buffer directory: %s", std::strerror(errno)));
    }
    path_ = pattern;
    return path_;
  }

 private:
  std::string path_;
};

void BlockStopSignals() {
  const sigset_t signals = StopSignals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
}

// Abseil's --help lists only the flags of a file named like the program. Every flag of this program is defined in
// this file, so --help and --helpshort list these and none of gRPC's or Abseil's (--helpfull shows everything).
bool IsOwnFlagFile(absl::string_view file) {
  return file == "agents/main.cc" || absl::EndsWith(file, "/agents/main.cc");
}

}  // namespace

int main(int argc, char** argv) {
  BlockStopSignals();  // before gRPC or anything else starts a thread
  absl::SetProgramUsageMessage(
      "Reports infusion pump observations to the pumptrack service.\n"
      "Usage: pumptrack-agent --server=HOST:PORT --tls_ca=PEM --tls_cert=PEM --tls_key=PEM [--adapter=sim] [flags]\n   "
      "or: pumptrack-agent --server=HOST:PORT --insecure --agent_id=ID ... (development only)");
  absl::FlagsUsageConfig usage_config;
  usage_config.contains_help_flags = IsOwnFlagFile;
  usage_config.contains_helpshort_flags = IsOwnFlagFile;
  absl::SetFlagsUsageConfig(usage_config);
  std::vector<char*> positional = absl::ParseCommandLine(argc, argv);
  if (positional.size() > 1) {
    std::fprintf(stderr, "pumptrack-agent: unexpected argument \"%s\"\n", positional[1]);
    return kExitUsage;
  }
  spdlog::set_default_logger(spdlog::stderr_color_mt("pumptrack-agent"));

  const absl::Time start = absl::Now();
  absl::StatusOr<Config> config = ConfigFromFlags(start);
  if (!config.ok()) {
    std::fprintf(stderr, "pumptrack-agent: %s\n", std::string(config.status().message()).c_str());
    return kExitUsage;
  }
  std::unique_ptr<agents::ObservationSource> source;
  std::string fleet;
  if (config->adapter == "hl7") {
    fleet = absl::StrFormat("HL7 messages on %s", config->hl7.listen);
    source = std::make_unique<agents::hl7::Hl7Source>();
  } else if (config->adapter == "spool") {
    absl::StatusOr<std::unique_ptr<agents::spool::SpoolSource>> spool =
        agents::spool::SpoolSource::Create(config->spool);
    if (!spool.ok()) {
      std::fprintf(stderr, "pumptrack-agent: %s\n", std::string(spool.status().message()).c_str());
      return kExitUsage;
    }
    fleet = absl::StrFormat("files in %s", config->spool.dir);
    source = *std::move(spool);
  } else {
    absl::StatusOr<std::unique_ptr<agents::sim::SimSource>> sim = agents::sim::SimSource::Create(config->sim);
    if (!sim.ok()) {
      std::fprintf(stderr, "pumptrack-agent: %s\n", std::string(sim.status().message()).c_str());
      return kExitUsage;
    }
    fleet = absl::StrFormat("%d simulated pumps (faults %g)", (*sim)->pump_count(), config->sim.fault_fraction);
    source = *std::move(sim);
  }

  TemporaryDirectory temporary;
  if (config->buffer.dir.empty()) {
    absl::StatusOr<std::string> dir = temporary.Create();
    if (!dir.ok()) {
      std::fprintf(stderr, "pumptrack-agent: %s\n", std::string(dir.status().message()).c_str());
      return kExitFailure;
    }
    config->buffer.dir = *dir;
    spdlog::warn("no --buffer_dir: buffering in {}, removed at exit (reports undelivered then are lost)", *dir);
  }
  absl::StatusOr<std::unique_ptr<agents::Buffer>> buffer = agents::Buffer::Open(config->buffer);
  if (!buffer.ok()) {
    std::fprintf(stderr, "pumptrack-agent: %s\n", std::string(buffer.status().message()).c_str());
    return kExitFailure;
  }

  absl::StatusOr<std::unique_ptr<agents::Uplink>> uplink =
      agents::Uplink::Create(pumptrack::v1::AgentService::NewStub(MakeChannel(*config)), config->uplink);
  if (!uplink.ok()) {
    std::fprintf(stderr, "pumptrack-agent: %s\n", std::string(uplink.status().message()).c_str());
    return kExitUsage;
  }

  agents::AgentMetrics metrics;
  std::unique_ptr<prometheus::Exposer> exposer;
  if (!config->metrics_listen.empty()) {
    // prometheus-cpp reports bind failures by throwing; keep that inside start-up.
    try {
      exposer = std::make_unique<prometheus::Exposer>(config->metrics_listen, /*num_threads=*/1);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "pumptrack-agent: cannot serve metrics on %s: %s\n", config->metrics_listen.c_str(),
                   e.what());
      return kExitFailure;
    }
    exposer->RegisterCollectable(metrics.registry());
    const std::vector<int> ports = exposer->GetListeningPorts();
    spdlog::info("metrics on port {}", ports.empty() ? 0 : ports.front());
  }

  spdlog::info(
      "pumptrack-agent {} as {}: {} from the {} adapter to {} ({}), every {}; buffer {} ({} reports "
      "waiting, at most {}; new devices are numbered from {})",
      PUMPTRACK_VERSION,
      config->uplink.agent_id.empty() ? std::string("<certificate subject>") : config->uplink.agent_id, fleet,
      source->name(), config->server, config->insecure ? "plaintext" : "TLS",
      absl::FormatDuration(config->agent.interval), config->buffer.dir, (*buffer)->size(), config->buffer.max_entries,
      config->buffer.sequence_base);
  agents::Buffer& buffer_for_hl7 = **buffer;  // owned by the agent, which outlives the listener below
  agents::Agent agent(std::move(source), *std::move(buffer), *std::move(uplink), config->agent, metrics);
  // Declared after the agent so that it stops (and no longer writes to the buffer) before the agent is destroyed.
  std::unique_ptr<agents::hl7::Mapper> hl7_mapper;
  std::unique_ptr<agents::hl7::MllpServer> hl7_server;
  if (config->adapter == "hl7") {
    hl7_mapper = std::make_unique<agents::hl7::Mapper>(config->hl7_mapping);
    absl::StatusOr<std::unique_ptr<agents::hl7::MllpServer>> server =
        agents::hl7::MllpServer::Start(config->hl7, *hl7_mapper, buffer_for_hl7, metrics.registry().get());
    if (!server.ok()) {
      std::fprintf(stderr, "pumptrack-agent: %s\n", std::string(server.status().message()).c_str());
      return kExitFailure;
    }
    hl7_server = *std::move(server);
    spdlog::info("hl7: MLLP on port {} (no TLS: keep it on loopback or the device VLAN)", hl7_server->port());
  }
  absl::Status status;
  {
    StopSignalWatcher watcher(agent);
    status = agent.Run();
  }

  const bool stopped_by_signal = status.code() == absl::StatusCode::kCancelled && !config->agent.fail_fast;
  if (status.ok() || stopped_by_signal) {
    spdlog::info("stopped");
    return 0;
  }
  std::fprintf(stderr, "pumptrack-agent: %s\n", status.ToString().c_str());
  return kExitFailure;
}
