// A small, real AgentService for agent tests: a sync gRPC service on 127.0.0.1:<ephemeral port> that stores
// observations by (asset tag, sequence) like the real service and answers every batch, with switches for the failure
// modes the uplink must survive.
#ifndef PUMPTRACK_TESTS_AGENTS_FAKE_AGENT_SERVICE_H_
#define PUMPTRACK_TESTS_AGENTS_FAKE_AGENT_SERVICE_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "agents/uplink.h"
#include "pumptrack/v1/agent_service.grpc.pb.h"

namespace pumptrack::agents::testing {

class FakeAgentService final : public pumptrack::v1::AgentService::Service {
 public:
  using Key = std::pair<std::string, uint64_t>;  // (asset tag, sequence)

  // Failure switches; all off by default. Set them before the uplink connects.
  struct Behaviour {
    // Answer this many of the first batches received (over all streams) with `not_taken` and store nothing.
    int not_taken_batches = 0;
    pumptrack::v1::BatchStatus not_taken = pumptrack::v1::BATCH_STATUS_OVERLOADED;
    // End the first stream with `break_status` after acknowledging this many batches (-1: never).
    int break_first_stream_after = -1;
    grpc::Status break_status = grpc::Status(grpc::StatusCode::UNAVAILABLE, "storage hiccup");
    // End every stream at once with this status.
    std::optional<grpc::Status> fail_every_stream;
    // Read every batch but never answer.
    bool never_ack = false;
    // Collect this many batches before answering any of them (the stream's half-close also releases them).
    int hold_until_batches = 1;
    // Answer the first batch with this batch_id instead of its own (protocol violation).
    std::optional<uint64_t> wrong_batch_id;
    // Drop the last result of the first batch (protocol violation).
    bool short_results = false;
    // Observations whose asset tag ends with this suffix are REJECTED (empty: none).
    std::string reject_tag_suffix;
  };

  FakeAgentService() : FakeAgentService(Behaviour()) {}
  explicit FakeAgentService(Behaviour behaviour) : behaviour_(std::move(behaviour)) {}

  grpc::Status ReportStream(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<pumptrack::v1::ReportBatchAck, pumptrack::v1::ReportBatch>* stream) override {
    int stream_index;
    {
      absl::MutexLock lock(&mu_);
      stream_index = streams_++;
      batch_ids_per_stream_.emplace_back();
    }
    if (behaviour_.fail_every_stream) return *behaviour_.fail_every_stream;

    std::vector<pumptrack::v1::ReportBatch> held;
    pumptrack::v1::ReportBatch batch;
    int acked = 0;
    bool more = true;
    while (more) {
      more = stream->Read(&batch);
      if (behaviour_.never_ack) {
        if (more) Record(stream_index, batch);
        continue;
      }
      if (more) {
        Record(stream_index, batch);
        held.push_back(batch);
        if (static_cast<int>(held.size()) < behaviour_.hold_until_batches) continue;
      }
      for (const pumptrack::v1::ReportBatch& waiting : held) {
        if (stream_index == 0 && acked == behaviour_.break_first_stream_after) return behaviour_.break_status;
        if (!stream->Write(Answer(waiting))) return grpc::Status(grpc::StatusCode::CANCELLED, "client went away");
        ++acked;
      }
      held.clear();
    }
    return grpc::Status::OK;
  }

  // Every (asset tag, sequence) stored, with how many times it arrived in a processed batch: 1 when it was delivered
  // exactly once, more when it was sent again after being stored (answered DUPLICATE).
  std::map<Key, int> stored() {
    absl::MutexLock lock(&mu_);
    return stored_;
  }
  // Every observation received, including ones answered OVERLOADED and duplicates.
  size_t observations_received() {
    absl::MutexLock lock(&mu_);
    return observations_received_;
  }
  // Batch ids in arrival order, one list per stream.
  std::vector<std::vector<uint64_t>> batch_ids_per_stream() {
    absl::MutexLock lock(&mu_);
    return batch_ids_per_stream_;
  }
  // AgentInfo of each batch that carried one, as (batch_id, agent).
  std::vector<std::pair<uint64_t, pumptrack::v1::AgentInfo>> agents_seen() {
    absl::MutexLock lock(&mu_);
    return agents_seen_;
  }
  int streams() {
    absl::MutexLock lock(&mu_);
    return streams_;
  }

