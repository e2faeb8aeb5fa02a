#ifndef PUMPTRACK_SERVICE_REPORT_STREAM_HANDLER_H_
#define PUMPTRACK_SERVICE_REPORT_STREAM_HANDLER_H_

#include "grpcpp/grpcpp.h"
#include "pumptrack/v1/agent_service.pb.h"
#include "service/service_context.h"

namespace pumptrack::service {

// Most batches one stream may have read but not yet acknowledged; beyond it the service stops reading and HTTP/2
// flow control pushes back on the agent.
inline constexpr std::size_t kMaxBatchesInFlightPerStream = 16;

// AgentService.ReportStream, on raw bytes (see wire.h): reads and parses batches, validates each observation,
// queues the valid ones for group commit and writes one acknowledgement per batch, in batch order, once it is
// durable. A batch that does not parse ends the stream with INVALID_ARGUMENT naming the field. Owns itself; deleted
// when the call is done and no commit callback is outstanding.
grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* HandleReportStream(grpc::CallbackServerContext* context,
                                                                                const ServiceContext& service);

}  // namespace pumptrack::service

#endif  // PUMPTRACK_SERVICE_REPORT_STREAM_HANDLER_H_
