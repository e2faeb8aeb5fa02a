#ifndef PUMPTRACK_SERVICE_REPORT_HANDLER_H_
#define PUMPTRACK_SERVICE_REPORT_HANDLER_H_

#include "grpcpp/grpcpp.h"
#include "pumptrack/v1/agent_service.pb.h"
#include "service/service_context.h"

namespace pumptrack::service {

// AgentService.Report: validates, queues for group commit, and finishes once the observation is durable.
grpc::ServerUnaryReactor* HandleReport(grpc::CallbackServerContext* context, const v1::ReportRequest* request,
                                       v1::ReportResponse* response, const ServiceContext& service);

}  // namespace pumptrack::service

#endif  // PUMPTRACK_SERVICE_REPORT_HANDLER_H_
