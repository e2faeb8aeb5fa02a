#ifndef PUMPTRACK_BENCH_LOAD_WORKERS_H_
#define PUMPTRACK_BENCH_LOAD_WORKERS_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/random/random.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "bench/load_stats.h"
#include "bench/pump_fleet.h"
#include "grpcpp/grpcpp.h"
#include "pumptrack/v1/agent_service.grpc.pb.h"
#include "pumptrack/v1/inventory_service.grpc.pb.h"

namespace pumptrack::bench {

struct LoadConfig {
  std::string target;  // 127.0.0.1:PORT
  int devices = 10'000;
  int streams = 4;  // report workers: one stream each, or one unary caller each with --unary
  int batch = 500;
  int inflight = 8;  // batches (or unary calls) outstanding per worker
  absl::Duration warmup = absl::Seconds(3);
  absl::Duration duration = absl::Seconds(20);
  // After the window: how long outstanding acknowledgements may take before calls are cancelled.
  absl::Duration drain_timeout = absl::Seconds(30);
  double query_rate = 200;  // GetDevice calls per second; 0 disables
  // Every other query is InventoryService.Locate instead of GetDevice (latencies kept apart).
  bool query_locate = false;
  // Reports per second over all streams, paced batch by batch (0: as fast as the window allows).
  double rate = 0;
  absl::Duration query_timeout = absl::Seconds(1);
  bool unary = false;
  // Bearer token for the GetDevice queries (role viewer or above); the reporting agents load-gw-0... must be
  // enrolled (bench/run-foundation does both).
  std::string token;
};

// A channel with a TCP connection of its own, as separate agents would have.
std::shared_ptr<grpc::Channel> OpenChannel(const std::string& target);

// The pumps worker `worker` of `workers` drives: every workers-th one, so that each pump has exactly one agent.
std::vector<int> PumpsOfWorker(int worker, int workers, int devices);

// Shared by every worker of a run.
struct LoadContext {
  const LoadConfig* config;
  const MeasurementWindow* window;
  PumpFleet* fleet;
  DurableSequences* durable;
};

// One gateway agent on one AgentService.ReportStream: a writer sends batches (at most `inflight` unacknowledged)
// until the window ends, then half-closes; a reader thread matches each acknowledgement to its batch.
class StreamWorker {
 public:
  StreamWorker(int index, const LoadContext& context);

  // Blocks until the stream has ended: by the end of the window plus at most the drain timeout.
  void Run();
  const ReportStats& stats() const { return stats_; }

 private:
  using Stream = grpc::ClientReaderWriterInterface<v1::ReportBatch, v1::ReportBatchAck>;

  struct SentBatch {
    std::uint64_t batch_id = 0;
    absl::Time sent_at;
    std::vector<std::pair<int, std::uint64_t>> reports;  // (pump, sequence) in batch order
  };

  void WriteBatches(Stream& stream);
  void ReadAcks(Stream& stream);
  // Waits until another batch may be sent; false once the window is over or the stream has ended.
  bool WaitForSlot();
  bool HasSlotLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void FillBatch(std::uint64_t batch_id, v1::ReportBatch& batch, SentBatch& sent);
  void RecordAck(const SentBatch& sent, const v1::ReportBatchAck& ack, absl::Time received);

  const int index_;
  const LoadContext context_;
  const std::vector<int> pumps_;
  std::size_t next_pump_ = 0;
  absl::InsecureBitGen random_;
  std::unique_ptr<v1::AgentService::Stub> stub_;

  absl::Mutex mu_;
  std::deque<SentBatch> in_flight_ ABSL_GUARDED_BY(mu_);
  bool reads_done_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time backoff_until_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();  // after an OVERLOADED acknowledgement

  std::uint64_t sent_observations_ = 0;  // writer only
  ReportStats stats_;                    // reader only until Run returns
};

// Unary AgentService.Report callers sharing one channel: up to `inflight` calls outstanding, each one observation.
class UnaryWorker {
 public:
  UnaryWorker(int index, const LoadContext& context);

  // Blocks until every call has completed (each call's deadline is the end of the window plus the drain timeout).
  void Run();
  const ReportStats& stats() const { return stats_; }

 private:
  struct Call;

  bool WaitForSlot();
  bool HasSlotLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool NoneOutstandingLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Send();
  void OnDone(std::unique_ptr<Call> call, const grpc::Status& status);

  const int index_;
  const LoadContext context_;
  const std::vector<int> pumps_;
  std::size_t next_pump_ = 0;
  absl::InsecureBitGen random_;
  v1::AgentInfo agent_;
  std::unique_ptr<v1::AgentService::Stub> stub_;

  absl::Mutex mu_;
  int outstanding_ ABSL_GUARDED_BY(mu_) = 0;
  ReportStats stats_ ABSL_GUARDED_BY(mu_);
};

// Asks InventoryService.GetDevice about random pumps already acknowledged as durable, at a fixed rate, until the
// window ends, and checks that each answer is at least as new as the acknowledgement.
class QueryWorker {
 public:
  explicit QueryWorker(const LoadContext& context);

  void Run();
  const QueryStats& stats() const { return stats_; }

 private:
  // A random pump with an accepted report, or -1 if none was found quickly.
  int PickReportedPump();
  void QueryOnce(bool locate);

  const LoadContext context_;
  absl::InsecureBitGen random_;
  std::unique_ptr<v1::InventoryService::Stub> stub_;
  QueryStats stats_;
};

}  // namespace pumptrack::bench

#endif  // PUMPTRACK_BENCH_LOAD_WORKERS_H_
