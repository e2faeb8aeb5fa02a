#ifndef PUMPTRACK_SERVICE_AUTH_SERVICE_H_
#define PUMPTRACK_SERVICE_AUTH_SERVICE_H_

#include "pumptrack/v1/auth.grpc.pb.h"
#include "service/service_context.h"

namespace pumptrack::service {

// AuthService: people's sign-in with their directory account. SignIn needs no token (its permission is kAnyone); it
// is checked against the sign-in limiter on the calling thread, then runs on the directory's own worker pool, so a
// slow or unreachable directory never holds gRPC's threads or the pool that serves token-authenticated calls.
class AuthServiceImpl final : public v1::AuthService::CallbackService {
 public:
  explicit AuthServiceImpl(const ServiceContext& context) : context_(context) {}

  grpc::ServerUnaryReactor* SignIn(grpc::CallbackServerContext* context, const v1::SignInRequest* request,
                                   v1::SignInResponse* response) override;
  grpc::ServerUnaryReactor* SignOut(grpc::CallbackServerContext* context, const v1::SignOutRequest* request,
                                    v1::SignOutResponse* response) override;

 private:
  const ServiceContext& context_;
};

}  // namespace pumptrack::service

#endif  // PUMPTRACK_SERVICE_AUTH_SERVICE_H_
