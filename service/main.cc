// pumptrackd: the pumptrack service.
#include <csignal>
#include <cstdio>
#include <fstream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "service/server.h"
#include "spdlog/spdlog.h"

ABSL_FLAG(std::string, data_dir, "", "RocksDB data directory (created if missing). Required.");
ABSL_FLAG(std::string, grpc_listen, "127.0.0.1:50051", "host:port for gRPC (agents and people); port 0 picks one.");
ABSL_FLAG(std::string, metrics_listen, "127.0.0.1:9464",
          "host:port for Prometheus /metrics; port 0 picks one; empty disables.");
ABSL_FLAG(bool, insecure, false, "Serve plaintext gRPC. For local development and tests only.");
ABSL_FLAG(std::string, ready_file, "",
          "When serving, write {\"grpc\": \"host:port\", \"metrics\": \"host:port\"} with the real ports here.");
ABSL_FLAG(int64_t, ingest_queue, 100'000, "Observations that may wait for commit before reports are refused.");
ABSL_FLAG(int, query_threads, 2, "Threads serving inventory queries.");
ABSL_FLAG(int64_t, block_cache_mb, 64, "RocksDB block cache size in MiB.");
ABSL_FLAG(absl::Duration, history_retention, absl::Hours(24 * 400), "How long device history is kept.");
ABSL_FLAG(int, max_message_bytes, 4 << 20, "Largest gRPC message accepted.");
ABSL_FLAG(std::string, log_level, "info", "trace, debug, info, warn, error.");

namespace {

// The host part of a host:port listen address, for the ready file.
std::string HostOf(const std::string& listen) {
  const std::size_t colon = listen.rfind(':');
  return colon == std::string::npos ? listen : listen.substr(0, colon);
}

bool WriteReadyFile(const std::string& path, const std::string& grpc, const std::string& metrics) {
  const std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << "{\"grpc\": \"" << grpc << "\", \"metrics\": \"" << metrics << "\"}\n";
    if (!out.flush()) return false;
  }
  return std::rename(temporary.c_str(), path.c_str()) == 0;  // readers never see a half-written file
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("pumptrackd --data_dir=DIR [--grpc_listen=HOST:PORT] [--insecure] ...");
  absl::ParseCommandLine(argc, argv);
  spdlog::set_level(spdlog::level::from_str(absl::GetFlag(FLAGS_log_level)));

  // Signals are taken synchronously by sigwait below; block them before any thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  pumptrack::service::ServerOptions options;
  options.data_dir = absl::GetFlag(FLAGS_data_dir);
  options.grpc_listen = absl::GetFlag(FLAGS_grpc_listen);
  options.metrics_listen = absl::GetFlag(FLAGS_metrics_listen);
  options.insecure = absl::GetFlag(FLAGS_insecure);
  options.ingest_queue_capacity = static_cast<std::size_t>(absl::GetFlag(FLAGS_ingest_queue));
  options.query_threads = absl::GetFlag(FLAGS_query_threads);
  options.block_cache_bytes = static_cast<std::size_t>(absl::GetFlag(FLAGS_block_cache_mb)) << 20;
  options.history_retention = absl::GetFlag(FLAGS_history_retention);
  options.max_receive_message_bytes = absl::GetFlag(FLAGS_max_message_bytes);
  if (options.data_dir.empty()) {
    std::fprintf(stderr, "pumptrackd: --data_dir is required\n");
    return 2;
  }
  if (options.insecure) {
    spdlog::warn("*** --insecure: gRPC is PLAINTEXT. Reports and queries cross the network unencrypted. "
                 "Use only for local development and tests. ***");
  }

  absl::StatusOr<std::unique_ptr<pumptrack::service::Server>> server = pumptrack::service::Server::Start(options);
  if (!server.ok()) {
    std::fprintf(stderr, "pumptrackd: %s\n", std::string(server.status().message()).c_str());
    return 1;
  }

  const std::string ready_file = absl::GetFlag(FLAGS_ready_file);
  if (!ready_file.empty()) {
    const std::string grpc = absl::StrCat(HostOf(options.grpc_listen), ":", (*server)->grpc_port());
    const std::string metrics =
        options.metrics_listen.empty() ? "" : absl::StrCat(HostOf(options.metrics_listen), ":", (*server)->metrics_port());
    if (!WriteReadyFile(ready_file, grpc, metrics)) {
      std::fprintf(stderr, "pumptrackd: cannot write --ready_file %s\n", ready_file.c_str());
      return 1;
    }
  }

  int signal_number = 0;
  sigwait(&signals, &signal_number);
  spdlog::info("received {}, shutting down", signal_number == SIGTERM ? "SIGTERM" : "SIGINT");
  (*server)->Shutdown(absl::Seconds(5));
  return 0;
}
