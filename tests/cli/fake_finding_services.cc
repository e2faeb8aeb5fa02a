#include "tests/cli/fake_finding_services.h"

#include <algorithm>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cli/format.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "tests/cli/fake_inventory_service.h"

namespace pumptrack::cli::testing {

namespace {

constexpr int kDefaultPageSize = 100;

bool Matches(const v1::ListFindingsRequest& filter, const v1::Finding& finding) {
  auto matches = [](const std::string& wanted, const std::string& actual) {
    return wanted.empty() || wanted == actual;
  };
  const bool state_matches = filter.state() == v1::FINDING_STATE_UNSPECIFIED
                                 ? finding.state() != v1::FINDING_STATE_RESOLVED
                                 : finding.state() == filter.state();
  return state_matches && (filter.kind() == v1::FINDING_KIND_UNSPECIFIED || filter.kind() == finding.kind()) &&
         (filter.severity() == v1::SEVERITY_UNSPECIFIED || filter.severity() == finding.severity()) &&
         matches(filter.facility(), finding.facility()) && matches(filter.unit(), finding.unit()) &&
         matches(filter.asset_tag(), finding.asset_tag());
}

class FirstError final : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, google::protobuf::io::ColumnNumber column, const std::string& message) override {
    if (error.empty()) error = absl::StrCat("line ", line + 1, ", column ", column + 1, ": ", message);
  }
  std::string error;
};

// The policy in `text`, or INVALID_ARGUMENT naming the first bad line.
grpc::Status Parse(const std::string& text, v1::Policy& policy) {
  google::protobuf::TextFormat::Parser parser;
  FirstError errors;
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFromString(text, &policy)) return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, errors.error);
  return grpc::Status::OK;
}

}  // namespace

// --- FakeFindingService ----------------------------------------------------------------------------------------------

void FakeFindingService::SetFindings(std::vector<v1::Finding> findings) {
  std::lock_guard lock(mutex_);
  findings_ = std::move(findings);
}

void FakeFindingService::SetEvents(std::vector<v1::FindingEvent> events, grpc::Status end) {
  std::lock_guard lock(mutex_);
  events_ = std::move(events);
  events_end_ = std::move(end);
}

void FakeFindingService::SetRisk(const v1::GetRiskResponse& risk) {
  std::lock_guard lock(mutex_);
  risk_ = risk;
}

std::vector<v1::ListFindingsRequest> FakeFindingService::list_requests() const {
  std::lock_guard lock(mutex_);
  return list_requests_;
}

std::vector<v1::AcknowledgeFindingRequest> FakeFindingService::ack_requests() const {
  std::lock_guard lock(mutex_);
  return ack_requests_;
}

std::vector<v1::WatchFindingsRequest> FakeFindingService::watch_requests() const {
  std::lock_guard lock(mutex_);
  return watch_requests_;
}

std::vector<v1::GetRiskRequest> FakeFindingService::risk_requests() const {
  std::lock_guard lock(mutex_);
  return risk_requests_;
}

grpc::Status FakeFindingService::ListFindings(grpc::ServerContext* context, const v1::ListFindingsRequest* request,
                                              v1::ListFindingsResponse* response) {
  if (grpc::Status auth = auth_.Check(*context); !auth.ok()) return auth;
  std::lock_guard lock(mutex_);
  list_requests_.push_back(*request);
  std::vector<const v1::Finding*> matching;
  for (const v1::Finding& finding : findings_) {
    if (Matches(*request, finding)) matching.push_back(&finding);
  }
  std::size_t first = 0;
  if (!request->page_token().empty() && !absl::SimpleAtoi(request->page_token(), &first)) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "page_token: is malformed");
  }
  const std::size_t page_size = request->page_size() == 0 ? kDefaultPageSize : request->page_size();
  const std::size_t end = std::min(matching.size(), first + page_size);
  for (std::size_t i = first; i < end; ++i) *response->add_findings() = *matching[i];
  if (end < matching.size()) response->set_next_page_token(absl::StrCat(end));
  return grpc::Status::OK;
}

grpc::Status FakeFindingService::GetFinding(grpc::ServerContext* context, const v1::GetFindingRequest* request,
                                            v1::Finding* response) {
  if (grpc::Status auth = auth_.Check(*context); !auth.ok()) return auth;
  std::lock_guard lock(mutex_);
  for (const v1::Finding& finding : findings_) {
    if (finding.id() != request->id()) continue;
    *response = finding;
    return grpc::Status::OK;
  }
  return grpc::Status(grpc::StatusCode::NOT_FOUND, "no such finding");
}

