#include "bench/load_workers.h"

#include <algorithm>
#include <thread>

#include "absl/strings/str_cat.h"

namespace pumptrack::bench {
namespace {

constexpr char kAgentVersion[] = "pumptrack-load/0.1";
// How long a stream waits before sending again after the service answered OVERLOADED, as an agent should.
constexpr absl::Duration kOverloadBackoff = absl::Milliseconds(50);

v1::AgentInfo AgentOf(int worker) {
  v1::AgentInfo agent;
  agent.set_agent_id(absl::StrCat("load-gw-", worker));
  agent.set_agent_version(kAgentVersion);
  return agent;
}

std::string Describe(const grpc::Status& status) {
  return absl::StrCat("code ", static_cast<int>(status.error_code()), ": ", status.error_message());
}

// Counts one observation's outcome and remembers accepted sequences as durable.
void CountResult(v1::ReportResult result, int pump, std::uint64_t sequence, DurableSequences& durable,
                 ReportCounts& counts) {
  switch (result) {
    case v1::REPORT_RESULT_ACCEPTED:
      durable.Advance(pump, sequence);
      ++counts.accepted;
      break;
    case v1::REPORT_RESULT_DUPLICATE:
      ++counts.duplicate;
      break;
    default:
      ++counts.rejected;
      break;
  }
}

}  // namespace

std::shared_ptr<grpc::Channel> OpenChannel(const std::string& target) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // do not share a connection with the other workers
  return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
}

std::vector<int> PumpsOfWorker(int worker, int workers, int devices) {
  std::vector<int> pumps;
  for (int pump = worker; pump < devices; pump += workers) pumps.push_back(pump);
  return pumps;
}

// ---- StreamWorker ----

StreamWorker::StreamWorker(int index, const LoadContext& context)
    : index_(index),
      context_(context),
      pumps_(PumpsOfWorker(index, context.config->streams, context.config->devices)),
      stub_(v1::AgentService::NewStub(OpenChannel(context.config->target))) {}

void StreamWorker::Run() {
  grpc::ClientContext call;
  call.set_deadline(absl::ToChronoTime(context_.window->end() + context_.config->drain_timeout));
  std::unique_ptr<Stream> stream = stub_->ReportStream(&call);
  std::thread reader([this, &stream] { ReadAcks(*stream); });
  WriteBatches(*stream);
  reader.join();
  const grpc::Status status = stream->Finish();
  stats_.sent = sent_observations_;
  if (!status.ok()) {
    ++stats_.failed_calls;
    stats_.NoteError(absl::StrCat("ReportStream ", index_, " ended with ", Describe(status)));
  }
}

void StreamWorker::WriteBatches(Stream& stream) {
  v1::ReportBatch batch;  // reused: its observations keep their memory from batch to batch
  const absl::Time start = absl::Now();
  // With --rate, batch k of this stream leaves no earlier than start + k batch intervals (open loop: a late batch
  // does not shift the ones after it).
  const double stream_rate = context_.config->rate / context_.config->streams;
  const absl::Duration batch_interval =
      stream_rate > 0 ? absl::Seconds(context_.config->batch / stream_rate) : absl::ZeroDuration();
  for (std::uint64_t batch_id = 1; WaitForSlot(); ++batch_id) {
    if (batch_interval > absl::ZeroDuration()) {
      const absl::Time due = start + batch_interval * static_cast<double>(batch_id - 1);
      if (due >= context_.window->end()) break;
      absl::SleepFor(due - absl::Now());
    }
    SentBatch sent;
    FillBatch(batch_id, batch, sent);
    sent.sent_at = absl::Now();
    {
      absl::MutexLock lock(&mu_);
      in_flight_.push_back(std::move(sent));
    }
    if (!stream.Write(batch)) break;  // the stream is broken; Finish will say why
    sent_observations_ += batch.observations_size();
    batch.clear_agent();  // the first batch names the agent; later ones inherit it
  }
  stream.WritesDone();
}

bool StreamWorker::WaitForSlot() {
  absl::MutexLock lock(&mu_);
  mu_.AwaitWithDeadline(absl::Condition(this, &StreamWorker::HasSlotLocked), context_.window->end());
  if (absl::Now() < backoff_until_) {
    mu_.AwaitWithDeadline(absl::Condition(&reads_done_), std::min(backoff_until_, context_.window->end()));
  }
  return !reads_done_ && in_flight_.size() < static_cast<std::size_t>(context_.config->inflight) &&
         absl::Now() < context_.window->end();
}

