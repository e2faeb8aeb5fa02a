#include "service/auth_service.h"

#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "openssl/crypto.h"
#include "service/authz.h"
#include "service/status_mapping.h"

namespace pumptrack::service {
namespace {

constexpr absl::string_view kSignIn = "/pumptrack.v1.AuthService/SignIn";
constexpr absl::string_view kSignOut = "/pumptrack.v1.AuthService/SignOut";

// The peer's address without its port.
std::string Source(const grpc::ServerContextBase& context) {
  std::string peer = context.peer();
  const std::size_t colon = peer.rfind(':');
  if (colon != std::string::npos && colon > peer.find(':')) peer.resize(colon);
  return peer;
}

absl::Status CheckUsername(const std::string& username) {
  if (username.empty() || username.size() > 256) {
    return absl::InvalidArgumentError("username: must be 1-256 bytes");
  }
  for (char ch : username) {
    if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f) {
      return absl::InvalidArgumentError("username: must not contain control characters");
    }
  }
  return absl::OkStatus();
}

}  // namespace

grpc::ServerUnaryReactor* AuthServiceImpl::SignIn(grpc::CallbackServerContext* context,
                                                  const v1::SignInRequest* request, v1::SignInResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  // The request's copy of the password is wiped as soon as it has been taken (gRPC owns the message, not its bytes).
  std::string& request_password = const_cast<std::string&>(request->password());
  std::string password = request_password;
  OPENSSL_cleanse(request_password.data(), request_password.size());
  request_password.clear();

  absl::StatusOr<Permission> permission = PermissionFor(kSignIn);
  if (!permission.ok() || *permission != Permission::kAnyone) {  // fail closed if the table ever changes
    OPENSSL_cleanse(password.data(), password.size());
    reactor->Finish(ToGrpcStatus(absl::InternalError("SignIn is not open to anyone")));
    return reactor;
  }
  if (absl::Status valid = CheckUsername(request->username()); !valid.ok()) {
    OPENSSL_cleanse(password.data(), password.size());
    reactor->Finish(ToGrpcStatus(valid));
    return reactor;
  }
  if (password.size() > 1024) {
    OPENSSL_cleanse(password.data(), password.size());
    reactor->Finish(ToGrpcStatus(absl::InvalidArgumentError("password: must be at most 1024 bytes")));
    return reactor;
  }
  SessionManager* sessions = context_.sessions;
  if (!sessions->enabled()) {
    OPENSSL_cleanse(password.data(), password.size());
    reactor->Finish(ToGrpcStatus(
        absl::FailedPreconditionError("sign-in with a directory account is not configured on this server")));
    return reactor;
  }
  const std::string source = Source(*context);
  if (sessions->Throttled(request->username(), source)) {
    OPENSSL_cleanse(password.data(), password.size());
    reactor->Finish(ToGrpcStatus(absl::ResourceExhaustedError("too many failed sign-ins; retry later")));
    return reactor;
  }
  auto task = std::make_shared<std::string>(std::move(password));
  const bool queued =
      context_.directory_workers->TrySubmit([context, reactor, request, response, sessions, source, task] {
        if (context->IsCancelled()) {
          OPENSSL_cleanse(task->data(), task->size());
          reactor->Finish(grpc::Status(grpc::StatusCode::CANCELLED, "call cancelled or past its deadline"));
          return;
        }
        absl::StatusOr<v1::SignInResponse> result = sessions->SignIn(request->username(), *task, source);
        if (result.ok()) *response = *std::move(result);
        reactor->Finish(ToGrpcStatus(result.status()));
      });
  if (!queued) {
    OPENSSL_cleanse(task->data(), task->size());
    reactor->Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "too many sign-ins in progress; retry"));
  }
  return reactor;
}

grpc::ServerUnaryReactor* AuthServiceImpl::SignOut(grpc::CallbackServerContext* context,
                                                   const v1::SignOutRequest* /*request*/,
                                                   v1::SignOutResponse* /*response*/) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<engine::Caller> caller = context_.auth->AuthorizePerson(*context, kSignOut);
  if (!caller.ok()) {
    reactor->Finish(ToGrpcStatus(caller.status()));
    return reactor;
  }
  // AuthorizePerson accepted the bearer token; find which one it is.
  const auto& metadata = context->client_metadata();
  auto header = metadata.find("authorization");
  absl::string_view value(header->second.data(), header->second.size());
  value.remove_prefix(std::string_view("Bearer ").size());
  absl::StatusOr<v1::Token> token = context_.tokens->Authenticate(value, context_.clock());
  if (!token.ok()) {
    reactor->Finish(ToGrpcStatus(token.status()));
    return reactor;
  }
  if (token->directory_user().empty()) {
    reactor->Finish(ToGrpcStatus(
        absl::FailedPreconditionError("not a session token; revoke tokens with TokenService.RevokeToken")));
    return reactor;
  }
  const bool queued = context_.workers->TrySubmit([this, reactor, id = token->id(), caller = *std::move(caller)] {
    absl::StatusOr<v1::Token> revoked = context_.tokens->Revoke(id, caller.actor, context_.clock());
    reactor->Finish(ToGrpcStatus(revoked.status()));
  });
  if (!queued) {
    reactor->Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "too many requests in progress; retry"));
  }
  return reactor;
}

}  // namespace pumptrack::service
