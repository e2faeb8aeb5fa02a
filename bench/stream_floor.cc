// pumptrack-stream-floor: this machine's gRPC floor for ingest. A bare AgentService.ReportStream server built from the
// same gRPC and protobuf libraries as pumptrackd: it parses each ReportBatch and acknowledges every observation as
// ACCEPTED at once, with no authentication, validation or storage. pumptrack-load drives it exactly as it drives
// pumptrackd (same batches, streams and window), so the two runs' reports/s compare pumptrack with what the transport
// alone allows. See bench/run-floors.
#include <pthread.h>

#include <csignal>
#include <cstdio>
#include <deque>
#include <fstream>
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/grpcpp.h"
#include "pumptrack/v1/agent_service.grpc.pb.h"
#include "service/wire.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:0", "Address to serve on.");
ABSL_FLAG(std::string, port_file, "", "Written with the bound port once serving.");

namespace pumptrack::bench {
namespace {

// Acknowledges each batch as it arrives; one write in flight at a time, the rest queued in order.
class FloorReactor : public grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  FloorReactor() { StartRead(&incoming_); }

  void OnReadDone(bool ok) override {
    if (!ok) {
      absl::MutexLock lock(&mu_);
      reads_done_ = true;
      MaybeFinishLocked();
      return;
    }
    v1::ReportBatch batch;
    if (!service::ParseMessage(incoming_, batch).ok()) {
      Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "not a ReportBatch"));
      return;
    }
    v1::ReportBatchAck ack;
    ack.set_batch_id(batch.batch_id());
    ack.set_status(v1::BATCH_STATUS_PROCESSED);
    for (int i = 0; i < batch.observations_size(); ++i) ack.add_results()->set_result(v1::REPORT_RESULT_ACCEPTED);
    {
      absl::MutexLock lock(&mu_);
      pending_.push_back(*service::SerializeMessage(ack));  // a small ack always serialises
      if (!writing_) WriteNextLocked();
    }
    StartRead(&incoming_);
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    pending_.pop_front();
    if (!ok) pending_.clear();
    if (!pending_.empty()) {
      WriteNextLocked();
    } else {
      MaybeFinishLocked();
    }
  }

  void OnDone() override { delete this; }

 private:
  void WriteNextLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    writing_ = true;
    StartWrite(&pending_.front());
  }
  void MaybeFinishLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (reads_done_ && !writing_ && !finished_) {
      finished_ = true;
      Finish(grpc::Status::OK);
    }
  }

  grpc::ByteBuffer incoming_;
  absl::Mutex mu_;
  std::deque<grpc::ByteBuffer> pending_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool reads_done_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

class FloorService final : public v1::AgentService::WithRawCallbackMethod_ReportStream<v1::AgentService::Service> {
 public:
  grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* ReportStream(
      grpc::CallbackServerContext* /*context*/) override {
    return new FloorReactor();
  }
};

}  // namespace
}  // namespace pumptrack::bench

int main(int argc, char** argv) {
  using namespace pumptrack::bench;
  absl::ParseCommandLine(argc, argv);
  // SIGTERM and SIGINT are taken with sigwait below; blocked before gRPC starts its threads, which inherit the mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  FloorService service;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(absl::GetFlag(FLAGS_listen), grpc::InsecureServerCredentials(), &port);
  builder.SetMaxReceiveMessageSize(16 << 20);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    std::fprintf(stderr, "pumptrack-stream-floor: cannot listen on %s\n", absl::GetFlag(FLAGS_listen).c_str());
    return 1;
  }
  if (!absl::GetFlag(FLAGS_port_file).empty()) {
    std::ofstream(absl::GetFlag(FLAGS_port_file)) << port << "\n";
  }
  std::fprintf(stderr, "pumptrack-stream-floor: serving on port %d\n", port);
  int signal = 0;
  sigwait(&stop_signals, &signal);
  server->Shutdown();
  return 0;
}
