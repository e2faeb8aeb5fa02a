#include "common/status_macros.h"
#include "google/protobuf/util/time_util.h"
#include "service/admin_handlers.h"

namespace pumptrack::service {

absl::StatusOr<v1::CreateTokenResponse> CreateToken(const v1::CreateTokenRequest& request, const engine::Caller& caller,
                                                    storage::TokenStore& tokens, absl::Time now) {
  const google::protobuf::Duration& ttl = request.ttl();
  if (ttl.seconds() < 0 || ttl.nanos() < 0 || ttl.nanos() > 999'999'999) {
    return absl::InvalidArgumentError("ttl: must be a non-negative duration");
  }
  if (!v1::Role_IsValid(request.role())) return absl::InvalidArgumentError("role: unknown enum value");
  ASSIGN_OR_RETURN(storage::CreatedToken created,
                   tokens.Create(request.name(), request.role(),
                                 absl::Seconds(ttl.seconds()) + absl::Nanoseconds(ttl.nanos()), caller.actor, now));
  v1::CreateTokenResponse response;
  *response.mutable_token() = std::move(created.token);
  response.set_secret(std::move(created.secret));
  return response;
}

absl::StatusOr<v1::ListTokensResponse> ListTokens(const v1::ListTokensRequest& /*request*/,
                                                  const storage::TokenStore& tokens) {
  v1::ListTokensResponse response;
  for (v1::Token& token : tokens.List()) *response.add_tokens() = std::move(token);
  return response;
}

absl::StatusOr<v1::Token> RevokeToken(const v1::RevokeTokenRequest& request, const engine::Caller& caller,
                                      storage::TokenStore& tokens, absl::Time now) {
  if (request.id().empty() || request.id().size() > 64) return absl::InvalidArgumentError("id: is required");
  return tokens.Revoke(request.id(), caller.actor, now);
}

}  // namespace pumptrack::service
