#include "cli/maintenance_app.h"

#include <cstddef>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "cli/cli_options.h"
#include "cli/connection.h"
#include "cli/csv_columns.h"
#include "cli/errors.h"
#include "cli/flags.h"
#include "cli/format.h"
#include "cli/json.h"
#include "cli/table.h"
#include "common/status_macros.h"

namespace pumptrack::cli {
namespace {

std::string KindWord(v1::MaintenanceKind kind) {
  switch (kind) {
    case v1::MAINTENANCE_KIND_PM:
      return "pm";
    case v1::MAINTENANCE_KIND_REPAIR:
      return "repair";
    case v1::MAINTENANCE_KIND_INSPECTION:
      return "inspection";
    case v1::MAINTENANCE_KIND_BATTERY_REPLACEMENT:
      return "battery_replacement";
    default:
      return "unknown";
  }
}

std::string Day(const google::protobuf::Timestamp& t) {
  if (!IsSet(t)) return "-";
  return absl::FormatTime("%Y-%m-%d", ToAbslTime(t), absl::UTCTimeZone());
}

absl::StatusOr<absl::TimeZone> LoadZone(const std::string& name) {
  absl::TimeZone zone;
  if (!absl::LoadTimeZone(name, &zone)) {
    return absl::InvalidArgumentError(absl::StrCat("--time-zone: '", name, "' is not a known IANA time zone"));
  }
  return zone;
}

absl::Status Record(const MaintenanceContext& context, const v1::RecordMaintenanceRequest& request) {
  v1::RecordMaintenanceResponse response;
  const grpc::Status status =
      context.stub.RecordMaintenance(NewCallContext(context.connection).get(), request, &response);
  // NOT_FOUND names the component when the pump exists but does not report it; say so rather than "device not found".
  if (status.error_code() == grpc::StatusCode::NOT_FOUND &&
      absl::StartsWith(status.error_message(), "component_serial:")) {
    return absl::NotFoundError(absl::StrCat("device ", request.asset_tag(), ": ", status.error_message()));
  }
  if (!status.ok()) return FromRpcStatus(status, absl::StrCat("device ", request.asset_tag()), context.connection);
  if (context.format == OutputFormat::kJson) return PrintJson(response, context.out);
  context.out << "Recorded " << KindWord(response.record().kind()) << " #" << response.record().index() << " for "
              << request.asset_tag()
              << (request.component_serial().empty() ? std::string()
                                                     : absl::StrCat(" component ", request.component_serial()))
              << ", performed " << Day(response.record().performed_at()) << " by " << response.record().performed_by()
              << "; next PM due "
              << (IsSet(response.next_due_at()) ? Day(response.next_due_at()) : std::string("- (no PM interval)"))
              << ".\n";
  return absl::OkStatus();
}

// The row index i of a service message "records[i]...", if it starts so.
std::optional<std::size_t> RecordIndex(absl::string_view message) {
  if (!absl::ConsumePrefix(&message, "records[")) return std::nullopt;
  const std::size_t close = message.find(']');
  std::size_t index = 0;
  if (close == absl::string_view::npos || !absl::SimpleAtoi(message.substr(0, close), &index)) return std::nullopt;
  return index;
}

}  // namespace

absl::Status ImportMaintenanceFile(const MaintenanceContext& context, const std::string& path,
                                   const CsvColumns& columns, const absl::TimeZone& zone, bool skip_bad_rows) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  absl::StatusOr<ImportFile> file = ReadMaintenanceCsv(buffer.str(), columns, zone, context.now);
  if (!file.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", file.status().message()));
  }
  if (!file->bad.empty() && !skip_bad_rows) {
    const BadRow& first = file->bad.front();
    return absl::InvalidArgumentError(
        absl::StrCat(path, " line ", first.line, ": ", first.reason,
                     file->bad.size() > 1 ? absl::StrCat(" (and ", file->bad.size() - 1, " more bad rows)") : "",
                     "; nothing was imported (--skip-bad-rows imports the rest)"));
  }
  for (const BadRow& bad : file->bad) context.out << "skipped line " << bad.line << ": " << bad.reason << '\n';
  std::vector<ImportRow> rows = std::move(file->rows);
  // Rows the service refuses (a tag it does not know) are dropped one at a time with --skip-bad-rows; each attempt
  // is all or nothing.
  while (true) {
    if (rows.empty()) {
      context.out << "Nothing to import.\n";
      return absl::OkStatus();
    }
    v1::ImportMaintenanceRequest request;
    for (const ImportRow& row : rows) *request.add_records() = row.request;
    v1::ImportMaintenanceResponse response;
    const grpc::Status status =
        context.stub.ImportMaintenance(NewCallContext(context.connection).get(), request, &response);
    if (status.ok()) {
      if (context.format == OutputFormat::kJson) return PrintJson(response, context.out);
      context.out << "Imported " << response.imported() << " records from " << path;
      if (response.skipped_duplicates() > 0) {
        context.out << " (" << response.skipped_duplicates() << " already recorded, skipped)";
      }
      context.out << ".\n";
      return absl::OkStatus();
    }
    const std::optional<std::size_t> index = RecordIndex(status.error_message());
    if (!index || *index >= rows.size()) return FromRpcStatus(status, path, context.connection);
    const std::string reason(absl::StripPrefix(
        absl::string_view(status.error_message()).substr(status.error_message().find(']') + 1), ": "));
    if (!skip_bad_rows || (status.error_code() != grpc::StatusCode::NOT_FOUND &&
                           status.error_code() != grpc::StatusCode::INVALID_ARGUMENT)) {
      return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                          absl::StrCat(path, " line ", rows[*index].line, ": ", reason, "; nothing was imported"));
    }
    context.out << "skipped line " << rows[*index].line << ": " << reason << '\n';
    rows.erase(rows.begin() + static_cast<std::ptrdiff_t>(*index));
  }
}