bool StreamWorker::HasSlotLocked() const {
  return reads_done_ || in_flight_.size() < static_cast<std::size_t>(context_.config->inflight);
}

void StreamWorker::FillBatch(std::uint64_t batch_id, v1::ReportBatch& batch, SentBatch& sent) {
  batch.set_batch_id(batch_id);
  if (batch_id == 1) *batch.mutable_agent() = AgentOf(index_);
  const int size = context_.config->batch;
  sent.batch_id = batch_id;
  sent.reports.reserve(size);
  const absl::Time now = absl::Now();
  for (int i = 0; i < size; ++i) {
    // Overwrite the previous batch's observations in place: cheaper than clearing and reallocating them.
    v1::Observation* observation =
        i < batch.observations_size() ? batch.mutable_observations(i) : batch.add_observations();
    const int pump = pumps_[next_pump_];
    next_pump_ = (next_pump_ + 1) % pumps_.size();
    sent.reports.emplace_back(pump, context_.fleet->NextObservation(pump, now, random_, observation));
  }
}

void StreamWorker::ReadAcks(Stream& stream) {
  v1::ReportBatchAck ack;
  while (stream.Read(&ack)) {
    const absl::Time received = absl::Now();
    SentBatch sent;
    {
      absl::MutexLock lock(&mu_);
      if (in_flight_.empty()) {
        ++stats_.protocol_errors;
        continue;
      }
      sent = std::move(in_flight_.front());
      in_flight_.pop_front();
    }
    RecordAck(sent, ack, received);
  }
  absl::MutexLock lock(&mu_);
  reads_done_ = true;
}

void StreamWorker::RecordAck(const SentBatch& sent, const v1::ReportBatchAck& ack, absl::Time received) {
  stats_.acknowledged += sent.reports.size();
  if (ack.batch_id() != sent.batch_id ||
      (ack.status() == v1::BATCH_STATUS_PROCESSED && ack.results_size() != static_cast<int>(sent.reports.size()))) {
    ++stats_.protocol_errors;
    stats_.NoteError(absl::StrCat("ack for batch ", ack.batch_id(), " does not match batch ", sent.batch_id));
    return;
  }
  ReportCounts counts;
  switch (ack.status()) {
    case v1::BATCH_STATUS_PROCESSED:
      for (int i = 0; i < ack.results_size(); ++i) {
        const auto& [pump, sequence] = sent.reports[i];
        CountResult(ack.results(i).result(), pump, sequence, *context_.durable, counts);
      }
      break;
    case v1::BATCH_STATUS_OVERLOADED: {
      counts.overloaded += sent.reports.size();
      absl::MutexLock lock(&mu_);
      backoff_until_ = received + kOverloadBackoff;
      break;
    }
    default:
      counts.unavailable += sent.reports.size();
      stats_.NoteError(absl::StrCat("batch ", ack.batch_id(), " not processed: ", ack.message()));
      break;
  }
  if (context_.window->Contains(received)) {
    stats_.in_window.Add(counts);
    stats_.ack_latency.Record(received - sent.sent_at);
  }
}

// ---- UnaryWorker ----

struct UnaryWorker::Call {
  grpc::ClientContext context;
  v1::ReportRequest request;
  v1::ReportResponse response;
  int pump = 0;
  absl::Time sent_at;
};

UnaryWorker::UnaryWorker(int index, const LoadContext& context)
    : index_(index),
      context_(context),
      pumps_(PumpsOfWorker(index, context.config->streams, context.config->devices)),
      agent_(AgentOf(index)),
      stub_(v1::AgentService::NewStub(OpenChannel(context.config->target))) {}

void UnaryWorker::Run() {
  std::uint64_t sent = 0;
  while (WaitForSlot()) {
    Send();
    ++sent;
  }
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(this, &UnaryWorker::NoneOutstandingLocked));  // every call has a deadline
  stats_.sent = sent;
}

bool UnaryWorker::WaitForSlot() {
  absl::MutexLock lock(&mu_);
  mu_.AwaitWithDeadline(absl::Condition(this, &UnaryWorker::HasSlotLocked), context_.window->end());
  return outstanding_ < context_.config->inflight && absl::Now() < context_.window->end();
}

bool UnaryWorker::HasSlotLocked() const { return outstanding_ < context_.config->inflight; }

bool UnaryWorker::NoneOutstandingLocked() const { return outstanding_ == 0; }

