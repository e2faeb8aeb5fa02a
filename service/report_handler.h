#ifndef PUMPTRACK_SERVICE_REPORT_HANDLER_H_
#define PUMPTRACK_SERVICE_REPORT_HANDLER_H_

#include "grpcpp/grpcpp.h"
#include "pumptrack/v1/agent_service.pb.h"
#include "service/service_context.h"

namespace pumptrack::service {

// AgentService.Report, on the raw bytes of a ReportRequest (see wire.h): parses, authorises the agent, validates,
// queues for group commit, and finishes with a serialised ReportResponse once the observation is durable.
grpc::ServerUnaryReactor* HandleReport(grpc::CallbackServerContext* context, const grpc::ByteBuffer* request_bytes,
                                       grpc::ByteBuffer* response_bytes, const ServiceContext& service);

}  // namespace pumptrack::service

#endif  // PUMPTRACK_SERVICE_REPORT_HANDLER_H_
