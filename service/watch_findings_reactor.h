#ifndef PUMPTRACK_SERVICE_WATCH_FINDINGS_REACTOR_H_
#define PUMPTRACK_SERVICE_WATCH_FINDINGS_REACTOR_H_

#include "engine/finding_events.h"
#include "grpcpp/grpcpp.h"
#include "pumptrack/v1/finding.pb.h"

namespace pumptrack::service {

// Streams finding events to one watcher until it cancels or the service shuts down. The finding engine publishes
// into the watcher's bounded subscription and never waits for it: a watcher that falls behind gets a RESYNC event.
// `refusal`, when not OK, finishes the call at once (authorisation or validation failed).
grpc::ServerWriteReactor<v1::FindingEvent>* StartWatchFindings(engine::FindingEventBus& bus,
                                                               const v1::WatchFindingsRequest& request,
                                                               grpc::Status refusal);

}  // namespace pumptrack::service

#endif  // PUMPTRACK_SERVICE_WATCH_FINDINGS_REACTOR_H_
