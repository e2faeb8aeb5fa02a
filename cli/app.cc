#include "cli/app.h"

#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "cli/commands.h"
#include "cli/connection.h"
#include "cli/errors.h"
#include "cli/flags.h"

namespace pumptrack::cli {

namespace {

using Command = std::function<absl::Status(const CommandContext&)>;

// Everything the command line chose, filled in while CLI11 parses.
struct CommandLine {
  ConnectionOptions connection;
  OutputFormat format = OutputFormat::kTable;
  // Set by the chosen subcommand once its arguments are complete.
  Command command;
};

// The TAG argument and --serial option that name one device.
struct DeviceKeyArgs {
  std::string tag;
  std::string serial;
};

struct HistoryArgs {
  DeviceKeyArgs device;
  std::optional<absl::Duration> since;
  std::optional<absl::Time> start;
  std::optional<absl::Time> end;
  std::optional<std::size_t> limit;
};

// Adds an option whose text is converted by `parse` (returning absl::StatusOr<T>) and then handed to `store`. A parse
// failure becomes a CLI11 validation error that names the option.
template <typename Parse, typename Store>
CLI::Option* AddParsedOption(CLI::App& app, const std::string& name, const std::string& type_name,
                             const std::string& description, Parse parse, Store store) {
  auto parse_and_store = [name, parse, store](const std::string& text) {
    auto parsed = parse(text);
    if (!parsed.ok()) throw CLI::ValidationError(name, std::string(parsed.status().message()));
    store(*std::move(parsed));
  };
  return app.add_option_function<std::string>(name, parse_and_store, description)->type_name(type_name);
}

// A command-line usage error found after parsing; reported like CLI11's own.
[[noreturn]] void ThrowUsageError(const absl::Status& status) {
  throw CLI::ValidationError(std::string(status.message()));
}

v1::DeviceKey RequireDeviceKey(const DeviceKeyArgs& args) {
  absl::StatusOr<v1::DeviceKey> key = MakeDeviceKey(args.tag, args.serial);
  if (!key.ok()) ThrowUsageError(key.status());
  return *std::move(key);
}

void AddDeviceKeyArgs(CLI::App& command, DeviceKeyArgs& args) {
  CLI::Option* tag = command.add_option("TAG", args.tag, "Asset tag, e.g. PT-00042");
  CLI::Option* serial =
      command.add_option("--serial", args.serial, "Name the device by serial number instead")->type_name("SERIAL");
  tag->excludes(serial);
}

void AddGlobalOptions(CLI::App& app, CommandLine& line) {
  app.add_option("--server", line.connection.server, "Service address (default: $PUMPTRACK_SERVER)")
      ->type_name("HOST:PORT")
      ->capture_default_str();
  app.add_flag("--insecure", line.connection.insecure, "Plaintext connection instead of TLS (development only)");
  app.add_option("--ca", line.connection.ca_file, "PEM root certificates to verify the server's TLS certificate")
      ->type_name("FILE")
      ->check(CLI::ExistingFile);
  AddParsedOption(app, "--output", "table|json", "Output format: table or json", ParseOutputFormat,
                  [&line](OutputFormat format) { line.format = format; })
      ->default_str("table");
  AddParsedOption(app, "--timeout", "DURATION", "Deadline for each call, e.g. 10s or 500ms", ParsePositiveDuration,
                  [&line](absl::Duration timeout) { line.connection.timeout = timeout; })
      ->default_str(absl::FormatDuration(kDefaultTimeout));
}

void AddDevicesList(CLI::App& devices, CommandLine& line, ListDevicesOptions& options) {
  CLI::App* list = devices.add_subcommand("list", "List pumps matching every filter, in asset-tag order");
  v1::ListDevicesRequest& filter = options.filter;
  list->add_option_function<std::string>(
      "--facility", [&filter](const std::string& value) { filter.set_facility(value); }, "Only this facility");
  list->add_option_function<std::string>(
      "--unit", [&filter](const std::string& value) { filter.set_unit(value); }, "Only this unit (care area)");
  list->add_option_function<std::string>(
      "--model", [&filter](const std::string& value) { filter.set_model(value); }, "Only this model");
  list->add_option_function<std::string>(
      "--firmware", [&filter](const std::string& value) { filter.set_firmware_version(value); },
      "Only this firmware version");
  AddParsedOption(*list, "--state", "STATE", "Only pumps in this state: infusing, idle, alarm or off",
                  ParseOperatingState, [&filter](v1::OperatingState state) { filter.set_operating_state(state); });
  list->add_option_function<int>(
          "--page-size", [&filter](int size) { filter.set_page_size(size); },
          "Devices per request, 1-1000 (default: the server's, 100)")
      ->type_name("N")
      ->check(CLI::Range(1, 1000));
  CLI::Option* limit = list->add_option_function<std::size_t>(
                               "--limit", [&options](std::size_t limit) { options.limit = limit; },
                               "Print at most N devices (default: every page)")
                           ->type_name("N")
                           ->check(CLI::PositiveNumber);
  list->add_flag_callback(
          "--all", [] {}, "Fetch every page (the default)")
      ->excludes(limit);
  list->callback([&line, &options] {
    line.command = [options](const CommandContext& context) { return ListDevices(context, options); };
  });
}

void AddDevicesGet(CLI::App& devices, CommandLine& line, DeviceKeyArgs& key) {
  CLI::App* get = devices.add_subcommand("get", "Show everything known about one pump");
  AddDeviceKeyArgs(*get, key);
  get->callback([&line, &key] {
    line.command = [device = RequireDeviceKey(key)](const CommandContext& context) {
      return GetDevice(context, device);
    };
  });
}

void AddDevicesHistory(CLI::App& devices, CommandLine& line, HistoryArgs& args, absl::Time now) {
  CLI::App* history = devices.add_subcommand("history", "Show a pump's location and configuration changes");
  AddDeviceKeyArgs(*history, args.device);
  CLI::Option* since =
      AddParsedOption(*history, "--since", "DURATION", "Only changes within this long before now, e.g. 24h or 7d",
                      ParsePositiveDuration, [&args](absl::Duration since) { args.since = since; });
  CLI::Option* start = AddParsedOption(*history, "--start", "TIME", "Only changes at or after this RFC 3339 time",
                                       ParseRfc3339, [&args](absl::Time start) { args.start = start; });
  since->excludes(start);
  AddParsedOption(*history, "--end", "TIME", "Only changes before this RFC 3339 time", ParseRfc3339,
                  [&args](absl::Time end) { args.end = end; });
  history
      ->add_option_function<std::size_t>(
          "--limit", [&args](std::size_t limit) { args.limit = limit; }, "Print at most N changes, newest first")
      ->type_name("N")
      ->check(CLI::PositiveNumber);
  history->callback([&line, &args, now] {
    HistoryOptions options{.device = RequireDeviceKey(args.device),
                           .start = args.since ? std::optional(now - *args.since) : args.start,
                           .end = args.end,
                           .limit = args.limit};
    if (options.start && options.end && *options.start >= *options.end) {
      ThrowUsageError(absl::InvalidArgumentError("the time range is empty: its start is not before --end"));
    }
    line.command = [options](const CommandContext& context) { return ShowHistory(context, options); };
  });
}

void AddLocate(CLI::App& app, CommandLine& line, DeviceKeyArgs& key) {
  CLI::App* locate = app.add_subcommand("locate", "Say where a pump is, since when, and how sure");
  AddDeviceKeyArgs(*locate, key);
  locate->callback([&line, &key] {
    line.command = [device = RequireDeviceKey(key)](const CommandContext& context) { return Locate(context, device); };
  });
}

// Arguments bound to CLI11 options; they must outlive parsing.
struct Bindings {
  ListDevicesOptions list;
  DeviceKeyArgs device;
  HistoryArgs history;
};

void DefineCommandLine(CLI::App& app, const Environment& environment, CommandLine& line, Bindings& bindings) {
  // Let global options follow the subcommand too: `pumptrack devices list --output=json`.
  app.fallthrough();
  app.require_subcommand(1);
  AddGlobalOptions(app, line);

  CLI::App* devices = app.add_subcommand("devices", "Find and inspect pumps");
  devices->require_subcommand(1);
  AddDevicesList(*devices, line, bindings.list);
  AddDevicesGet(*devices, line, bindings.device);
  AddDevicesHistory(*devices, line, bindings.history, environment.now);
  AddLocate(app, line, bindings.device);
}

int Execute(const CommandLine& line, const Environment& environment, std::ostream& out, std::ostream& err) {
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = MakeChannel(line.connection);
  if (!channel.ok()) {
    err << ErrorLine(channel.status()) << '\n';
    return kExitFailure;
  }
  std::unique_ptr<v1::InventoryService::Stub> stub = v1::InventoryService::NewStub(*channel);
  const CommandContext context{
      .stub = *stub, .connection = line.connection, .format = line.format, .now = environment.now, .out = out};
  const absl::Status status = line.command(context);
  if (!status.ok()) {
    err << ErrorLine(status) << '\n';
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace

Environment Environment::FromProcess() {
  const char* server = std::getenv("PUMPTRACK_SERVER");
  return Environment{.server = server == nullptr ? "" : server, .now = absl::Now()};
}

int Run(int argc, const char* const* argv, const Environment& environment, std::ostream& out, std::ostream& err) {
  CommandLine line;
  if (!environment.server.empty()) line.connection.server = environment.server;
  Bindings bindings;
  CLI::App app("Find and inspect hospital infusion pumps tracked by pumptrack.", "pumptrack");
  DefineCommandLine(app, environment, line, bindings);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    // --help ends parsing with a "successful" error.
    if (error.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) return app.exit(error, out, err);
    err << UsageErrorLine(error.what()) << '\n';
    return kExitUsage;
  }
  return Execute(line, environment, out, err);
}

}  // namespace pumptrack::cli
