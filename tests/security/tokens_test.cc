// People's bearer tokens: uniform refusals, roles against every service, and the per-peer failure rate limit.
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "openssl/rand.h"
#include "storage/token_store.h"
#include "tests/security/security_test_util.h"

namespace pumptrack::security_testing {
namespace {

// A well-formed secret ("ptk_" + 32 random bytes, web-safe base64) that the server never issued.
std::string ForgedSecret() {
  std::string bytes(32, '\0');
  RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), 32);
  std::string encoded;
  absl::WebSafeBase64Escape(bytes, &encoded);
  return "ptk_" + encoded;
}

// ListTokens with a raw "authorization" header value (nullptr: no header at all).
grpc::Status ListTokensWithHeader(SecurityServerTest* test, const std::shared_ptr<grpc::Channel>& channel,
                                  const char* header) {
  grpc::ClientContext context;
  SecurityServerTest::Prepare(context, "");
  if (header != nullptr) context.AddMetadata("authorization", header);
  v1::ListTokensResponse response;
  grpc::Status status = v1::TokenService::NewStub(channel)->ListTokens(&context, v1::ListTokensRequest(), &response);
  EXPECT_EQ(response.tokens_size(), 0) << "a refused call returned data";
  return status;
}

class TokenTest : public SecurityServerTest {
 protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(StartTlsServer()); }

  grpc::Status WithHeader(const char* header) { return ListTokensWithHeader(this, PeopleChannel(), header); }
  grpc::Status WithHeader(const std::string& header) { return WithHeader(header.c_str()); }
};

TEST_F(TokenTest, MissingTokenIsUnauthenticated) {
  grpc::Status status = WithHeader(nullptr);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << status.error_message();
}

TEST_F(TokenTest, MalformedAuthorizationHeaderIsUnauthenticated) {
  const std::vector<std::string> malformed = {
      "Bearer",                             // no secret
      "Bearer ",                            // empty secret
      "Basic " + admin_secret_,             // wrong scheme
      "bearer " + admin_secret_,            // scheme is case-sensitive here
      "Token " + admin_secret_,             // wrong scheme
      admin_secret_,                        // no scheme at all
      "Bearer  " + admin_secret_,           // two spaces
      "Bearer " + admin_secret_.substr(4),  // secret without its ptk_ prefix
  };
  for (const std::string& header : malformed) {
    SCOPED_TRACE(header);
    grpc::Status status = WithHeader(header);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << status.error_message();
  }
  // The real token still works (fewer failures than the rate limit).
  EXPECT_TRUE(ListTokens(admin_secret_).ok());
}

TEST_F(TokenTest, ForgedWellFormedTokenIsUnauthenticated) {
  grpc::Status status = ListTokens(ForgedSecret());
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << status.error_message();
  // A near miss of the real secret (last character changed) is just as unknown.
  std::string near_miss = admin_secret_;
  near_miss.back() = near_miss.back() == 'A' ? 'B' : 'A';
  status = ListTokens(near_miss);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << status.error_message();
}

TEST_F(TokenTest, ExpiredTokenIsUnauthenticated) {
  v1::CreateTokenResponse created = CreateToken("short.lived", v1::ROLE_ADMIN, absl::Seconds(1));
  ASSERT_FALSE(created.secret().empty());
  ASSERT_TRUE(created.token().has_expires_at());
  EXPECT_TRUE(ListTokens(created.secret()).ok()) << "valid before it expires";
  clock_.Advance(absl::Seconds(2));
  grpc::Status status = ListTokens(created.secret());
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << status.error_message();
}