void UnaryWorker::Send() {
  auto call = std::make_unique<Call>();
  call->context.set_deadline(absl::ToChronoTime(context_.window->end() + context_.config->drain_timeout));
  *call->request.mutable_agent() = agent_;
  call->pump = pumps_[next_pump_];
  next_pump_ = (next_pump_ + 1) % pumps_.size();
  context_.fleet->NextObservation(call->pump, absl::Now(), random_, call->request.mutable_observation());
  {
    absl::MutexLock lock(&mu_);
    ++outstanding_;
  }
  Call* raw = call.release();  // owned by the completion callback from here on
  raw->sent_at = absl::Now();
  stub_->async()->Report(&raw->context, &raw->request, &raw->response,
                         [this, raw](grpc::Status status) { OnDone(std::unique_ptr<Call>(raw), status); });
}

void UnaryWorker::OnDone(std::unique_ptr<Call> call, const grpc::Status& status) {
  const absl::Time received = absl::Now();
  ReportCounts counts;
  absl::MutexLock lock(&mu_);
  --outstanding_;
  ++stats_.acknowledged;
  switch (status.error_code()) {
    case grpc::StatusCode::OK:
      CountResult(call->response.result(), call->pump, call->request.observation().sequence(), *context_.durable,
                  counts);
      break;
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      ++counts.overloaded;
      break;
    case grpc::StatusCode::INVALID_ARGUMENT:
      ++counts.rejected;
      stats_.NoteError(absl::StrCat("Report rejected: ", Describe(status)));
      break;
    case grpc::StatusCode::UNAVAILABLE:
      ++counts.unavailable;
      stats_.NoteError(absl::StrCat("Report unavailable: ", Describe(status)));
      break;
    default:
      --stats_.acknowledged;
      ++stats_.failed_calls;
      stats_.NoteError(absl::StrCat("Report failed: ", Describe(status)));
      return;
  }
  if (context_.window->Contains(received)) {
    stats_.in_window.Add(counts);
    stats_.ack_latency.Record(received - call->sent_at);
  }
}

// ---- QueryWorker ----

QueryWorker::QueryWorker(const LoadContext& context)
    : context_(context), stub_(v1::InventoryService::NewStub(OpenChannel(context.config->target))) {}

void QueryWorker::Run() {
  if (context_.config->query_rate <= 0) return;
  const absl::Duration interval = absl::Seconds(1) / context_.config->query_rate;
  // Open loop: queries follow a fixed schedule and a slow answer does not postpone the next ones.
  bool locate = false;
  for (absl::Time next = absl::Now() + interval; next < context_.window->end(); next += interval) {
    absl::SleepFor(next - absl::Now());
    QueryOnce(locate);
    locate = context_.config->query_locate && !locate;
  }
}

int QueryWorker::PickReportedPump() {
  constexpr int kAttempts = 16;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    const int pump = absl::Uniform(random_, 0, context_.config->devices);
    if (context_.durable->Get(pump) != 0) return pump;
  }
  return -1;
}

void QueryWorker::QueryOnce(bool locate) {
  const int pump = PickReportedPump();
  if (pump < 0) {
    ++stats_.skipped;
    return;
  }
  const std::uint64_t durable_sequence = context_.durable->Get(pump);
  v1::DeviceKey key;
  key.set_asset_tag(AssetTag(pump));
  grpc::ClientContext call;
  const absl::Time sent_at = absl::Now();
  call.set_deadline(absl::ToChronoTime(sent_at + context_.config->query_timeout));
  call.AddMetadata("authorization", "Bearer " + context_.config->token);
  grpc::Status status;
  std::uint64_t sequence = 0;
  if (locate) {
    v1::LocateRequest request;
    *request.mutable_device() = key;
    v1::LocateResponse response;
    status = stub_->Locate(&call, request, &response);
    sequence = durable_sequence;  // Locate carries no sequence: its freshness is GetDevice's
  } else {
    v1::GetDeviceRequest request;
    *request.mutable_device() = key;
    v1::Device device;
    status = stub_->GetDevice(&call, request, &device);
    sequence = device.last_observation().sequence();
  }
  const absl::Time received = absl::Now();
  if (!context_.window->Contains(received)) return;

  if (status.ok()) {
    ++stats_.found;
    (locate ? stats_.locate_latency : stats_.latency).Record(received - sent_at);
    if (sequence < durable_sequence) ++stats_.stale;
  } else if (status.error_code() == grpc::StatusCode::NOT_FOUND) {
    ++stats_.not_found;
  } else {
    ++stats_.errors;
    if (stats_.first_error.empty()) {
      stats_.first_error = absl::StrCat(locate ? "Locate: " : "GetDevice: ", Describe(status));
    }
  }
}

}  // namespace pumptrack::bench
