#ifndef PUMPTRACK_CONSOLE_BRIDGE_H_
#define PUMPTRACK_CONSOLE_BRIDGE_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/descriptor.h"
#include "grpcpp/channel.h"

namespace pumptrack::console {

// An HTTP answer: status and JSON body.
struct HttpReply {
  int status = 200;
  std::string body;
};

// The JSON API over gRPC: a call to "pumptrack.v1.InventoryService/Locate" parses the protobuf JSON body into the
// request message, makes the unary gRPC call over `channel` (the server's in-process channel) with the caller's
// Authorization header as "authorization" metadata, and answers the response's protobuf JSON. So authentication, the
// permission table, validation and audit are exactly gRPC's; the bridge adds only the JSON mapping and the status
// table (console/http_status.h). Thread-safe.
class Bridge {
 public:
  // The unary methods served: every unary method of InventoryService, FindingService, CustodyService and
  // AuditService, PolicyService.GetPolicy, and AuthService.SignIn/SignOut when that service exists.
  static std::vector<std::string> AllowList();

  Bridge(std::shared_ptr<grpc::Channel> channel, absl::Duration deadline);

  // True when `method` ("package.Service/Method") is on the allow-list.
  bool Allows(absl::string_view method) const;

  // Calls an allowed `method`. 400 naming the field for a body that is not the request's JSON; otherwise the gRPC
  // outcome through the status table. `client` (the HTTP peer) is forwarded as "x-pumptrack-console-client".
  HttpReply Call(absl::string_view method, absl::string_view authorization, absl::string_view json_body,
                 absl::string_view client) const;

 private:
  struct Method {
    std::string path;  // "/pumptrack.v1.InventoryService/Locate"
    const google::protobuf::Descriptor* request;
    const google::protobuf::Descriptor* response;
  };
  std::shared_ptr<grpc::Channel> channel_;
  const absl::Duration deadline_;
  absl::flat_hash_map<std::string, Method> methods_;
};

}  // namespace pumptrack::console

#endif  // PUMPTRACK_CONSOLE_BRIDGE_H_
