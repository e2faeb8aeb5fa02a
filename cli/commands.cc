#include "cli/commands.h"

#include <string>
#include <utility>

#include "cli/csv_columns.h"
#include "cli/errors.h"
#include "cli/json.h"
#include "cli/paging.h"
#include "cli/table.h"
#include "common/status_macros.h"

namespace pumptrack::cli {

absl::StatusOr<std::vector<v1::Device>> FetchDevices(v1::InventoryService::StubInterface& stub,
                                                     const ConnectionOptions& connection,
                                                     const ListDevicesOptions& options) {
  v1::ListDevicesRequest request = options.filter;
  request.set_page_size(PageSizeFor(request.page_size(), options.limit));
  auto fetch_page = [&](const std::string& page_token) -> absl::StatusOr<v1::ListDevicesResponse> {
    request.set_page_token(page_token);
    v1::ListDevicesResponse page;
    const grpc::Status status = stub.ListDevices(NewCallContext(connection).get(), request, &page);
    if (!status.ok()) return FromRpcStatus(status, "device list", connection);
    return page;
  };
  auto take_devices = [](v1::ListDevicesResponse & page) -> auto& { return *page.mutable_devices(); };
  return CollectPages<v1::Device, v1::ListDevicesResponse>(options.limit, fetch_page, take_devices);
}

absl::StatusOr<std::vector<v1::HistoryEntry>> FetchHistory(v1::InventoryService::StubInterface& stub,
                                                           const ConnectionOptions& connection,
                                                           const HistoryOptions& options) {
  v1::GetDeviceHistoryRequest request;
  *request.mutable_device() = options.device;
  if (options.start) *request.mutable_start_time() = ToProtoTimestamp(*options.start);
  if (options.end) *request.mutable_end_time() = ToProtoTimestamp(*options.end);
  request.set_page_size(PageSizeFor(0, options.limit));
  auto fetch_page = [&](const std::string& page_token) -> absl::StatusOr<v1::GetDeviceHistoryResponse> {
    request.set_page_token(page_token);
    v1::GetDeviceHistoryResponse page;
    const grpc::Status status = stub.GetDeviceHistory(NewCallContext(connection).get(), request, &page);
    if (!status.ok()) return FromRpcStatus(status, DescribeDevice(options.device), connection);
    return page;
  };
  auto take_entries = [](v1::GetDeviceHistoryResponse & page) -> auto& { return *page.mutable_entries(); };
  return CollectPages<v1::HistoryEntry, v1::GetDeviceHistoryResponse>(options.limit, fetch_page, take_entries);
}

absl::Status ListDevices(const CommandContext& context, const ListDevicesOptions& options) {
  ASSIGN_OR_RETURN(std::vector<v1::Device> devices, FetchDevices(context.stub, context.connection, options));
  return PrintList(
      context, devices, "No devices found.",
      [&](const auto& items) { PrintDeviceTable(items, context.now, context.out); }, std::span(DeviceCsvColumns()));
}

absl::Status GetDevice(const CommandContext& context, const v1::DeviceKey& device) {
  v1::GetDeviceRequest request;
  *request.mutable_device() = device;
  v1::Device found;
  const grpc::Status status = context.stub.GetDevice(NewCallContext(context.connection).get(), request, &found);
  if (!status.ok()) return FromRpcStatus(status, DescribeDevice(device), context.connection);
  // device.proto: a pump nobody has recorded anything for is AVAILABLE. Said outright, so JSON always has custody.
  if (found.custody().state() == v1::CUSTODY_STATE_UNSPECIFIED) {
    found.mutable_custody()->set_state(v1::CUSTODY_STATE_AVAILABLE);
  }
  if (context.format == OutputFormat::kJson) return PrintJson(found, context.out);
  PrintDeviceDetails(found, context.now, context.out);
  return absl::OkStatus();
}

absl::Status ShowHistory(const CommandContext& context, const HistoryOptions& options) {
  ASSIGN_OR_RETURN(std::vector<v1::HistoryEntry> entries, FetchHistory(context.stub, context.connection, options));
  return PrintList(
      context, entries, "No changes found.", [&](const auto& items) { PrintHistoryTable(items, context.out); },
      std::span(HistoryCsvColumns()));
}

absl::Status Locate(const CommandContext& context, const v1::DeviceKey& device) {
  v1::LocateRequest request;
  *request.mutable_device() = device;
  v1::LocateResponse located;
  const grpc::Status status = context.stub.Locate(NewCallContext(context.connection).get(), request, &located);
  if (!status.ok()) return FromRpcStatus(status, DescribeDevice(device), context.connection);
  if (context.format == OutputFormat::kJson) return PrintJson(located, context.out);
  context.out << Printable(FormatLocateLine(located, context.now)) << '\n';
  return absl::OkStatus();
}

}  // namespace pumptrack::cli
