#include "cli/app.h"

#include <unistd.h>

#include <array>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/algorithm/container.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "cli/advisory_commands.h"
#include "cli/backup_commands.h"
#include "cli/cli_options.h"
#include "cli/commands.h"
#include "cli/connection.h"
#include "cli/custody_app.h"
#include "cli/errors.h"
#include "cli/export_commands.h"
#include "cli/finding_app.h"
#include "cli/finding_commands.h"
#include "cli/flags.h"
#include "cli/login_commands.h"
#include "cli/maintenance_app.h"
#include "cli/report_app.h"
#include "cli/security_commands.h"

namespace pumptrack::cli {

namespace {

// One context per service, all on one channel; the chosen command uses the one it needs.
struct Session {
  CommandContext inventory;
  TokenContext tokens;
  AgentContext agents;
  AuditContext audit;
  FindingContext findings;
  PolicyContext policy;
  BackupContext backups;
  CustodyContext custody;
  MaintenanceContext maintenance;
  AdvisoryContext advisories;
  AuthContext auth;
  ReportContext reports;
};

using Command = std::function<absl::StatusOr<ExitCode>(const Session&)>;

// For commands that either succeed or fail.
absl::StatusOr<ExitCode> Done(const absl::Status& status) {
  if (!status.ok()) return status;
  return kExitOk;
}

// Everything the command line chose, filled in while CLI11 parses.
struct CommandLine {
  ConnectionOptions connection;
  OutputFormat format = OutputFormat::kTable;
  // Whether --token was given (else the token, if any, came from PUMPTRACK_TOKEN).
  bool token_from_flag = false;
  // Set by the chosen subcommand once its arguments are complete.
  Command command;
};

// The TAG argument and --serial option that name one device.
struct DeviceKeyArgs {
  std::string tag;
  std::string serial;
};

// --since | --start, and --end.
struct TimeRangeArgs {
  std::optional<absl::Duration> since;
  std::optional<absl::Time> start;
  std::optional<absl::Time> end;
};

struct TimeRange {
  std::optional<absl::Time> start;
  std::optional<absl::Time> end;
};

struct HistoryArgs {
  DeviceKeyArgs device;
  TimeRangeArgs range;
  std::optional<std::size_t> limit;
};

struct AgentArgs {
  std::string agent_id;
  std::string note;
};

struct SetHomeArgs {
  DeviceKeyArgs device;
  std::string unit;
};

struct BackupArgs {
  std::string dir;
  std::uint32_t backup_id = 0;
};

struct AuditArgs {
  TimeRangeArgs range;
  std::string actor;
  std::optional<std::size_t> limit;
};

// A command-line usage error found after parsing; reported like CLI11's own.
[[noreturn]] void ThrowUsageError(const absl::Status& status) {
  throw CLI::ValidationError(std::string(status.message()));
}

v1::DeviceKey RequireDeviceKey(const DeviceKeyArgs& args) {
  absl::StatusOr<v1::DeviceKey> key = MakeDeviceKey(args.tag, args.serial);
  if (!key.ok()) ThrowUsageError(key.status());
  return *std::move(key);
}

// --since, --start and --end for a command that shows `what` ("changes", "entries") within a time range.
void AddTimeRangeOptions(CLI::App& command, TimeRangeArgs& args, const std::string& what) {
  CLI::Option* since = AddParsedOption(
      command, "--since", "DURATION", absl::StrCat("Only ", what, " within this long before now, e.g. 24h or 7d"),
      ParsePositiveDuration, [&args](absl::Duration duration) { args.since = duration; });
  CLI::Option* start =
      AddParsedOption(command, "--start", "TIME", absl::StrCat("Only ", what, " at or after this RFC 3339 time"),
                      ParseRfc3339, [&args](absl::Time time) { args.start = time; });
  since->excludes(start);
  AddParsedOption(command, "--end", "TIME", absl::StrCat("Only ", what, " before this RFC 3339 time"), ParseRfc3339,
                  [&args](absl::Time end) { args.end = end; });
}

// The range the options chose, with --since measured back from `now`. An empty range is a usage error.
TimeRange ResolveTimeRange(const TimeRangeArgs& args, absl::Time now) {
  TimeRange range{.start = args.since ? std::optional(now - *args.since) : args.start, .end = args.end};
  if (range.start && range.end && *range.start >= *range.end) {
    ThrowUsageError(absl::InvalidArgumentError("the time range is empty: its start is not before --end"));
  }
  return range;
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
  // No default shown and no validator: CLI11 would print the secret in help or in its error messages.
  app.add_option_function<std::string>(
         "--token",
         [&line](const std::string& token) {
           line.connection.token = token;
           line.token_from_flag = true;
         },
         "Bearer token secret sent with every call (default: $PUMPTRACK_TOKEN)")
      ->type_name("SECRET");
  AddParsedOption(app, "--output", "table|json|csv", "Output format: table, json, or csv (list commands)",
                  ParseOutputFormat, [&line](OutputFormat format) { line.format = format; })
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
  CLI::Option* limit = AddLimitOption(*list, "Print at most N devices (default: every page)", options.limit);
  list->add_flag_callback(
          "--all", [] {}, "Fetch every page (the default)")
      ->excludes(limit);
  list->callback([&line, &options] {
    line.command = [options](const Session& session) { return Done(ListDevices(session.inventory, options)); };
  });
}

void AddDevicesGet(CLI::App& devices, CommandLine& line, DeviceKeyArgs& key) {
  CLI::App* get = devices.add_subcommand("get", "Show everything known about one pump");
  AddDeviceKeyArgs(*get, key);
  get->callback([&line, &key] {
    line.command = [device = RequireDeviceKey(key)](const Session& session) {
      return Done(GetDevice(session.inventory, device));
    };
  });
}

void AddDevicesHistory(CLI::App& devices, CommandLine& line, HistoryArgs& args, absl::Time now) {
  CLI::App* history = devices.add_subcommand("history", "Show a pump's location and configuration changes");
  AddDeviceKeyArgs(*history, args.device);
  AddTimeRangeOptions(*history, args.range, "changes");
  AddLimitOption(*history, "Print at most N changes, newest first", args.limit);
  history->callback([&line, &args, now] {
    const TimeRange range = ResolveTimeRange(args.range, now);
    HistoryOptions options{
        .device = RequireDeviceKey(args.device), .start = range.start, .end = range.end, .limit = args.limit};
    line.command = [options](const Session& session) { return Done(ShowHistory(session.inventory, options)); };
  });
}

void AddDevicesSetHome(CLI::App& devices, CommandLine& line, SetHomeArgs& args) {
  CLI::App* set_home = devices.add_subcommand("set-home", "Assign a pump's home unit (role asset_manager)");
  AddDeviceKeyArgs(*set_home, args.device);
  set_home->add_option("--unit", args.unit, "A unit of the policy's site, e.g. 5-west")->type_name("UNIT")->required();
  set_home->callback([&line, &args] {
    line.command = [device = RequireDeviceKey(args.device), unit = args.unit](const Session& session) {
      return Done(SetDeviceHome(session.inventory, device, unit));
    };
  });
}

void AddLocate(CLI::App& app, CommandLine& line, DeviceKeyArgs& key) {
  CLI::App* locate = app.add_subcommand("locate", "Say where a pump is, since when, and how sure");
  AddDeviceKeyArgs(*locate, key);
  locate->callback([&line, &key] {
    line.command = [device = RequireDeviceKey(key)](const Session& session) {
      return Done(Locate(session.inventory, device));
    };
  });
}

// --- tokens ----------------------------------------------------------------------------------------------------------

void AddTokensCreate(CLI::App& tokens, CommandLine& line, CreateTokenOptions& options) {
  CLI::App* create =
      tokens.add_subcommand("create", "Create a bearer token; its secret is printed once, on the last line");
  create->add_option("--name", options.name, "Who or what the token is for, e.g. alice.biomed or grafana")
      ->type_name("NAME")
      ->required();
  AddParsedOption(*create, "--role", "ROLE", "viewer, transport, asset_manager, auditor, admin or technician",
                  ParseRole, [&options](v1::Role role) { options.role = role; })
      ->required();
  AddParsedOption(*create, "--ttl", "DURATION", "Valid for this long, e.g. 90d or 12h (default: no expiry)",
                  ParsePositiveDuration, [&options](absl::Duration ttl) { options.ttl = ttl; });
  create->callback([&line, &options] {
    line.command = [options](const Session& session) { return Done(CreateToken(session.tokens, options)); };
  });
}

void AddTokensList(CLI::App& tokens, CommandLine& line) {
  CLI::App* list = tokens.add_subcommand("list", "List every token, live, expired and revoked (never their secrets)");
  list->callback([&line] { line.command = [](const Session& session) { return Done(ListTokens(session.tokens)); }; });
}

void AddTokensRevoke(CLI::App& tokens, CommandLine& line, std::string& id) {
  CLI::App* revoke = tokens.add_subcommand("revoke", "Revoke a token: it is refused from now on");
  revoke->add_option("ID", id, "Token id, e.g. tok_3f9a0c1d2e4b5a69 (see tokens list)")->required();
  revoke->callback(
      [&line, &id] { line.command = [id](const Session& session) { return Done(RevokeToken(session.tokens, id)); }; });
}

// --- agents ----------------------------------------------------------------------------------------------------------

void AddAgentIdArg(CLI::App& command, AgentArgs& args) {
  command.add_option("AGENT_ID", args.agent_id, "The agent's identity, e.g. gw-5west-01")->required();
}

std::string RequireAgentId(const AgentArgs& args) {
  if (absl::Status valid = CheckAgentId(args.agent_id); !valid.ok()) ThrowUsageError(valid);
  return args.agent_id;
}

void AddAgentsList(CLI::App& agents, CommandLine& line) {
  CLI::App* list = agents.add_subcommand("list", "List enrolled and revoked agents");
  list->callback([&line] { line.command = [](const Session& session) { return Done(ListAgents(session.agents)); }; });
}

void AddAgentsEnroll(CLI::App& agents, CommandLine& line, AgentArgs& args) {
  CLI::App* enroll = agents.add_subcommand("enroll", "Allow an agent to report (again, if it was revoked)");
  AddAgentIdArg(*enroll, args);
  enroll->add_option("--note", args.note, "Free text, e.g. \"5 West ward gateway, rack B\"")->type_name("TEXT");
  enroll->callback([&line, &args] {
    line.command = [agent_id = RequireAgentId(args), note = args.note](const Session& session) {
      return Done(EnrollAgent(session.agents, agent_id, note));
    };
  });
}

void AddAgentsRevoke(CLI::App& agents, CommandLine& line, AgentArgs& args) {
  CLI::App* revoke = agents.add_subcommand("revoke", "Refuse an agent's calls from now on");
  AddAgentIdArg(*revoke, args);
  revoke->callback([&line, &args] {
    line.command = [agent_id = RequireAgentId(args)](const Session& session) {
      return Done(RevokeAgent(session.agents, agent_id));
    };
  });
}

// --- backup ----------------------------------------------------------------------------------------------------------

void AddBackupCreate(CLI::App& backup, CommandLine& line, BackupArgs& args) {
  CLI::App* create = backup.add_subcommand("create", "Back up the whole database online, then verify the backup");
  create->add_option("--dest", args.dir, "Absolute directory on the server (created if missing)")
      ->type_name("DIR")
      ->required();
  create->callback([&line, &args] {
    line.command = [dir = args.dir](const Session& session) { return Done(CreateBackup(session.backups, dir)); };
  });
}

void AddBackupList(CLI::App& backup, CommandLine& line, BackupArgs& args) {
  CLI::App* list = backup.add_subcommand("list", "List the intact backups in a backup directory");
  list->add_option("--dir", args.dir, "Backup directory on the server")->type_name("DIR")->required();
  list->callback([&line, &args] {
    line.command = [dir = args.dir](const Session& session) { return Done(ListBackups(session.backups, dir)); };
  });
}

void AddBackupVerify(CLI::App& backup, CommandLine& line, BackupArgs& args) {
  CLI::App* verify = backup.add_subcommand("verify", "Re-read one backup and check every file's size and checksum");
  verify->add_option("--dir", args.dir, "Backup directory on the server")->type_name("DIR")->required();
  verify->add_option("ID", args.backup_id, "Backup id (see backup list)")->required()->check(CLI::PositiveNumber);
  verify->callback([&line, &args] {
    line.command = [dir = args.dir, id = args.backup_id](const Session& session) {
      return Done(VerifyBackup(session.backups, dir, id));
    };
  });
}

// --- advisories ------------------------------------------------------------------------------------------------------

struct AdvisoryArgs {
  std::vector<std::string> files;
  std::string keyring;
  bool background = false;
  std::string tracking_id;
};

void AddAdvisoryCommands(CLI::App& app, CommandLine& line, AdvisoryArgs& args) {
  CLI::App* advisories =
      app.add_subcommand("advisories", "Import security advisories (CSAF 2.0) and see which pumps they affect");
  advisories->require_subcommand(1);
  CLI::App* import = advisories->add_subcommand(
      "import", "Import CSAF files, each with its FILE.sha512 sum (and FILE.asc signature with --keyring); role admin");
  import->add_option("FILE", args.files, "CSAF 2.0 JSON files")->required();
  import->add_option("--keyring", args.keyring, "Verify each FILE.asc with gpgv against this keyring")
      ->type_name("KEYRING");
  import->add_flag("--background", args.background,
                   "Answer once stored and matched; the findings are written behind (progress: advisories list)");
  import->callback([&line, &args] {
    line.command = [files = args.files, keyring = args.keyring, background = args.background](const Session& session) {
      return Done(ImportAdvisories(session.advisories, files, keyring, background));
};
}  // namespace
);
CLI::App* list = advisories->add_subcommand("list", "List imported advisories with their affected pumps");
list->callback([&line] {
  line.command = [](const Session& session) { return Done(ListAdvisories(session.advisories)); };
});
CLI::App* show = advisories->add_subcommand(
    "show", "Show an advisory and its affected pumps by facility and unit, with the remediation");
show->add_option("ID", args.tracking_id, "Tracking id, e.g. ICSMA-23-193-01")->required();
show->callback([&line, &args] {
  line.command = [id = args.tracking_id](const Session& session) { return Done(ShowAdvisory(session.advisories, id)); };
});
CLI::App* unmapped = advisories->add_subcommand(
    "unmapped", "List imported products the policy's advisory_products maps to nothing, with look-alike models");
unmapped->callback([&line] {
  line.command = [](const Session& session) { return Done(ListUnmapped(session.advisories)); };
});
}  // namespace pumptrack::cli

// --- audit -----------------------------------------------------------------------------------------------------------

void AddAuditFilters(CLI::App& command, AuditArgs& args) {
  AddTimeRangeOptions(command, args.range, "entries");
  command.add_option("--actor", args.actor, "Only entries by this actor (token name, agent id or operator)")
      ->type_name("NAME");
}

AuditQuery ResolveAuditQuery(const AuditArgs& args, absl::Time now) {
  const TimeRange range = ResolveTimeRange(args.range, now);
  return AuditQuery{.start = range.start, .end = range.end, .actor = args.actor, .limit = args.limit};
}

void AddAuditList(CLI::App& audit, CommandLine& line, AuditArgs& args, absl::Time now) {
  CLI::App* list = audit.add_subcommand("list", "Show audited changes, oldest first");
  AddAuditFilters(*list, args);
  AddLimitOption(*list, "Print at most N entries, oldest first", args.limit);
  list->callback([&line, &args, now] {
    line.command = [query = ResolveAuditQuery(args, now)](const Session& session) {
      return Done(ListAudit(session.audit, query));
    };
  });
}

void AddAuditVerify(CLI::App& audit, CommandLine& line) {
  audit.add_subcommand("verify", "Check the audit log's hash chain; exit status 3 if it is broken")->callback([&line] {
    line.command = [](const Session& session) { return VerifyAudit(session.audit); };
  });
}

void AddAuditExport(CLI::App& audit, CommandLine& line, AuditArgs& args, absl::Time now) {
  CLI::App* exported = audit.add_subcommand("export", "Print every matching entry as JSON Lines, oldest first");
  AddAuditFilters(*exported, args);
  exported->callback([&line, &args, now] {
    line.command = [query = ResolveAuditQuery(args, now)](const Session& session) {
      return Done(ExportAudit(session.audit, query));
    };
  });
}

// --- export --------------------------------------------------------------------------------------------------------

void AddExportFhir(CLI::App& app, CommandLine& line, FhirCommandOptions& options) {
  CLI::App* exported = app.add_subcommand("export", "Export the fleet for other systems");
  exported->require_subcommand(1);
  CLI::App* fhir = exported->add_subcommand(
      "fhir", "Every pump as a FHIR R4 Bundle of Device resources, with its open critical findings (no patient data)");
  fhir->add_option("--out", options.out_file, "Write the bundle to FILE instead of standard output")->type_name("FILE");
  fhir->add_option("--system", options.asset_tag_system, "Identifier system of the asset tags")
      ->type_name("URI")
      ->default_str("urn:pumptrack:asset-tag");
  fhir->callback([&line, &options] {
    line.command = [options](const Session& session) {
      return Done(ExportFhir(session.inventory, session.findings, options));
    };
  });
}

// Arguments bound to CLI11 options; they must outlive parsing.
struct Bindings {
  std::string login_user;
  ListDevicesOptions list;
  DeviceKeyArgs device;
  HistoryArgs history;
  CreateTokenOptions create_token;
  std::string token_id;
  AgentArgs agent;
  AuditArgs audit;
  SetHomeArgs set_home;
  FindingBindings findings;
  BackupArgs backup;
  CustodyBindings custody;
  MaintenanceBindings maintenance;
  ReportBindings reports;
  AdvisoryArgs advisories;
  FhirCommandOptions fhir;
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
  AddDevicesSetHome(*devices, line, bindings.set_home);
  AddLocate(app, line, bindings.device);

