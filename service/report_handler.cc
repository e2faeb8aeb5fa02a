#include "service/report_handler.h"

#include <memory>

#include "service/report_results.h"
#include "service/status_mapping.h"
#include "service/validation.h"
#include "service/wire.h"

namespace pumptrack::service {

grpc::ServerUnaryReactor* HandleReport(grpc::CallbackServerContext* context, const grpc::ByteBuffer* request_bytes,
                                       grpc::ByteBuffer* response_bytes, const ServiceContext& service) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const absl::Time received = absl::Now();
  // Owned here (not by gRPC) so that it outlives the call's handler until its commit.
  auto request = std::make_shared<v1::ReportRequest>();
  if (absl::Status parsed = ParseMessage(*request_bytes, *request); !parsed.ok()) {
    service.metrics->CountRejectedInvalid(1);
    reactor->Finish(ToGrpcStatus(parsed));
    return reactor;
  }
  absl::StatusOr<engine::Caller> caller = service.auth->AuthorizeAgent(*context, request->agent().agent_id());
  if (!caller.ok()) {
    reactor->Finish(ToGrpcStatus(caller.status()));
    return reactor;
  }
  // The stored agent is the authenticated one, whatever the request claimed.
  auto agent = std::make_shared<v1::AgentInfo>(request->agent());
  agent->set_agent_id(caller->actor.name);
  std::optional<FieldViolation> violation = ValidateAgentInfo(*agent, "agent");
  if (!violation) violation = ValidateObservation(request->observation(), service.clock(), "observation");
  if (violation) {
    service.metrics->CountRejectedInvalid(1);
    reactor->Finish(ToGrpcStatus(ToStatus(*violation)));
    return reactor;
  }
  DropUnknownFields(*agent);
  DropUnknownFields(*request->mutable_observation());

  engine::IngestRequest ingest;
  ingest.observations.push_back({&request->observation(), agent.get()});
  engine::IngestMetrics* metrics = service.metrics;
  ingest.done = [reactor, response_bytes, metrics, received, agent,
                 request](absl::StatusOr<std::vector<storage::ApplyResult>> results) {
    if (!results.ok()) {
      metrics->CountRejectedStorage(1);
      reactor->Finish(ToGrpcStatus(ClientFacingStorageError(results.status())));
      return;
    }
    CountResults(*metrics, *results);
    metrics->ObserveIngestLatency(absl::Now() - received);
    v1::ReportResponse response;
    response.set_result(ToReportResult(results->front()));
    absl::StatusOr<grpc::ByteBuffer> serialized = SerializeMessage(response);
    if (!serialized.ok()) {
      reactor->Finish(ToGrpcStatus(serialized.status()));
      return;
    }
    *response_bytes = *std::move(serialized);
    reactor->Finish(grpc::Status::OK);
  };
  if (absl::Status queued = service.ingest->Submit(std::move(ingest)); !queued.ok()) {
    service.metrics->CountRejectedOverloaded(1);
    reactor->Finish(ToGrpcStatus(queued));
  }
  return reactor;
}

}  // namespace pumptrack::service
