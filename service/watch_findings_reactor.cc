#include "service/watch_findings_reactor.h"

#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace pumptrack::service {
namespace {

// Write discipline: at most one write in flight ("the write token"), and Finish is called only by whoever sees the
// stream idle (no write in flight) and marks it finished. So no StartWrite can follow Finish, and the reactor
// cannot be deleted (OnDone) while a thread that took the token has yet to call StartWrite.
class Reactor : public grpc::ServerWriteReactor<v1::FindingEvent> {
 public:
  Reactor(engine::FindingEventBus& bus, v1::FindingKind kind) : bus_(bus), state_(std::make_shared<State>()) {
    state_->reactor = this;
    std::shared_ptr<State> state = state_;
    subscription_ = bus_.Subscribe(kind, [state] { Kick(state); });
    state_->subscription = subscription_;
    // Initial metadata tells the client it is subscribed: every event committed from then on reaches it (the
    // console's /api/v1/events answers its headers only after this).
    StartSendInitialMetadata();
    Kick(state_);
  }

  void OnWriteDone(bool ok) override {
    {
      absl::MutexLock lock(&state_->mu);
      state_->writing = false;
      if (!ok) state_->cancelled = true;
    }
    Kick(state_);
  }

  void OnCancel() override {
    {
      absl::MutexLock lock(&state_->mu);
      state_->cancelled = true;
    }
    Kick(state_);
  }

  void OnDone() override {
    {
      absl::MutexLock lock(&state_->mu);
      state_->reactor = nullptr;
    }
    bus_.Unsubscribe(subscription_.get());
    delete this;
  }

 private:
  struct State {
    absl::Mutex mu;
    Reactor* reactor ABSL_GUARDED_BY(mu) = nullptr;
    std::shared_ptr<engine::FindingSubscription> subscription;
    bool writing ABSL_GUARDED_BY(mu) = false;
    bool finished ABSL_GUARDED_BY(mu) = false;
    bool cancelled ABSL_GUARDED_BY(mu) = false;
    std::unique_ptr<v1::FindingEvent> current;
  };

  // Starts the next write, or finishes the call, if the stream is idle. Safe from any thread.
  static void Kick(const std::shared_ptr<State>& state) {
    Reactor* reactor = nullptr;
    bool finish = false;
    grpc::Status status;
    {
      absl::MutexLock lock(&state->mu);
      if (state->reactor == nullptr || state->writing || state->finished) return;
      reactor = state->reactor;
      if (state->cancelled) {
        finish = true;
        status = grpc::Status(grpc::StatusCode::CANCELLED, "watch cancelled");
      } else if (state->subscription->closed()) {
        finish = true;
        status = grpc::Status(grpc::StatusCode::UNAVAILABLE, "the service is shutting down");
      } else {
        std::unique_ptr<v1::FindingEvent> next = state->subscription->Next();
        if (next == nullptr) return;
        state->current = std::move(next);
        state->writing = true;
      }
      if (finish) state->finished = true;
    }
    if (finish) {
      reactor->Finish(status);
    } else {
      reactor->StartWrite(state->current.get());
    }
  }

  engine::FindingEventBus& bus_;
  std::shared_ptr<State> state_;
  std::shared_ptr<engine::FindingSubscription> subscription_;
};

class Refusal : public grpc::ServerWriteReactor<v1::FindingEvent> {
 public:
  explicit Refusal(const grpc::Status& status) { Finish(status); }
  void OnDone() override { delete this; }
};

}  // namespace

grpc::ServerWriteReactor<v1::FindingEvent>* StartWatchFindings(engine::FindingEventBus& bus,
                                                               const v1::WatchFindingsRequest& request,
                                                               grpc::Status refusal) {
  if (!refusal.ok()) return new Refusal(refusal);
  return new Reactor(bus, request.kind());
}

}  // namespace pumptrack::service
