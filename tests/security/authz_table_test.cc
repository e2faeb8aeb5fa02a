// The permission table in service/authz.h against the service descriptors: every RPC of every pumptrack.v1 service
// is declared exactly once, nothing else is, agents' methods need an agent, and people's methods never do.
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "gtest/gtest.h"
#include "pumptrack/v1/advisory.pb.h"
#include "pumptrack/v1/agent_registry.grpc.pb.h"
#include "pumptrack/v1/agent_service.grpc.pb.h"
#include "pumptrack/v1/audit.grpc.pb.h"
#include "pumptrack/v1/auth.grpc.pb.h"
#include "pumptrack/v1/backup.grpc.pb.h"
#include "pumptrack/v1/custody.grpc.pb.h"
#include "pumptrack/v1/inventory_service.grpc.pb.h"
#include "pumptrack/v1/maintenance.grpc.pb.h"
#include "service/authz.h"

#ifndef PUMPTRACK_V1_PROTO_FILES
#error "PUMPTRACK_V1_PROTO_FILES must list the pumptrack/v1 .proto files (comma-separated)"
#endif

namespace pumptrack::service {
namespace {

// Every service of package pumptrack.v1, from every .proto file in proto/pumptrack/v1 (globbed at configure time, so
// a new file or service is covered without editing this test).
std::vector<const google::protobuf::ServiceDescriptor*> PumptrackServices() {
  // Touch one message of each generated file so it is linked in and registered in the generated pool.
  (void)v1::Device::descriptor();
  (void)v1::ReportRequest::descriptor();
  (void)v1::GetDeviceRequest::descriptor();
  (void)v1::Token::descriptor();
  (void)v1::Agent::descriptor();
  (void)v1::AuditEntry::descriptor();
  (void)v1::Backup::descriptor();
  (void)v1::CustodyEvent::descriptor();
  (void)v1::Advisory::descriptor();
  (void)v1::MaintenanceRecord::descriptor();
  const google::protobuf::DescriptorPool* pool = google::protobuf::DescriptorPool::generated_pool();
  std::vector<const google::protobuf::ServiceDescriptor*> services;
  for (absl::string_view file_name : absl::StrSplit(PUMPTRACK_V1_PROTO_FILES, ',', absl::SkipEmpty())) {
    const google::protobuf::FileDescriptor* file = pool->FindFileByName(std::string(file_name));
    EXPECT_NE(file, nullptr) << file_name << " is not linked into pumptrack::proto";
    if (file == nullptr) continue;
    EXPECT_EQ(file->package(), "pumptrack.v1") << file_name;
    for (int i = 0; i < file->service_count(); ++i) services.push_back(file->service(i));
  }
  return services;
}

std::string FullMethodName(const google::protobuf::MethodDescriptor* method) {
  return "/" + method->service()->full_name() + "/" + method->name();
}

TEST(AuthzTableTest, EveryMethodOfEveryPumptrackServiceAppearsExactlyOnce) {
  std::map<std::string, int> declared;
  for (const MethodPermission& entry : kMethodPermissions) ++declared[std::string(entry.method)];

  const std::vector<const google::protobuf::ServiceDescriptor*> services = PumptrackServices();
  std::set<std::string> service_names;
  for (const auto* service : services) service_names.insert(service->full_name());
  EXPECT_THAT(service_names, ::testing::IsSupersetOf({"pumptrack.v1.AgentService", "pumptrack.v1.InventoryService",
                                                      "pumptrack.v1.TokenService", "pumptrack.v1.AgentRegistryService",
                                                      "pumptrack.v1.AuditService"}));
  std::set<std::string> methods;
  for (const auto* service : services) {
    for (int i = 0; i < service->method_count(); ++i) {
      const std::string name = FullMethodName(service->method(i));
      methods.insert(name);
      EXPECT_EQ(declared[name], 1) << name << " must appear in kMethodPermissions exactly once";
    }
  }
  // And the table names nothing that does not exist (a typo would leave the real method refused).
  for (const MethodPermission& entry : kMethodPermissions) {
    EXPECT_TRUE(methods.contains(std::string(entry.method))) << entry.method << " is not a pumptrack.v1 method";
  }
  EXPECT_EQ(methods.size(), kMethodPermissions.size());
}

TEST(AuthzTableTest, AgentServiceMethodsAndOnlyThoseNeedAnAgent) {
  const google::protobuf::ServiceDescriptor* agent_service =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(v1::AgentService::service_full_name());
  ASSERT_NE(agent_service, nullptr);
  for (const MethodPermission& entry : kMethodPermissions) {
    const bool is_agent_method = absl::StartsWith(entry.method, "/" + agent_service->full_name() + "/");
    EXPECT_EQ(entry.permission == Permission::kAgent, is_agent_method) << entry.method;
  }
  for (int i = 0; i < agent_service->method_count(); ++i) {
    absl::StatusOr<Permission> permission = PermissionFor(FullMethodName(agent_service->method(i)));
    ASSERT_TRUE(permission.ok()) << permission.status();
    EXPECT_EQ(*permission, Permission::kAgent);
  }
}

TEST(AuthzTableTest, NoRoleGrantsTheAgentPermission) {
  for (int role = v1::Role_MIN; role <= v1::Role_MAX; ++role) {
    EXPECT_FALSE(RoleGrants(static_cast<v1::Role>(role), Permission::kAgent)) << v1::Role_Name(role);
  }
}

TEST(AuthzTableTest, UnspecifiedRoleGrantsNothing) {
  for (Permission permission :
       {Permission::kAgent, Permission::kView, Permission::kTransport, Permission::kManageAssets, Permission::kAudit,
        Permission::kAdminister, Permission::kRecordMaintenance}) {
    EXPECT_FALSE(RoleGrants(v1::ROLE_UNSPECIFIED, permission));
    EXPECT_FALSE(RoleGrants(static_cast<v1::Role>(99), permission)) << "an unknown role value grants something";
  }
}

TEST(AuthzTableTest, TechnicianViewsAndRecordsMaintenanceOnly) {
  EXPECT_TRUE(RoleGrants(v1::ROLE_TECHNICIAN, Permission::kView));
  EXPECT_TRUE(RoleGrants(v1::ROLE_TECHNICIAN, Permission::kRecordMaintenance));
  for (Permission permission : {Permission::kAgent, Permission::kTransport, Permission::kManageAssets,
                                Permission::kAudit, Permission::kAdminister}) {
    EXPECT_FALSE(RoleGrants(v1::ROLE_TECHNICIAN, permission));
  }
  // Recording maintenance: technician, asset manager and admin; not viewer, transport or auditor.
  EXPECT_TRUE(RoleGrants(v1::ROLE_ASSET_MANAGER, Permission::kRecordMaintenance));
  EXPECT_TRUE(RoleGrants(v1::ROLE_ADMIN, Permission::kRecordMaintenance));
  EXPECT_FALSE(RoleGrants(v1::ROLE_VIEWER, Permission::kRecordMaintenance));
  EXPECT_FALSE(RoleGrants(v1::ROLE_TRANSPORT, Permission::kRecordMaintenance));
  EXPECT_FALSE(RoleGrants(v1::ROLE_AUDITOR, Permission::kRecordMaintenance));
}

TEST(AuthzTableTest, UnknownMethodFailsClosed) {
  for (const char* method :
       {"/pumptrack.v1.AgentService/Unknown", "/pumptrack.v1.Backdoor/Open", "",
        "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", "/pumptrack.v1.TokenService/ListTokens/"}) {
    absl::StatusOr<Permission> permission = PermissionFor(method);
    EXPECT_EQ(permission.status().code(), absl::StatusCode::kInternal) << method;
  }
}

}  // namespace
}  // namespace pumptrack::service

namespace pumptrack::service {
namespace {

// #21: exactly one method needs no token, and it is the sign-in.
TEST(AuthzTableTest, OnlySignInIsOpenToAnyone) {
  for (const MethodPermission& entry : kMethodPermissions) {
    EXPECT_EQ(entry.permission == Permission::kAnyone, entry.method == "/pumptrack.v1.AuthService/SignIn")
        << entry.method;
  }
  EXPECT_FALSE(RoleGrants(v1::ROLE_UNSPECIFIED, Permission::kAnyPerson));
  EXPECT_TRUE(RoleGrants(v1::ROLE_AUDITOR, Permission::kAnyPerson));
}

}  // namespace
}  // namespace pumptrack::service