  CLI::App* tokens = app.add_subcommand("tokens", "Manage people's bearer tokens (role admin)");
  tokens->require_subcommand(1);
  AddTokensCreate(*tokens, line, bindings.create_token);
  AddTokensList(*tokens, line);
  AddTokensRevoke(*tokens, line, bindings.token_id);

  CLI::App* agents = app.add_subcommand("agents", "Manage the agents allowed to report (role admin)");
  agents->require_subcommand(1);
  AddAgentsList(*agents, line);
  AddAgentsEnroll(*agents, line, bindings.agent);
  AddAgentsRevoke(*agents, line, bindings.agent);

  CLI::App* audit = app.add_subcommand("audit", "Read and verify the audit log (role auditor or admin)");
  audit->require_subcommand(1);
  AddAuditList(*audit, line, bindings.audit, environment.now);
  AddAuditVerify(*audit, line);
  AddAuditExport(*audit, line, bindings.audit, environment.now);

  AddFindingCommands(app, bindings.findings, [&line](FindingCommand command) {
    line.command = [command = std::move(command)](const Session& session) {
      return command(FindingServices{.findings = session.findings, .policy = session.policy});
    };
  });
  AddCustodyCommands(app, bindings.custody, [&line](CustodyCommand command) {
    line.command = [command = std::move(command)](const Session& session) { return Done(command(session.custody)); };
  });
  AddMaintenanceCommands(app, bindings.maintenance, [&line](MaintenanceCommand command) {
    line.command = [command = std::move(command)](const Session& session) {
      return Done(command(session.maintenance));
    };
  });
  AddReportCommands(app, bindings.reports, [&line](ReportCommand command) {
    line.command = [command = std::move(command)](const Session& session) { return Done(command(session.reports)); };
  });
  CLI::App* backup = app.add_subcommand("backup", "Back up the database and check backups (role admin)");
  backup->require_subcommand(1);
  AddBackupCreate(*backup, line, bindings.backup);
  AddBackupList(*backup, line, bindings.backup);
  AddBackupVerify(*backup, line, bindings.backup);
  AddAdvisoryCommands(app, line, bindings.advisories);

