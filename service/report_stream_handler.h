#ifndef PUMPTRACK_SERVICE_REPORT_STREAM_HANDLER_H_
#define PUMPTRACK_SERVICE_REPORT_STREAM_HANDLER_H_

#include "grpcpp/grpcpp.h"
#include "pumptrack/v1/agent_service.pb.h"
#include "service/flow_control.h"
#include "service/service_context.h"

namespace pumptrack::service {

// AgentService.ReportStream, on raw bytes (see wire.h): reads batches and parses them (on service.stream_workers
// when set, so gRPC's threads stay free for people's queries), validates each observation,
// queues the valid ones for group commit and writes one acknowledgement per batch, in batch order, once it is
// durable. While the batches read and not yet acknowledged hold service.max_stream_inflight_observations
// observations or more (or kMaxBatchesInFlightPerStream batches), the stream is not read: HTTP/2 flow control then
// holds the agent back, and one agent's backlog never queues ahead of other work. A batch that does not parse ends the
// stream with INVALID_ARGUMENT naming the field. Owns itself; deleted when the call is done and no commit callback is
// outstanding.
grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* HandleReportStream(grpc::CallbackServerContext* context,
                                                                                const ServiceContext& service);

}  // namespace pumptrack::service

#endif  // PUMPTRACK_SERVICE_REPORT_STREAM_HANDLER_H_
