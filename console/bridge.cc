#include "console/bridge.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "console/http_status.h"
#include "console/json_fields.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/message.h"
#include "grpcpp/client_context.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/impl/codegen/proto_utils.h"
#include "pumptrack/v1/advisory.grpc.pb.h"
#include "pumptrack/v1/audit.grpc.pb.h"
#include "pumptrack/v1/custody.grpc.pb.h"
#include "pumptrack/v1/finding.grpc.pb.h"
#include "pumptrack/v1/inventory_service.grpc.pb.h"
#include "pumptrack/v1/maintenance.grpc.pb.h"
#include "pumptrack/v1/policy.grpc.pb.h"
#include "pumptrack/v1/report.grpc.pb.h"

namespace pumptrack::console {
namespace {

using google::protobuf::DescriptorPool;
using google::protobuf::MethodDescriptor;
using google::protobuf::ServiceDescriptor;

// Whole services (their unary methods), and single methods, the page may call.
constexpr absl::string_view kServices[] = {"pumptrack.v1.InventoryService", "pumptrack.v1.FindingService",
                                           "pumptrack.v1.CustodyService", "pumptrack.v1.AuditService"};
constexpr absl::string_view kMethods[] = {
    "pumptrack.v1.PolicyService/GetPolicy", "pumptrack.v1.AuthService/SignIn", "pumptrack.v1.AuthService/SignOut",
    "pumptrack.v1.AdvisoryService/ListAdvisories", "pumptrack.v1.AdvisoryService/GetAdvisory",
    "pumptrack.v1.AdvisoryService/ListAffectedDevices",
    // Read-only clinical engineering views (#19): utilization per unit, pumps due or overdue for maintenance.
    "pumptrack.v1.ReportService/GetUtilization", "pumptrack.v1.MaintenanceService/ListDue"};

bool Unary(const MethodDescriptor& method) { return !method.client_streaming() && !method.server_streaming(); }

std::string NameOf(const MethodDescriptor& method) {
  return absl::StrCat(method.service()->full_name(), "/", method.name());
}

// Every allowed method that the linked descriptor pool knows.
std::vector<const MethodDescriptor*> AllowedMethods() {
  // The generated pool only holds files whose code is linked and initialised: touch one message of each.
  (void)v1::LocateRequest::descriptor();
  (void)v1::ListFindingsRequest::descriptor();
  (void)v1::CheckOutRequest::descriptor();
  (void)v1::ListAuditRequest::descriptor();
  (void)v1::GetPolicyRequest::descriptor();
  (void)v1::ListAdvisoriesRequest::descriptor();
  (void)v1::GetUtilizationRequest::descriptor();
  (void)v1::ListDueRequest::descriptor();
  const DescriptorPool* pool = DescriptorPool::generated_pool();
  std::vector<const MethodDescriptor*> allowed;
  for (absl::string_view name : kServices) {
    const ServiceDescriptor* service = pool->FindServiceByName(std::string(name));
    if (service == nullptr) continue;
    for (int i = 0; i < service->method_count(); ++i) {
      if (Unary(*service->method(i))) allowed.push_back(service->method(i));
    }
  }
  for (absl::string_view name : kMethods) {
    const std::size_t slash = name.find('/');
    const ServiceDescriptor* service = pool->FindServiceByName(std::string(name.substr(0, slash)));
    if (service == nullptr) continue;
    const MethodDescriptor* method = service->FindMethodByName(std::string(name.substr(slash + 1)));
    if (method != nullptr && Unary(*method)) allowed.push_back(method);
  }
  return allowed;
}

using GenericStub = grpc::TemplatedGenericStub<google::protobuf::Message, google::protobuf::Message>;

}  // namespace

std::vector<std::string> Bridge::AllowList() {
  std::vector<std::string> names;
  for (const MethodDescriptor* method : AllowedMethods()) names.push_back(NameOf(*method));
  return names;
}

Bridge::Bridge(std::shared_ptr<grpc::Channel> channel, absl::Duration deadline)
    : channel_(std::move(channel)), deadline_(deadline) {
  for (const MethodDescriptor* method : AllowedMethods()) {
    methods_.emplace(NameOf(*method),
                     Method{absl::StrCat("/", NameOf(*method)), method->input_type(), method->output_type()});
  }
}

bool Bridge::Allows(absl::string_view method) const { return methods_.contains(method); }

HttpReply Bridge::Call(absl::string_view method_name, absl::string_view authorization, absl::string_view json_body,
                       absl::string_view client) const {
  auto it = methods_.find(method_name);
  if (it == methods_.end()) {
    return {404, ErrorJson(grpc::StatusCode::NOT_FOUND, "no such API method", "")};
  }
  const Method& method = it->second;
  google::protobuf::MessageFactory* factory = google::protobuf::MessageFactory::generated_factory();
  std::unique_ptr<google::protobuf::Message> request(factory->GetPrototype(method.request)->New());
  std::unique_ptr<google::protobuf::Message> response(factory->GetPrototype(method.response)->New());
  if (absl::Status parsed = ParseJsonRequest(json_body, *request); !parsed.ok()) {
    return {400, ErrorJson(grpc::StatusCode::INVALID_ARGUMENT, parsed.message(), FieldOf(parsed.message()))};
  }

  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + deadline_));
  if (!authorization.empty()) context.AddMetadata("authorization", std::string(authorization));
  if (!client.empty()) context.AddMetadata("x-pumptrack-console-client", std::string(client));
  GenericStub stub(channel_);
  absl::Notification done;
  grpc::Status status;
  stub.UnaryCall(&context, method.path, grpc::StubOptions(), request.get(), response.get(), [&](grpc::Status s) {
    status = std::move(s);
    done.Notify();
  });
  done.WaitForNotification();
  if (!status.ok()) {
    const std::string& message = status.error_message();
    const std::string field =
        status.error_code() == grpc::StatusCode::INVALID_ARGUMENT ? FieldOf(message) : std::string();
    return {HttpStatusFor(status.error_code()), ErrorJson(status.error_code(), message, field)};
  }
  return {200, ToJson(*response)};
}

}  // namespace pumptrack::console