  AddExportFhir(app, line, bindings.fhir);

  CLI::App* login = app.add_subcommand(
      "login", "Sign in with your directory (hospital) account; later commands use the session by default");
  login->add_option("USER", bindings.login_user, "Your directory user name")->required();
  login->callback([&line, &bindings, &environment] {
    line.command = [user = bindings.login_user, &environment](const Session& session) {
      return Done(Login(session.auth, user, environment.session_file, std::cin, environment.stdin_is_terminal));
    };
  });
  app.add_subcommand("logout", "End the session of `pumptrack login` and forget it")->callback([&line, &environment] {
    line.command = [&environment](const Session& session) {
      return Done(Logout(session.auth, environment.session_file));
    };
  });
}

// The commands that print a list, and so accept --output=csv (docs/EXPORTS.md lists their columns).
constexpr std::array<absl::string_view, 16> kCsvCommands = {
    "devices list",    "devices history",     "findings list",       "risk",
    "custody history", "custody list",        "find-available",      "tokens list",
    "agents list",     "audit list",          "maintenance history", "maintenance due",
    "advisories list", "advisories unmapped", "backup list",         "report utilization",
};

// The chosen command's words, e.g. "devices list".
std::string ChosenCommand(const CLI::App& app) {
  std::vector<std::string> words;
  for (const CLI::App* command = &app; !command->get_subcommands().empty();) {
    command = command->get_subcommands().front();
    words.push_back(command->get_name());
  }
  return absl::StrJoin(words, " ");
}

// --output=csv on a command that prints no list is a usage error.
void CheckOutputFormat(const CLI::App& app, OutputFormat format) {
  if (format != OutputFormat::kCsv) return;
  const std::string command = ChosenCommand(app);
  if (absl::c_linear_search(kCsvCommands, command)) return;
  throw CLI::ValidationError("--output", absl::StrCat("csv is for list commands only; '", command,
                                                      "' prints no list (docs/EXPORTS.md lists the ones that do)"));
}

// Surrounding whitespace (e.g. from `export PUMPTRACK_TOKEN=$(cat file)`) is dropped; anything else unusable in a
// header is a usage error that names where the token came from, never the token.
void CheckToken(CommandLine& line) {
  line.connection.token = std::string(absl::StripAsciiWhitespace(line.connection.token));
  if (absl::Status valid = ValidateToken(line.connection.token); !valid.ok()) {
    throw CLI::ValidationError(line.token_from_flag ? "--token" : "PUMPTRACK_TOKEN", std::string(valid.message()));
  }
}

// Every token secret the command line or the environment holds, for redaction: also those of a command line that did
// not parse.
std::vector<std::string> SecretsOf(int argc, const char* const* argv, const Environment& environment) {
  std::vector<std::string> given = {environment.token};
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (arg == "--token" && i + 1 < argc) {
      given.emplace_back(argv[i + 1]);
    } else if (absl::ConsumePrefix(&arg, "--token=")) {
      given.emplace_back(arg);
    }
  }
  // As given, and as sent (see CheckToken).
  std::vector<std::string> secrets;
  for (const std::string& secret : given) {
    secrets.push_back(secret);
    secrets.emplace_back(absl::StripAsciiWhitespace(secret));
  }
  return secrets;
}

template <typename Service>
ServiceContext<Service> ContextFor(typename Service::StubInterface& stub, const CommandLine& line,
                                   const Environment& environment, std::ostream& out) {
  return {.stub = stub, .connection = line.connection, .format = line.format, .now = environment.now, .out = out};
}

// Runs the chosen command; `report` prints one line on stderr.
int Execute(const CommandLine& line, const Environment& environment, std::ostream& out,
            const std::function<void(const std::string&)>& report) {
  const ConnectionOptions& connection = line.connection;
  if (connection.insecure && !connection.token.empty() && !IsLoopbackServer(connection.server)) {
    report(absl::StrCat("pumptrack: warning: --insecure sends the token unencrypted to ", connection.server));
  }
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = MakeChannel(connection);
  if (!channel.ok()) {
    report(ErrorLine(channel.status()));
    return kExitFailure;
  }
  std::unique_ptr<v1::InventoryService::Stub> inventory = v1::InventoryService::NewStub(*channel);
  std::unique_ptr<v1::TokenService::Stub> tokens = v1::TokenService::NewStub(*channel);
  std::unique_ptr<v1::AgentRegistryService::Stub> agents = v1::AgentRegistryService::NewStub(*channel);
  std::unique_ptr<v1::AuditService::Stub> audit = v1::AuditService::NewStub(*channel);
  std::unique_ptr<v1::FindingService::Stub> findings = v1::FindingService::NewStub(*channel);
  std::unique_ptr<v1::PolicyService::Stub> policy = v1::PolicyService::NewStub(*channel);
  std::unique_ptr<v1::BackupService::Stub> backups = v1::BackupService::NewStub(*channel);
  std::unique_ptr<v1::CustodyService::Stub> custody = v1::CustodyService::NewStub(*channel);
  std::unique_ptr<v1::MaintenanceService::Stub> maintenance = v1::MaintenanceService::NewStub(*channel);
  std::unique_ptr<v1::AdvisoryService::Stub> advisories = v1::AdvisoryService::NewStub(*channel);
  std::unique_ptr<v1::AuthService::Stub> auth = v1::AuthService::NewStub(*channel);
  std::unique_ptr<v1::ReportService::Stub> reports = v1::ReportService::NewStub(*channel);
  const Session session{
      .inventory = ContextFor<v1::InventoryService>(*inventory, line, environment, out),
      .tokens = ContextFor<v1::TokenService>(*tokens, line, environment, out),
      .agents = ContextFor<v1::AgentRegistryService>(*agents, line, environment, out),
      .audit = ContextFor<v1::AuditService>(*audit, line, environment, out),
      .findings = ContextFor<v1::FindingService>(*findings, line, environment, out),
      .policy = ContextFor<v1::PolicyService>(*policy, line, environment, out),
      .backups = ContextFor<v1::BackupService>(*backups, line, environment, out),
      .custody = ContextFor<v1::CustodyService>(*custody, line, environment, out),
      .maintenance = ContextFor<v1::MaintenanceService>(*maintenance, line, environment, out),
      .advisories = ContextFor<v1::AdvisoryService>(*advisories, line, environment, out),
      .auth = ContextFor<v1::AuthService>(*auth, line, environment, out),
      .reports = ContextFor<v1::ReportService>(*reports, line, environment, out),
  };
  const absl::StatusOr<ExitCode> exit_code = line.command(session);
  if (!exit_code.ok()) {
    report(ErrorLine(exit_code.status()));
    return kExitFailure;
  }
  return *exit_code;
}

}  // namespace