TEST_F(TokenTest, RevokedTokenIsUnauthenticated) {
  v1::CreateTokenResponse created = CreateToken("to.revoke", v1::ROLE_ADMIN);
  ASSERT_TRUE(ListTokens(created.secret()).ok());
  v1::Token revoked = RevokeToken(created.token().id());
  EXPECT_TRUE(revoked.has_revoked_at());
  grpc::Status status = ListTokens(created.secret());
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << status.error_message();
  // Revoking twice is a no-op, and the token stays refused.
  EXPECT_TRUE(RevokeToken(created.token().id()).has_revoked_at());
  EXPECT_EQ(ListTokens(created.secret()).error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(TokenTest, EveryTokenRefusalCarriesTheSameMessage) {
  v1::CreateTokenResponse expiring = CreateToken("expiring", v1::ROLE_VIEWER, absl::Seconds(1));
  v1::CreateTokenResponse revoked = CreateToken("revoked", v1::ROLE_VIEWER);
  RevokeToken(revoked.token().id());
  clock_.Advance(absl::Seconds(5));

  const std::map<std::string, grpc::Status> refusals = {
      {"missing", WithHeader(nullptr)},
      {"bearer without secret", WithHeader("Bearer")},
      {"wrong prefix", WithHeader("Basic " + admin_secret_)},
      {"forged", ListTokens(ForgedSecret())},
      {"expired", ListTokens(expiring.secret())},
      {"revoked", ListTokens(revoked.secret())},
  };
  const std::string reference = refusals.at("missing").error_message();
  EXPECT_FALSE(reference.empty());
  for (const auto& [why, status] : refusals) {
    SCOPED_TRACE(why);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
    EXPECT_EQ(status.error_message(), reference) << "the message reveals which part failed";
    EXPECT_TRUE(status.error_details().empty());
  }
}

TEST_F(TokenTest, WrongRoleIsPermissionDenied) {
  v1::CreateTokenResponse viewer = CreateToken("vera.viewer", v1::ROLE_VIEWER);
  EXPECT_TRUE(ListDevices(viewer.secret()).ok()) << "the viewer's own permission works";
  grpc::Status status = ListTokens(viewer.secret());
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
  // A viewer cannot mint itself an admin token either.
  v1::CreateTokenRequest request;
  request.set_name("escalated");
  request.set_role(v1::ROLE_ADMIN);
  v1::CreateTokenResponse response;
  grpc::ClientContext context;
  Prepare(context, viewer.secret());
  status = v1::TokenService::NewStub(PeopleChannel())->CreateToken(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
  EXPECT_TRUE(response.secret().empty());
}

// ---------------------------------------------------------------------------------------------------------------------
// Each role against each method of each people's service, through the real server.

enum class Service { kInventory, kToken, kAgentRegistry, kAudit };

struct MethodCall {
  std::string method;
  Service service;
  std::function<grpc::Status(SecurityServerTest*, const std::shared_ptr<grpc::Channel>&, grpc::ClientContext*)> call;
};

std::vector<MethodCall> PeopleMethods() {
  using Channel = std::shared_ptr<grpc::Channel>;
  std::vector<MethodCall> calls;
  calls.push_back({"InventoryService/GetDevice", Service::kInventory,
                   [](SecurityServerTest*, const Channel& channel, grpc::ClientContext* context) {
                     v1::GetDeviceRequest request;
                     request.mutable_device()->set_asset_tag("PT-00042");
                     v1::Device response;
                     return v1::InventoryService::NewStub(channel)->GetDevice(context, request, &response);
                   }});
  calls.push_back({"InventoryService/ListDevices", Service::kInventory,
                   [](SecurityServerTest*, const Channel& channel, grpc::ClientContext* context) {
                     v1::ListDevicesResponse response;
                     return v1::InventoryService::NewStub(channel)->ListDevices(context, {}, &response);
                   }});
  calls.push_back({"InventoryService/Locate", Service::kInventory,
                   [](SecurityServerTest*, const Channel& channel, grpc::ClientContext* context) {
                     v1::LocateRequest request;
                     request.mutable_device()->set_asset_tag("PT-00042");
                     v1::LocateResponse response;
                     return v1::InventoryService::NewStub(channel)->Locate(context, request, &response);
                   }});
  calls.push_back({"InventoryService/GetDeviceHistory", Service::kInventory,
                   [](SecurityServerTest*, const Channel& channel, grpc::ClientContext* context) {
                     v1::GetDeviceHistoryRequest request;
                     request.mutable_device()->set_asset_tag("PT-00042");
                     v1::GetDeviceHistoryResponse response;
                     return v1::InventoryService::NewStub(channel)->GetDeviceHistory(context, request, &response);
                   }});
  calls.push_back({"TokenService/CreateToken", Service::kToken,
                   [](SecurityServerTest*, const Channel& channel, grpc::ClientContext* context) {
                     v1::CreateTokenRequest request;
                     request.set_name("made.by.role.test");
                     request.set_role(v1::ROLE_VIEWER);
                     v1::CreateTokenResponse response;
                     return v1::TokenService::NewStub(channel)->CreateToken(context, request, &response);
                   }});
  calls.push_back({"TokenService/ListTokens", Service::kToken,
                   [](SecurityServerTest*, const Channel& channel, grpc::ClientContext* context) {
                     v1::ListTokensResponse response;
                     return v1::TokenService::NewStub(channel)->ListTokens(context, {}, &response);
                   }});
  calls.push_back({"TokenService/RevokeToken", Service::kToken,
                   [](SecurityServerTest*, const Channel& channel, grpc::ClientContext* context) {
                     v1::RevokeTokenRequest request;
                     request.set_id("tok_0000000000000000");  // unknown: NOT_FOUND when allowed
                     v1::Token response;
                     return v1::TokenService::NewStub(channel)->RevokeToken(context, request, &response);
                   }});
  calls.push_back({"AgentRegistryService/ListAgents", Service::kAgentRegistry,
                   [](SecurityServerTest*, const Channel& channel, grpc::ClientContext* context) {
                     v1::ListAgentsResponse response;
                     return v1::AgentRegistryService::NewStub(channel)->ListAgents(context, {}, &response);
                   }});
  calls.push_back({"AgentRegistryService/EnrollAgent", Service::kAgentRegistry,
                   [](SecurityServerTest*, const Channel& channel, grpc::ClientContext* context) {
                     v1::EnrollAgentRequest request;
                     request.set_agent_id("gw-role-test");
                     v1::Agent response;
                     return v1::AgentRegistryService::NewStub(channel)->EnrollAgent(context, request, &response);
                   }});
  calls.push_back({"AgentRegistryService/RevokeAgent", Service::kAgentRegistry,
                   [](SecurityServerTest*, const Channel& channel, grpc::ClientContext* context) {
                     v1::RevokeAgentRequest request;
                     request.set_agent_id("gw-never-enrolled");  // NOT_FOUND when allowed
                     v1::Agent response;
                     return v1::AgentRegistryService::NewStub(channel)->RevokeAgent(context, request, &response);
                   }});
  calls.push_back({"AuditService/ListAudit", Service::kAudit,
                   [](SecurityServerTest*, const Channel& channel, grpc::ClientContext* context) {
                     v1::ListAuditResponse response;
                     return v1::AuditService::NewStub(channel)->ListAudit(context, {}, &response);
                   }});
  calls.push_back({"AuditService/VerifyAudit", Service::kAudit,
                   [](SecurityServerTest*, const Channel& channel, grpc::ClientContext* context) {
                     v1::VerifyAuditResponse response;
                     return v1::AuditService::NewStub(channel)->VerifyAudit(context, {}, &response);
                   }});
  return calls;
}

struct RoleCase {
  v1::Role role;
  // Which services the role may use, per auth.proto: viewer/transport/asset_manager read the inventory; auditor
  // only reads the audit log; admin everything.
  std::map<Service, bool> allowed;
};

// Test names show the role, not the struct's bytes.
void PrintTo(const RoleCase& role_case, std::ostream* os) { *os << storage::RoleName(role_case.role); }

std::string RoleCaseName(const ::testing::TestParamInfo<RoleCase>& info) { return storage::RoleName(info.param.role); }

class RoleMatrixTest : public SecurityServerTest, public ::testing::WithParamInterface<RoleCase> {
 protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(StartTlsServer()); }
};

TEST_P(RoleMatrixTest, RoleIsAllowedExactlyItsServices) {
  const RoleCase& role_case = GetParam();
  const std::string secret = CreateToken("matrix." + storage::RoleName(role_case.role), role_case.role).secret();
  ASSERT_FALSE(secret.empty());
  auto channel = PeopleChannel();
  for (const MethodCall& method : PeopleMethods()) {
    SCOPED_TRACE(method.method);
    grpc::ClientContext context;
    Prepare(context, secret);
    grpc::Status status = method.call(this, channel, &context);
    if (role_case.allowed.at(method.service)) {
      // Allowed: the call reaches its handler (an unknown device or token is a fine answer).
      EXPECT_NE(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
      EXPECT_NE(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << status.error_message();
      EXPECT_NE(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
    } else {
      EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
    }
  }
  // Refused calls had no effect.
  v1::ListTokensResponse tokens;
  ASSERT_TRUE(ListTokens(admin_secret_, &tokens).ok());
  bool made = false;
  for (const v1::Token& token : tokens.tokens()) made = made || token.name() == "made.by.role.test";
  EXPECT_EQ(made, role_case.allowed.at(Service::kToken));
}

INSTANTIATE_TEST_SUITE_P(EachRole, RoleMatrixTest,
                         ::testing::Values(RoleCase{v1::ROLE_VIEWER,
                                                    {{Service::kInventory, true},
                                                     {Service::kToken, false},
                                                     {Service::kAgentRegistry, false},
                                                     {Service::kAudit, false}}},
                                           RoleCase{v1::ROLE_TRANSPORT,
                                                    {{Service::kInventory, true},
                                                     {Service::kToken, false},
                                                     {Service::kAgentRegistry, false},
                                                     {Service::kAudit, false}}},
                                           RoleCase{v1::ROLE_ASSET_MANAGER,
                                                    {{Service::kInventory, true},
                                                     {Service::kToken, false},
                                                     {Service::kAgentRegistry, false},
                                                     {Service::kAudit, false}}},
                                           RoleCase{v1::ROLE_AUDITOR,
                                                    {{Service::kInventory, false},
                                                     {Service::kToken, false},
                                                     {Service::kAgentRegistry, false},
                                                     {Service::kAudit, true}}},
                                           RoleCase{v1::ROLE_ADMIN,
                                                    {{Service::kInventory, true},
                                                     {Service::kToken, true},
                                                     {Service::kAgentRegistry, true},
                                                     {Service::kAudit, true}}},
                                           RoleCase{v1::ROLE_TECHNICIAN,
                                                    {{Service::kInventory, true},
                                                     {Service::kToken, false},
                                                     {Service::kAgentRegistry, false},
                                                     {Service::kAudit, false}}}),
                         RoleCaseName);

// ---------------------------------------------------------------------------------------------------------------------
// Rate limiting of failed attempts per peer address.

class RateLimitTest : public SecurityServerTest {
 protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(StartTlsServer()); }
};

TEST_F(RateLimitTest, AfterTwentyFailuresEvenAValidTokenIsResourceExhausted) {
  EnrollAgent("gw-5west-01");
  const std::string forged = ForgedSecret();
  for (int i = 0; i < 19; ++i) {
    ASSERT_EQ(ListTokens(forged).error_code(), grpc::StatusCode::UNAUTHENTICATED) << "attempt " << i + 1;
  }
  EXPECT_TRUE(ListTokens(admin_secret_).ok()) << "19 failures are still under the limit";
  ASSERT_EQ(ListTokens(forged).error_code(), grpc::StatusCode::UNAUTHENTICATED) << "attempt 20";

  grpc::Status status = ListTokens(admin_secret_);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
  // Every caller from this address is held off, agents included.
  grpc::Status agent = Report(AgentChannel(Pki::Shared().agent("gw-5west-01")), "gw-5west-01", "PT-00042", 1);
  EXPECT_EQ(agent.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << agent.error_message();
}

TEST_F(RateLimitTest, WrongRoleAttemptsCountAsFailures) {
  const std::string viewer = CreateToken("vera.viewer", v1::ROLE_VIEWER).secret();
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(ListTokens(viewer).error_code(), grpc::StatusCode::PERMISSION_DENIED) << "attempt " << i + 1;
  }
  EXPECT_EQ(ListTokens(admin_secret_).error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
}

TEST_F(RateLimitTest, ThrottleLiftsAfterTheWindow) {
  const std::string forged = ForgedSecret();
  for (int i = 0; i < 20; ++i) ASSERT_EQ(ListTokens(forged).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  ASSERT_EQ(ListTokens(admin_secret_).error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  clock_.Advance(absl::Seconds(30));
  EXPECT_EQ(ListTokens(admin_secret_).error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << "still in the window";
  clock_.Advance(absl::Seconds(31));
  grpc::Status status = ListTokens(admin_secret_);
  EXPECT_TRUE(status.ok()) << status.error_code() << " " << status.error_message();
}

}  // namespace
}  // namespace pumptrack::security_testing
