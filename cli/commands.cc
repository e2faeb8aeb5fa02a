#include "cli/commands.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>

#include "cli/errors.h"
#include "cli/json.h"

namespace pumptrack::cli {

namespace {

constexpr std::size_t kMaxPageSize = 1000;

bool Reached(const std::optional<std::size_t>& limit, std::size_t count) { return limit && count >= *limit; }

// With a limit below the server's default page size, ask for no more than needed.
int32_t PageSizeFor(int32_t requested, const std::optional<std::size_t>& limit) {
  if (requested != 0 || !limit) return requested;
  return static_cast<int32_t>(std::min(*limit, kMaxPageSize));
}

// Calls `fetch_page(page_token)` from the first page on, moving each page's items (`take_items(page)`) into the result,
// until the last page or until `limit` items are collected.
template <typename Item, typename Response, typename FetchPage, typename TakeItems>
absl::StatusOr<std::vector<Item>> CollectPages(const std::optional<std::size_t>& limit, FetchPage fetch_page,
                                               TakeItems take_items) {
  std::vector<Item> items;
  std::string page_token;
  while (true) {
    absl::StatusOr<Response> page = fetch_page(page_token);
    if (!page.ok()) return page.status();
    for (Item& item : take_items(*page)) {
      if (Reached(limit, items.size())) break;
      items.push_back(std::move(item));
    }
    if (Reached(limit, items.size()) || page->next_page_token().empty()) return items;
    if (page->next_page_token() == page_token) {
      return absl::InternalError("the server returned the same page token twice; stopping");
    }
    page_token = page->next_page_token();
  }
}

}  // namespace

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
  absl::StatusOr<std::vector<v1::Device>> devices = FetchDevices(context.stub, context.connection, options);
  if (!devices.ok()) return devices.status();
  if (context.format == OutputFormat::kJson) return PrintJsonArrayOf(*devices, context.out);
  if (devices->empty()) {
    context.out << "No devices found.\n";
  } else {
    PrintDeviceTable(*devices, context.now, context.out);
  }
  return absl::OkStatus();
}

absl::Status GetDevice(const CommandContext& context, const v1::DeviceKey& device) {
  v1::GetDeviceRequest request;
  *request.mutable_device() = device;
  v1::Device found;
  const grpc::Status status = context.stub.GetDevice(NewCallContext(context.connection).get(), request, &found);
  if (!status.ok()) return FromRpcStatus(status, DescribeDevice(device), context.connection);
  if (context.format == OutputFormat::kJson) return PrintJson(found, context.out);
  PrintDeviceDetails(found, context.now, context.out);
  return absl::OkStatus();
}

absl::Status ShowHistory(const CommandContext& context, const HistoryOptions& options) {
  absl::StatusOr<std::vector<v1::HistoryEntry>> entries = FetchHistory(context.stub, context.connection, options);
  if (!entries.ok()) return entries.status();
  if (context.format == OutputFormat::kJson) return PrintJsonArrayOf(*entries, context.out);
  if (entries->empty()) {
    context.out << "No changes found.\n";
  } else {
    PrintHistoryTable(*entries, context.out);
  }
  return absl::OkStatus();
}

absl::Status Locate(const CommandContext& context, const v1::DeviceKey& device) {
  v1::LocateRequest request;
  *request.mutable_device() = device;
  v1::LocateResponse located;
  const grpc::Status status = context.stub.Locate(NewCallContext(context.connection).get(), request, &located);
  if (!status.ok()) return FromRpcStatus(status, DescribeDevice(device), context.connection);
  if (context.format == OutputFormat::kJson) return PrintJson(located, context.out);
  context.out << FormatLocateLine(located, context.now) << '\n';
  return absl::OkStatus();
}

}  // namespace pumptrack::cli
