#ifndef PUMPTRACK_ENGINE_CALLER_H_
#define PUMPTRACK_ENGINE_CALLER_H_

#include "pumptrack/v1/auth.pb.h"
#include "storage/audit_log.h"

namespace pumptrack::engine {

// Who is calling, once a transport has authenticated and authorised them: the actor recorded in the audit log and,
// for people, the role their token carries. Transport-neutral, so the domain functions a handler calls take it from
// any transport (gRPC today; the web console's HTTP API and the HL7 intake next).
struct Caller {
  storage::Actor actor;
  v1::Role role = v1::ROLE_UNSPECIFIED;  // people only
};

}  // namespace pumptrack::engine

#endif  // PUMPTRACK_ENGINE_CALLER_H_
