// The CLI's inventory commands (see security_commands.h for tokens, agents and audit). Each one calls the service
// through an injected stub and prints its result to an injected stream; on failure it returns the error and prints
// nothing.
#pragma once

#include <cstddef>
#include <optional>
#include <ostream>
#include <span>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cli/connection.h"
#include "cli/csv.h"
#include "cli/format.h"
#include "cli/json.h"
#include "pumptrack/v1/inventory_service.grpc.pb.h"

namespace pumptrack::cli {

// What every command needs: a stub of one service (e.g. v1::InventoryService). The referenced objects must outlive the
// command call.
template <typename Service>
struct ServiceContext {
  typename Service::StubInterface& stub;
  // For per-call deadlines and for naming the server in errors.
  const ConnectionOptions& connection;
  OutputFormat format = OutputFormat::kTable;
  // The reference for relative ages ("12s ago").
  absl::Time now;
  std::ostream& out;
};

using CommandContext = ServiceContext<v1::InventoryService>;

// How a list command prints `items`: a JSON array with --output=json; CSV in `csv_columns`' order with --output=csv (a
// header row, even when there are no items); else the line `empty` when there are none, or what `print_table(items)`
// prints. Fails only if JSON conversion fails (then prints nothing).
template <typename Service, typename Item, typename PrintTable>
absl::Status PrintList(const ServiceContext<Service>& context, const std::vector<Item>& items, absl::string_view empty,
                       PrintTable print_table, std::span<const CsvColumn<Item>> csv_columns) {
  if (context.format == OutputFormat::kJson) return PrintJsonArrayOf(items, context.out);
  if (context.format == OutputFormat::kCsv) {
    PrintCsv(csv_columns, std::span<const Item>(items), context.out);
    return absl::OkStatus();
  }
  if (items.empty()) {
    context.out << empty << '\n';
  } else {
    print_table(items);
  }
  return absl::OkStatus();
}

struct ListDevicesOptions {
  // The filters and page size to send; the page token is managed by the command.
  v1::ListDevicesRequest filter;
  // Stop after this many devices; unset means every page.
  std::optional<std::size_t> limit = std::nullopt;
};

struct HistoryOptions {
  v1::DeviceKey device;
  // Inclusive; unset means the beginning of retention.
  std::optional<absl::Time> start = std::nullopt;
  // Exclusive; unset means now.
  std::optional<absl::Time> end = std::nullopt;
  // Stop after this many entries (newest first); unset means every page.
  std::optional<std::size_t> limit = std::nullopt;
};

// Every matching device in asset-tag order, following next_page_token until the last page or `options.limit`.
// Fails with the first failed page's error (see FromRpcStatus), or INTERNAL if the server repeats a page token.
absl::StatusOr<std::vector<v1::Device>> FetchDevices(v1::InventoryService::StubInterface& stub,
                                                     const ConnectionOptions& connection,
                                                     const ListDevicesOptions& options);

// A device's history entries, newest first, across pages; fails like FetchDevices.
absl::StatusOr<std::vector<v1::HistoryEntry>> FetchHistory(v1::InventoryService::StubInterface& stub,
                                                           const ConnectionOptions& connection,
                                                           const HistoryOptions& options);

// `devices list`: a table, or a JSON array of Device.
absl::Status ListDevices(const CommandContext& context, const ListDevicesOptions& options);

// `devices get`: a key: value block, or one Device as JSON. NOT_FOUND reads "device PT-09999 not found". A device whose
// custody state is unset is shown (and printed as JSON) as CUSTODY_STATE_AVAILABLE, which is what unset means.
absl::Status GetDevice(const CommandContext& context, const v1::DeviceKey& device);

// `devices history`: a table, or a JSON array of HistoryEntry.
absl::Status ShowHistory(const CommandContext& context, const HistoryOptions& options);

// `locate`: one line, or one LocateResponse as JSON.
absl::Status Locate(const CommandContext& context, const v1::DeviceKey& device);

}  // namespace pumptrack::cli