grpc::Status FakeFindingService::AcknowledgeFinding(grpc::ServerContext* context,
                                                    const v1::AcknowledgeFindingRequest* request,
                                                    v1::Finding* response) {
  if (grpc::Status auth = auth_.Check(*context); !auth.ok()) return auth;
  std::lock_guard lock(mutex_);
  ack_requests_.push_back(*request);
  if (request->note().empty()) return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "note: must be 1-1024 bytes");
  for (v1::Finding& finding : findings_) {
    if (finding.id() != request->id()) continue;
    finding.set_state(finding.rule() == "tamper.sequence_gap" ? v1::FINDING_STATE_RESOLVED
                                                              : v1::FINDING_STATE_ACKNOWLEDGED);
    finding.set_acknowledged_by(kCallerName);
    finding.set_acknowledgement_note(request->note());
    *finding.mutable_acknowledged_at() = ToProtoTimestamp(TestNow());
    if (finding.state() == v1::FINDING_STATE_RESOLVED) *finding.mutable_resolved_at() = ToProtoTimestamp(TestNow());
    *response = finding;
    return grpc::Status::OK;
  }
  return grpc::Status(grpc::StatusCode::NOT_FOUND, "no such finding");
}

grpc::Status FakeFindingService::WatchFindings(grpc::ServerContext* context, const v1::WatchFindingsRequest* request,
                                               grpc::ServerWriter<v1::FindingEvent>* writer) {
  if (grpc::Status auth = auth_.Check(*context); !auth.ok()) return auth;
  std::vector<v1::FindingEvent> events;
  grpc::Status end;
  {
    std::lock_guard lock(mutex_);
    watch_requests_.push_back(*request);
    events = events_;
    end = events_end_;
  }
  for (const v1::FindingEvent& event : events) {
    const bool wanted = event.type() == v1::FindingEvent::TYPE_RESYNC ||
                        request->kind() == v1::FINDING_KIND_UNSPECIFIED || event.finding().kind() == request->kind();
    if (wanted && !writer->Write(event)) return grpc::Status(grpc::StatusCode::CANCELLED, "watcher went away");
  }
  return end;
}

grpc::Status FakeFindingService::GetRisk(grpc::ServerContext* context, const v1::GetRiskRequest* request,
                                         v1::GetRiskResponse* response) {
  if (grpc::Status auth = auth_.Check(*context); !auth.ok()) return auth;
  std::lock_guard lock(mutex_);
  risk_requests_.push_back(*request);
  *response = risk_;
  return grpc::Status::OK;
}

// --- FakePolicyService -----------------------------------------------------------------------------------------------

std::optional<std::string> FakePolicyService::applied_text() const {
  std::lock_guard lock(mutex_);
  if (!applied_) return std::nullopt;
  return applied_->text();
}

grpc::Status FakePolicyService::GetPolicy(grpc::ServerContext* context, const v1::GetPolicyRequest*,
                                          v1::PolicyInfo* response) {
  if (grpc::Status auth = auth_.Check(*context); !auth.ok()) return auth;
  std::lock_guard lock(mutex_);
  if (applied_) *response = *applied_;
  return grpc::Status::OK;
}

grpc::Status FakePolicyService::ValidatePolicy(grpc::ServerContext* context, const v1::ValidatePolicyRequest* request,
                                               v1::ValidatePolicyResponse* response) {
  if (grpc::Status auth = auth_.Check(*context); !auth.ok()) return auth;
  v1::Policy policy;
  if (grpc::Status parsed = Parse(request->text(), policy); !parsed.ok()) return parsed;
  response->set_digest(absl::StrCat("sha256:fake-", request->text().size()));
  response->set_units(static_cast<uint32_t>(policy.site().units_size()));
  response->set_models(static_cast<uint32_t>(policy.models_size()));
  return grpc::Status::OK;
}

grpc::Status FakePolicyService::SetPolicy(grpc::ServerContext* context, const v1::SetPolicyRequest* request,
                                          v1::PolicyInfo* response) {
  if (grpc::Status auth = auth_.Check(*context); !auth.ok()) return auth;
  v1::PolicyInfo info;
  if (grpc::Status parsed = Parse(request->text(), *info.mutable_policy()); !parsed.ok()) return parsed;
  info.set_text(request->text());
  info.set_digest(absl::StrCat("sha256:fake-", request->text().size()));
  *info.mutable_applied_at() = ToProtoTimestamp(TestNow());
  info.set_applied_by(kCallerName);
  std::lock_guard lock(mutex_);
  applied_ = info;
  *response = info;
  return grpc::Status::OK;
}

v1::Finding MakeFinding(const std::string& id, const std::string& asset_tag, v1::FindingKind kind,
                        const std::string& rule, v1::Severity severity, v1::FindingState state, const std::string& unit,
                        absl::Duration last_seen_ago) {
  v1::Finding finding;
  finding.set_id(id);
  finding.set_asset_tag(asset_tag);
  finding.set_kind(kind);
  finding.set_rule(rule);
  finding.set_severity(severity);
  finding.set_state(state);
  finding.set_reason(absl::StrCat("Reason for ", rule, "."));
  finding.set_facility("general");
  finding.set_unit(unit);
  *finding.mutable_first_seen_at() = ToProtoTimestamp(TestNow() - last_seen_ago - absl::Hours(1));
  *finding.mutable_last_seen_at() = ToProtoTimestamp(TestNow() - last_seen_ago);
  return finding;
}

}  // namespace pumptrack::cli::testing