 private:
  void Record(int stream_index, const pumptrack::v1::ReportBatch& batch) {
    absl::MutexLock lock(&mu_);
    batch_ids_per_stream_[stream_index].push_back(batch.batch_id());
    observations_received_ += batch.observations_size();
    if (batch.has_agent()) agents_seen_.emplace_back(batch.batch_id(), batch.agent());
  }

  pumptrack::v1::ReportBatchAck Answer(const pumptrack::v1::ReportBatch& batch) {
    absl::MutexLock lock(&mu_);
    pumptrack::v1::ReportBatchAck ack;
    ack.set_batch_id(batch.batch_id());
    if (batches_answered_++ == 0 && behaviour_.wrong_batch_id) ack.set_batch_id(*behaviour_.wrong_batch_id);
    if (not_taken_answered_ < behaviour_.not_taken_batches) {
      ++not_taken_answered_;
      ack.set_status(behaviour_.not_taken);
      ack.set_message("try again later");
      return ack;
    }
    ack.set_status(pumptrack::v1::BATCH_STATUS_PROCESSED);
    for (const pumptrack::v1::Observation& observation : batch.observations()) {
      *ack.add_results() = Store(observation);
    }
    if (behaviour_.short_results && !short_results_done_) {
      short_results_done_ = true;
      ack.mutable_results()->RemoveLast();
    }
    return ack;
  }

  pumptrack::v1::ObservationResult Store(const pumptrack::v1::Observation& observation)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    pumptrack::v1::ObservationResult result;
    const std::string& tag = observation.identity().asset_tag();
    const std::string& suffix = behaviour_.reject_tag_suffix;
    if (!suffix.empty() && tag.size() >= suffix.size() &&
        tag.compare(tag.size() - suffix.size(), suffix.size(), suffix) == 0) {
      result.set_result(pumptrack::v1::REPORT_RESULT_REJECTED);
      result.set_field("observation.identity.asset_tag");
      result.set_reason("The asset tag is not allowed in this test.");
      return result;
    }
    int& times = stored_[{tag, observation.sequence()}];
    result.set_result(times == 0 ? pumptrack::v1::REPORT_RESULT_ACCEPTED : pumptrack::v1::REPORT_RESULT_DUPLICATE);
    ++times;
    return result;
  }

  const Behaviour behaviour_;
  absl::Mutex mu_;
  std::map<Key, int> stored_ ABSL_GUARDED_BY(mu_);
  size_t observations_received_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::vector<uint64_t>> batch_ids_per_stream_ ABSL_GUARDED_BY(mu_);
  std::vector<std::pair<uint64_t, pumptrack::v1::AgentInfo>> agents_seen_ ABSL_GUARDED_BY(mu_);
  int streams_ ABSL_GUARDED_BY(mu_) = 0;
  int batches_answered_ ABSL_GUARDED_BY(mu_) = 0;
  int not_taken_answered_ ABSL_GUARDED_BY(mu_) = 0;
  bool short_results_done_ ABSL_GUARDED_BY(mu_) = false;
};

// Runs a service on 127.0.0.1 with an ephemeral port until destroyed.
// Uplink options for tests: batches of 100, 20 s per stream, backoffs of 20-200 ms.
inline UplinkOptions FastUplinkOptions() {
  UplinkOptions options;
  options.agent_id = "gw-test-01";
  options.agent_version = "0.1.0-test";
  options.batch_size = 100;
  options.round_timeout = absl::Seconds(20);
  options.initial_backoff = absl::Milliseconds(20);
  options.max_backoff = absl::Milliseconds(200);
  return options;
}

class TestServer {
 public:
  explicit TestServer(grpc::Service* service) {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(service);
    server_ = builder.BuildAndStart();
  }
  ~TestServer() { Stop(); }

  // Stops accepting calls and cancels the ones still running.
  void Stop() {
    if (server_ == nullptr) return;
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(200));
    server_->Wait();
    server_.reset();
  }

  bool started() const { return server_ != nullptr && port_ > 0; }
  int port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

  std::unique_ptr<pumptrack::v1::AgentService::StubInterface> NewStub() const {
    return pumptrack::v1::AgentService::NewStub(grpc::CreateChannel(address(), grpc::InsecureChannelCredentials()));
  }

 private:
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
};

}  // namespace pumptrack::agents::testing

#endif  // PUMPTRACK_TESTS_AGENTS_FAKE_AGENT_SERVICE_H_