absl::Status ShowMaintenanceHistory(const MaintenanceContext& context, const std::string& asset_tag) {
  std::vector<v1::MaintenanceRecord> records;
  v1::ListMaintenanceRequest request;
  request.set_asset_tag(asset_tag);
  request.set_page_size(1000);
  while (true) {
    v1::ListMaintenanceResponse response;
    const grpc::Status status =
        context.stub.ListMaintenance(NewCallContext(context.connection).get(), request, &response);
    if (!status.ok()) return FromRpcStatus(status, absl::StrCat("device ", asset_tag), context.connection);
    records.insert(records.end(), response.records().begin(), response.records().end());
    if (response.next_page_token().empty()) break;
    if (response.next_page_token() == request.page_token()) return absl::InternalError("server repeated a page token");
    request.set_page_token(response.next_page_token());
  }
  return PrintList(
      context, records, absl::StrCat("No maintenance recorded for ", asset_tag, "."),
      [&](const auto& items) {
        TextTable table({"#", "KIND", "COMPONENT", "PERFORMED", "BY", "NEXT DUE OVERRIDE", "RECORDED BY", "NOTES"});
        for (const v1::MaintenanceRecord& r : items) {
          table.AddRow({absl::StrCat(r.index()), KindWord(r.kind()), OrDash(r.component_serial()),
                        Day(r.performed_at()), OrDash(r.performed_by()), Day(r.next_due_override()),
                        OrDash(r.recorded_by()), OrDash(r.notes())});
        }
        table.Print(context.out);
      },
      std::span(MaintenanceRecordCsvColumns()));
}

absl::Status ListMaintenanceDue(const MaintenanceContext& context, std::optional<absl::Duration> within,
                                const std::string& unit) {
  v1::ListDueRequest request;
  if (within) *request.mutable_within() = ToProtoDuration(*within);
  request.set_unit(unit);
  v1::ListDueResponse response;
  const grpc::Status status = context.stub.ListDue(NewCallContext(context.connection).get(), request, &response);
  if (!status.ok()) return FromRpcStatus(status, "maintenance due", context.connection);
  const std::vector<v1::DuePump> pumps(response.pumps().begin(), response.pumps().end());
  return PrintList(
      context, pumps, "No pumps are due for preventive maintenance.",
      [&](const auto& items) {
        TextTable table({"TAG", "MODEL", "COMPONENT", "WHERE", "LAST PM", "DUE", "STATUS"});
        for (const v1::DuePump& p : items) {
          const std::string component =
              p.component_serial().empty()
                  ? std::string("-")
                  : absl::StrCat(p.component_kind(), " ", p.component_model(), " ", p.component_serial());
          table.AddRow({p.asset_tag(), OrDash(p.model()), component, FormatShortLocation(p.location()),
                        Day(p.last_pm_at()), Day(p.due_at()), p.overdue() ? "OVERDUE" : "due"});
        }
        table.Print(context.out);
      },
      std::span(DuePumpCsvColumns()));
}