Environment Environment::FromProcess() {
  const char* server = std::getenv("PUMPTRACK_SERVER");
  const char* token = std::getenv("PUMPTRACK_TOKEN");
  const char* xdg_config_home = std::getenv("XDG_CONFIG_HOME");
  const char* home = std::getenv("HOME");
  return Environment{
      .server = server == nullptr ? "" : server,
      .token = token == nullptr ? "" : token,
      .now = absl::Now(),
      .session_file = SessionFilePath(xdg_config_home == nullptr ? "" : xdg_config_home, home == nullptr ? "" : home),
      .stdin_is_terminal = isatty(STDIN_FILENO) == 1};
}

int Run(int argc, const char* const* argv, const Environment& environment, std::ostream& out, std::ostream& err) {
  std::vector<std::string> secrets = SecretsOf(argc, argv, environment);
  auto report = [&err, &secrets](const std::string& line) { err << RedactSecrets(line, secrets) << '\n'; };

  CommandLine line;
  if (!environment.server.empty()) line.connection.server = environment.server;
  line.connection.token = environment.token;
  if (line.connection.token.empty()) {
    // The session of `pumptrack login`, unless PUMPTRACK_TOKEN (or --token, parsed below) gives a token.
    absl::StatusOr<std::string> session = ReadSessionToken(environment.session_file);
    if (!session.ok()) {
      report(absl::StrCat("pumptrack: warning: ", session.status().message()));
    } else {
      line.connection.token = *session;
      secrets.push_back(*session);  // redacted like any other token
    }
  }
  Bindings bindings;
  CLI::App app(
      "Find and inspect hospital infusion pumps tracked by pumptrack and their findings, check them out and in, and "
      "administer its policy, tokens, agents and audit log.",
      "pumptrack");
  DefineCommandLine(app, environment, line, bindings);
  try {
    app.parse(argc, argv);
    CheckToken(line);
    CheckOutputFormat(app, line.format);
  } catch (const CLI::ParseError& error) {
    // --help ends parsing with a "successful" error.
    if (error.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) return app.exit(error, out, err);
    report(UsageErrorLine(error.what()));
    return kExitUsage;
  }
  return Execute(line, environment, out, report);
}

}  // namespace pumptrack::cli
