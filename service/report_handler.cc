#include "service/report_handler.h"

#include "service/report_results.h"
#include "service/status_mapping.h"
#include "service/validation.h"

namespace pumptrack::service {

grpc::ServerUnaryReactor* HandleReport(grpc::CallbackServerContext* context, const v1::ReportRequest* request,
                                       v1::ReportResponse* response, const ServiceContext& service) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const absl::Time received = absl::Now();
  std::optional<FieldViolation> violation = ValidateAgentInfo(request->agent(), "agent");
  if (!violation) violation = ValidateObservation(request->observation(), service.clock(), "observation");
  if (violation) {
    service.metrics->CountRejectedInvalid(1);
    reactor->Finish(ToGrpcStatus(ToStatus(*violation)));
    return reactor;
  }

  IngestRequest ingest;
  ingest.observations.push_back({&request->observation(), &request->agent()});
  ServiceMetrics* metrics = service.metrics;
  ingest.done = [reactor, response, metrics, received](absl::StatusOr<std::vector<storage::ApplyResult>> results) {
    if (!results.ok()) {
      metrics->CountRejectedStorage(1);
      reactor->Finish(ToGrpcStatus(ClientFacingStorageError(results.status())));
      return;
    }
    CountResults(*metrics, *results);
    metrics->ObserveIngestLatency(absl::Now() - received);
    response->set_result(ToReportResult(results->front()));
    reactor->Finish(grpc::Status::OK);
  };
  if (absl::Status queued = service.ingest->Submit(std::move(ingest)); !queued.ok()) {
    service.metrics->CountRejectedOverloaded(1);
    reactor->Finish(ToGrpcStatus(queued));
  }
  return reactor;
}

}  // namespace pumptrack::service
