#include "service/services.h"

#include <utility>

#include "service/inventory_handlers.h"
#include "service/report_handler.h"
#include "service/report_stream_handler.h"
#include "service/status_mapping.h"

namespace pumptrack::service {
namespace {

// Runs `handler` (returning absl::StatusOr<Response>) on the query pool and finishes the call with its outcome.
// Refuses with RESOURCE_EXHAUSTED when the pool's queue is full, and skips work for calls already cancelled or past
// their deadline.
template <typename Response, typename Handler>
grpc::ServerUnaryReactor* RunQuery(grpc::CallbackServerContext* context, Response* response,
                                   const ServiceContext& service, Handler handler) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const bool queued = service.queries->TrySubmit([context, reactor, response, handler = std::move(handler)] {
    if (context->IsCancelled()) {
      reactor->Finish(grpc::Status(grpc::StatusCode::CANCELLED, "call cancelled or past its deadline"));
      return;
    }
    absl::StatusOr<Response> result = handler();
    if (result.ok()) *response = *std::move(result);
    reactor->Finish(ToGrpcStatus(result.status()));
  });
  if (!queued) {
    reactor->Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "too many queries in progress; retry"));
  }
  return reactor;
}

}  // namespace

grpc::ServerUnaryReactor* AgentServiceImpl::Report(grpc::CallbackServerContext* context,
                                                   const v1::ReportRequest* request, v1::ReportResponse* response) {
  return HandleReport(context, request, response, context_);
}

grpc::ServerBidiReactor<v1::ReportBatch, v1::ReportBatchAck>* AgentServiceImpl::ReportStream(
    grpc::CallbackServerContext* context) {
  return HandleReportStream(context, context_);
}

grpc::ServerUnaryReactor* InventoryServiceImpl::GetDevice(grpc::CallbackServerContext* context,
                                                          const v1::GetDeviceRequest* request,
                                                          v1::Device* response) {
  return RunQuery(context, response, context_, [request, this] { return service::GetDevice(*request, *context_.devices); });
}

grpc::ServerUnaryReactor* InventoryServiceImpl::ListDevices(grpc::CallbackServerContext* context,
                                                            const v1::ListDevicesRequest* request,
                                                            v1::ListDevicesResponse* response) {
  return RunQuery(context, response, context_,
                  [request, this] { return service::ListDevices(*request, *context_.devices); });
}

grpc::ServerUnaryReactor* InventoryServiceImpl::Locate(grpc::CallbackServerContext* context,
                                                       const v1::LocateRequest* request,
                                                       v1::LocateResponse* response) {
  return RunQuery(context, response, context_, [request, this] { return service::Locate(*request, *context_.devices); });
}

grpc::ServerUnaryReactor* InventoryServiceImpl::GetDeviceHistory(grpc::CallbackServerContext* context,
                                                                 const v1::GetDeviceHistoryRequest* request,
                                                                 v1::GetDeviceHistoryResponse* response) {
  return RunQuery(context, response, context_, [request, this] {
    return service::GetDeviceHistory(*request, *context_.devices, context_.clock());
  });
}

}  // namespace pumptrack::service
