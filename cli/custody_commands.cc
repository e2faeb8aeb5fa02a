#include "cli/custody_commands.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "cli/csv_columns.h"
#include "cli/custody_format.h"
#include "cli/errors.h"
#include "cli/json.h"
#include "cli/paging.h"
#include "cli/table.h"
#include "common/status_macros.h"

namespace pumptrack::cli {

namespace {

// A unary CustodyService method that answers with a CustodyResult.
template <typename Request>
using CustodyAction = grpc::Status (v1::CustodyService::StubInterface::*)(grpc::ClientContext*, const Request&,
                                                                          v1::CustodyResult*);

std::string PumpSubject(const std::string& asset_tag) { return absl::StrCat("device ", asset_tag); }

// Calls `action` and prints its CustodyResult: as JSON, or through `print` for people.
template <typename Request>
absl::Status RunAction(const CustodyContext& context, CustodyAction<Request> action, const Request& request,
                       const std::function<void(const v1::CustodyResult&)>& print) {
  v1::CustodyResult result;
  const grpc::Status status = (context.stub.*action)(NewCallContext(context.connection).get(), request, &result);
  if (!status.ok()) return FromRpcStatus(status, PumpSubject(request.asset_tag()), context.connection);
  if (context.format == OutputFormat::kJson) return PrintJson(result, context.out);
  print(result);
  return absl::OkStatus();
}

// The actions whose outcome is one line with the new state.
template <typename Request>
absl::Status RunSimpleAction(const CustodyContext& context, CustodyAction<Request> action, const Request& request) {
  return RunAction(context, action, request, [&](const v1::CustodyResult& result) {
    context.out << FormatCustodyChanged(request.asset_tag(), result) << '\n';
  });
}

// A request of the actions that take a tag and a reason.
template <typename Request>
Request ReasonRequest(const CustodyChange& change) {
  Request request;
  request.set_asset_tag(change.asset_tag);
  request.set_reason(change.reason);
  return request;
}

}  // namespace

absl::Status CheckOut(const CustodyContext& context, const v1::CheckOutRequest& request) {
  return RunAction(context, &v1::CustodyService::StubInterface::CheckOut, request,
                   [&](const v1::CustodyResult& result) {
                     context.out << FormatCheckedOut(request.asset_tag(), result, context.now) << '\n';
                   });
}

absl::Status CheckIn(const CustodyContext& context, const v1::CheckInRequest& request) {
  return RunAction(context, &v1::CustodyService::StubInterface::CheckIn, request, [&](const v1::CustodyResult& result) {
    PrintCheckInOutcome(request.asset_tag(), result, context.out);
  });
}

absl::Status Quarantine(const CustodyContext& context, const CustodyChange& change) {
  return RunSimpleAction(context, &v1::CustodyService::StubInterface::Quarantine,
                         ReasonRequest<v1::QuarantineRequest>(change));
}

absl::Status Release(const CustodyContext& context, const CustodyChange& change) {
  v1::ReleaseRequest request;
  request.set_asset_tag(change.asset_tag);
  request.set_notes(change.reason);
  return RunSimpleAction(context, &v1::CustodyService::StubInterface::Release, request);
}

absl::Status SetMaintenance(const CustodyContext& context, const CustodyChange& change) {
  return RunSimpleAction(context, &v1::CustodyService::StubInterface::SetMaintenance,
                         ReasonRequest<v1::SetMaintenanceRequest>(change));
}

absl::Status Retire(const CustodyContext& context, const CustodyChange& change) {
  const auto request = ReasonRequest<v1::RetireRequest>(change);
  return RunAction(context, &v1::CustodyService::StubInterface::Retire, request,
                   [&](const v1::CustodyResult& result) { PrintRetired(request.asset_tag(), result, context.out); });
}

absl::StatusOr<std::vector<v1::CustodyEvent>> FetchCustodyHistory(v1::CustodyService::StubInterface& stub,
                                                                  const ConnectionOptions& connection,
                                                                  const std::string& asset_tag) {
  v1::GetCustodyHistoryRequest request;
  request.set_asset_tag(asset_tag);
  request.set_page_size(static_cast<int32_t>(kMaxPageSize));
  auto fetch_page = [&](const std::string& page_token) -> absl::StatusOr<v1::GetCustodyHistoryResponse> {
    request.set_page_token(page_token);
    v1::GetCustodyHistoryResponse page;
    const grpc::Status status = stub.GetCustodyHistory(NewCallContext(connection).get(), request, &page);
    if (!status.ok()) return FromRpcStatus(status, PumpSubject(asset_tag), connection);
    return page;
  };
  auto take_events = [](v1::GetCustodyHistoryResponse & page) -> auto& { return *page.mutable_events(); };
  return CollectPages<v1::CustodyEvent, v1::GetCustodyHistoryResponse>(std::nullopt, fetch_page, take_events);
}

absl::Status ShowCustodyHistory(const CustodyContext& context, const std::string& asset_tag) {
  ASSIGN_OR_RETURN(std::vector<v1::CustodyEvent> events,
                   FetchCustodyHistory(context.stub, context.connection, asset_tag));
  return PrintList(
      context, events, Printable(absl::StrCat("No custody events for ", asset_tag, ".")),
      [&](const auto& items) { PrintCustodyHistoryTable(items, context.out); }, std::span(CustodyEventCsvColumns()));
}

absl::Status ListCustody(const CustodyContext& context, bool overdue_only) {
  v1::ListCustodyRequest request;
  request.set_overdue_only(overdue_only);
  v1::ListCustodyResponse response;
  const grpc::Status status = context.stub.ListCustody(NewCallContext(context.connection).get(), request, &response);
  if (!status.ok()) return FromRpcStatus(status, "custody list", context.connection);
  const std::vector<v1::CheckedOutPump> checkouts(response.checkouts().begin(), response.checkouts().end());
  return PrintList(
      context, checkouts, overdue_only ? "No overdue check-outs." : "No pumps are checked out.",
      [&](const auto& items) { PrintCheckoutTable(items, context.now, context.out); }, std::span(CheckoutCsvColumns()));
}

absl::Status FindAvailable(const CustodyContext& context, const std::string& near_unit, int count) {
  v1::FindAvailableRequest request;
  request.set_near_unit(near_unit);
  request.set_count(count);
  v1::FindAvailableResponse response;
  const grpc::Status status = context.stub.FindAvailable(NewCallContext(context.connection).get(), request, &response);
  if (!status.ok()) return FromRpcStatus(status, absl::StrCat("unit ", near_unit), context.connection);
  if (context.format == OutputFormat::kJson) return PrintJson(response, context.out);
  if (context.format == OutputFormat::kCsv) {
    const std::vector<v1::AvailablePump> pumps(response.pumps().begin(), response.pumps().end());
    PrintCsv(std::span(AvailablePumpCsvColumns()), std::span<const v1::AvailablePump>(pumps), context.out);
    return absl::OkStatus();
  }
  if (response.pumps().empty()) {
    context.out << "No available pumps.\n";
  } else {
    const std::vector<v1::AvailablePump> pumps(response.pumps().begin(), response.pumps().end());
    PrintAvailableTable(pumps, context.now, context.out);
  }
  context.out << FormatParLevel(near_unit, response) << '\n';
  return absl::OkStatus();
}

}  // namespace pumptrack::cli
