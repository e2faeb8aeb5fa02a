#include "cli/finding_app.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "cli/cli_options.h"
#include "cli/finding_flags.h"
#include "common/status_macros.h"

namespace pumptrack::cli {

namespace {

using Choose = std::function<void(FindingCommand)>;

// For commands that either succeed or fail.
absl::StatusOr<ExitCode> Done(const absl::Status& status) {
  if (!status.ok()) return status;
  return kExitOk;
}

void AddFindingsList(CLI::App& findings, ListFindingsOptions& options, const Choose& choose) {
  CLI::App* list = findings.add_subcommand("list", "List findings matching every filter, newest first");
  v1::ListFindingsRequest& filter = options.filter;
  AddParsedOption(*list, "--kind", "KIND",
                  "Only this kind: missing, misconfigured, insecure, tampered, unauthorized_move, misrouted, overdue, "
                  "par_low, vulnerable, maintenance_due, maintenance_overdue, battery_degraded or "
                  "battery_low_for_transport",
                  ParseFindingKind, [&filter](v1::FindingKind kind) { filter.set_kind(kind); });
  AddParsedOption(*list, "--severity", "SEVERITY", "Only this severity: low, medium, high or critical", ParseSeverity,
                  [&filter](v1::Severity severity) { filter.set_severity(severity); });
  AddParsedOption(*list, "--state", "STATE",
                  "Only this state: open, acknowledged or resolved (default: open and acknowledged)", ParseFindingState,
                  [&filter](v1::FindingState state) { filter.set_state(state); });
  list->add_option_function<std::string>(
      "--facility", [&filter](const std::string& value) { filter.set_facility(value); }, "Only this facility");
  list->add_option_function<std::string>(
      "--unit", [&filter](const std::string& value) { filter.set_unit(value); }, "Only this unit (care area)");
  list->add_option_function<std::string>(
          "--device", [&filter](const std::string& value) { filter.set_asset_tag(value); },
          "Only this device's findings")
      ->type_name("TAG");
  AddLimitOption(*list, "Print at most N findings (default: every page)", options.limit);
  list->callback([&options, choose] {
    choose([options](const FindingServices& services) { return Done(ListFindings(services.findings, options)); });
  });
}

void AddFindingIdArg(CLI::App& command, std::string& id) {
  command.add_option("ID", id, "Finding id, e.g. F-12 (see findings list)")->required();
}

void AddFindingsGet(CLI::App& findings, std::string& id, const Choose& choose) {
  CLI::App* get = findings.add_subcommand("get", "Show one finding with its evidence and history");
  AddFindingIdArg(*get, id);
  get->callback([&id, choose] {
    choose([id](const FindingServices& services) { return Done(GetFinding(services.findings, id)); });
  });
}

void AddFindingsAck(CLI::App& findings, std::string& id, std::string& note, const Choose& choose) {
  CLI::App* ack = findings.add_subcommand(
      "ack", "Acknowledge a finding with a note (role asset_manager); a one-off event is resolved by it");
  AddFindingIdArg(*ack, id);
  ack->add_option("--note", note, "What was done or decided, 1-1024 characters; never patient data")
      ->type_name("TEXT")
      ->required();
  ack->callback([&id, &note, choose] {
    if (absl::StripAsciiWhitespace(note).empty()) throw CLI::ValidationError("--note", "must not be empty");
    choose(
        [id, note](const FindingServices& services) { return Done(AcknowledgeFinding(services.findings, id, note)); });
  });
}

void AddFindingsWatch(CLI::App& findings, v1::FindingKind& kind, const Choose& choose) {
  CLI::App* watch = findings.add_subcommand(
      "watch",
      "Print one line per finding opened, changed or resolved, until interrupted (JSON Lines with "
      "--output=json)");
  AddParsedOption(*watch, "--kind", "KIND", "Only events of this kind (default: every kind)", ParseFindingKind,
                  [&kind](v1::FindingKind parsed) { kind = parsed; });
  watch->callback([&kind, choose] {
    choose([kind](const FindingServices& services) { return Done(WatchFindings(services.findings, kind)); });
  });
}

void AddRisk(CLI::App& app, RiskOptions& options, const Choose& choose) {
  CLI::App* risk = app.add_subcommand("risk", "Show risk scores from open findings, riskiest first");
  AddParsedOption(*risk, "--by", "unit|facility|device", "Group by unit (the default), facility or device",
                  ParseRiskGroupBy, [&options](v1::GetRiskRequest::GroupBy by) { options.group_by = by; })
      ->default_str("unit");
  AddLimitOption(*risk, "With --by=device: at most N devices (default: 100)", options.limit);
  risk->callback([&options, choose] {
    choose([options](const FindingServices& services) { return Done(ShowRisk(services.findings, options)); });
  });
}

// A policy command that reads FILE when it runs, then calls `run`.
template <typename Run>
void AddPolicyFileCommand(CLI::App& policy, const std::string& name, const std::string& description, std::string& path,
                          const Choose& choose, Run run) {
  CLI::App* command = policy.add_subcommand(name, description);
  command->add_option("FILE", path, "The policy in protobuf text format (see examples/hospital-policy.textproto)")
      ->required()
      ->check(CLI::ExistingFile);
  command->callback([&path, choose, run] {
    choose([path, run](const FindingServices& services) -> absl::StatusOr<ExitCode> {
      ASSIGN_OR_RETURN(std::string text, ReadPolicyFile(path));
      return Done(run(services.policy, PolicyFile{.path = path, .text = std::move(text)}));
    });
  });
}

void AddPolicyCommands(CLI::App& app, std::string& path, const Choose& choose) {
  CLI::App* policy = app.add_subcommand("policy", "Read, check and change the hospital's policy");
  policy->require_subcommand(1);
  policy->add_subcommand("get", "Print the policy in protobuf text format (the PolicyInfo with --output=json)")
      ->callback(
          [choose] { choose([](const FindingServices& services) { return Done(GetPolicy(services.policy)); }); });
  AddPolicyFileCommand(*policy, "validate", "Check a policy file without applying it; errors name the line or field",
                       path, choose, ValidatePolicy);
  AddPolicyFileCommand(*policy, "set", "Validate and apply a policy file (role admin); every device is re-evaluated",
                       path, choose, SetPolicy);
}

}  // namespace

void AddFindingCommands(CLI::App& app, FindingBindings& bindings, const std::function<void(FindingCommand)>& choose) {
  CLI::App* findings = app.add_subcommand("findings", "List, inspect, acknowledge and watch findings");
  findings->require_subcommand(1);
  AddFindingsList(*findings, bindings.list, choose);
  AddFindingsGet(*findings, bindings.finding_id, choose);
  AddFindingsAck(*findings, bindings.finding_id, bindings.note, choose);
  AddFindingsWatch(*findings, bindings.watch_kind, choose);
  AddRisk(app, bindings.risk, choose);
  AddPolicyCommands(app, bindings.policy_path, choose);
}

}  // namespace pumptrack::cli