void AddMaintenanceCommands(CLI::App& app, MaintenanceBindings& b,
                            const std::function<void(MaintenanceCommand)>& choose) {
  CLI::App* maintenance = app.add_subcommand(
      "maintenance",
      "Clinical engineering: record maintenance, show a pump's history, list pumps due for PM, import "
      "a CMMS export");
  maintenance->require_subcommand(1);

  CLI::App* record = maintenance->add_subcommand(
      "record", "Record work on a pump (role technician, asset_manager or admin); a pm restarts its PM interval");
  record->add_option("TAG", b.asset_tag, "Asset tag, e.g. PT-00042")->required();
  record->add_option("--kind", b.kind, "pm, repair, inspection or battery_replacement")->required()->type_name("KIND");
  record->add_option("--performed", b.performed, "When: 2026-12-01 (midnight in --time-zone) or an RFC 3339 time")
      ->required()
      ->type_name("DATE");
  record->add_option("--by", b.performed_by, "Who did the work (default: your token's name)")->type_name("NAME");
  record->add_option("--notes", b.notes, "Up to 1024 characters; never patient data")->type_name("TEXT");
  record->add_option("--next-due", b.next_due, "Fix the next PM's due date instead of the model's interval")
      ->type_name("DATE");
  record
      ->add_option("--component", b.component_serial,
                   "The work was on the pump's component with this serial number (a pm, or a battery_replacement of "
                   "a battery module, restarts that component's PM interval only)")
      ->type_name("SERIAL");
  record->add_option("--time-zone", b.time_zone, "IANA time zone for dates without a time (default UTC)")
      ->type_name("TZ");
  record->callback([&b, choose] {
    absl::StatusOr<absl::TimeZone> zone = LoadZone(b.time_zone);
    if (!zone.ok()) throw CLI::ValidationError("--time-zone", std::string(zone.status().message()));
    absl::StatusOr<v1::MaintenanceKind> kind = ParseMaintenanceKind(b.kind);
    if (!kind.ok()) throw CLI::ValidationError("--kind", std::string(kind.status().message()));
    absl::StatusOr<absl::Time> performed = ParseMaintenanceTime(b.performed, *zone);
    if (!performed.ok()) throw CLI::ValidationError("--performed", std::string(performed.status().message()));
    v1::RecordMaintenanceRequest request;
    request.set_asset_tag(b.asset_tag);
    request.set_kind(*kind);
    *request.mutable_performed_at() = ToProtoTimestamp(*performed);
    request.set_performed_by(b.performed_by);
    request.set_notes(b.notes);
    request.set_component_serial(b.component_serial);
    if (!b.next_due.empty()) {
      absl::StatusOr<absl::Time> next = ParseMaintenanceTime(b.next_due, *zone);
      if (!next.ok()) throw CLI::ValidationError("--next-due", std::string(next.status().message()));
      *request.mutable_next_due_override() = ToProtoTimestamp(*next);
    }
    choose([request](const MaintenanceContext& context) { return Record(context, request); });
  });

  CLI::App* history = maintenance->add_subcommand("history", "A pump's maintenance records, oldest first");
  history->add_option("TAG", b.asset_tag, "Asset tag")->required();
  history->callback([&b, choose] {
    choose([tag = b.asset_tag](const MaintenanceContext& context) { return ShowMaintenanceHistory(context, tag); });
  });

  CLI::App* due = maintenance->add_subcommand(
      "due",
      "Pumps whose PM is overdue or falls due soon, soonest first (default: inside each model's warning "
      "window)");
  AddParsedOption(*due, "--within", "DURATION", "Also pumps due within this long, e.g. 30d", ParsePositiveDuration,
                  [&b](absl::Duration within) { b.within = within; });
  due->add_option("--unit", b.unit, "Only pumps last reported in this unit")->type_name("UNIT");
  due->callback([&b, choose] {
    choose([within = b.within, unit = b.unit](const MaintenanceContext& context) {
      return ListMaintenanceDue(context, within, unit);
    });
  });

  CLI::App* import_file = maintenance->add_subcommand(
      "import",
      "Import a CMMS export (CSV with a header row), all or nothing (role technician, asset_manager or "
      "admin)");
  import_file->add_option("FILE", b.file, "CSV file: RFC 4180, UTF-8 (a byte order mark is fine), CRLF or LF")
      ->required();
  import_file->add_flag("--skip-bad-rows", b.skip_bad_rows, "Report bad rows and import the rest");
  import_file->add_option("--time-zone", b.time_zone, "IANA time zone for dates without a time (default UTC)")
      ->type_name("TZ");
  import_file->add_option("--tag-column", b.columns.asset_tag, "Header of the asset tag column")->type_name("NAME");
  import_file->add_option("--kind-column", b.columns.kind, "Header of the kind column")->type_name("NAME");
  import_file->add_option("--performed-column", b.columns.performed_at, "Header of the performed-at column")
      ->type_name("NAME");
  import_file->add_option("--by-column", b.columns.performed_by, "Header of the performed-by column")
      ->type_name("NAME");
  import_file->add_option("--notes-column", b.columns.notes, "Header of the notes column")->type_name("NAME");
  import_file->add_option("--next-due-column", b.columns.next_due, "Header of the next-due override column")
      ->type_name("NAME");
  import_file->add_option("--component-column", b.columns.component_serial, "Header of the component serial column")
      ->type_name("NAME");
  import_file->callback([&b, choose] {
    absl::StatusOr<absl::TimeZone> zone = LoadZone(b.time_zone);
    if (!zone.ok()) throw CLI::ValidationError("--time-zone", std::string(zone.status().message()));
    choose(
        [file = b.file, columns = b.columns, zone = *zone, skip = b.skip_bad_rows](const MaintenanceContext& context) {
          return ImportMaintenanceFile(context, file, columns, zone, skip);
        });
  });
}

}  // namespace pumptrack::cli
