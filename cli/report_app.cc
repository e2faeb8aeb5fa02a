#include "cli/report_app.h"

#include <cstdint>
#include <iterator>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/connection.h"
#include "cli/csv_columns.h"
#include "cli/errors.h"
#include "cli/flags.h"
#include "cli/table.h"
#include "common/ids.h"
#include "google/protobuf/util/time_util.h"

namespace pumptrack::cli {
namespace {

google::protobuf::Timestamp ToTimestamp(absl::Time t) {
  return google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(t));
}

absl::Time FromTimestamp(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

// A duration back from now ("7d", "12h") or an RFC 3339 time.
absl::StatusOr<absl::Time> ParseSince(absl::string_view text, absl::Time now) {
  if (absl::StatusOr<absl::Duration> back = ParsePositiveDuration(text); back.ok()) return now - *back;
  if (absl::StatusOr<absl::Time> at = ParseRfc3339(text); at.ok()) return *at;
  return absl::InvalidArgumentError("must be a duration back from now (e.g. 7d, 12h) or an RFC 3339 time");
}

absl::StatusOr<v1::UtilizationGrouping> ParseGrouping(absl::string_view text) {
  const std::string word = absl::AsciiStrToLower(text);
  if (word == "unit") return v1::UTILIZATION_GROUPING_UNIT;
  if (word == "model") return v1::UTILIZATION_GROUPING_MODEL;
  if (word == "device") return v1::UTILIZATION_GROUPING_DEVICE;
  return absl::InvalidArgumentError("must be unit, model or device");
}

std::string Percent(std::int64_t part, std::int64_t whole) {
  if (whole <= 0) return "-";
  return absl::StrFormat("%.1f%%", 100.0 * static_cast<double>(part) / static_cast<double>(whole));
}

std::string Hours(std::int64_t millis) { return absl::StrFormat("%.1f", static_cast<double>(millis) / 3.6e6); }

std::string OrDash(const std::string& text) { return text.empty() ? "-" : text; }

}  // namespace

absl::Status ShowUtilization(const ReportContext& context, const v1::GetUtilizationRequest& request) {
  // By device the rows come in pages (GetUtilization's page_size): read every page, with the window's end pinned to
  // the first page's so the pages add up to one window.
  v1::GetUtilizationRequest page = request;
  if (page.group_by() == v1::UTILIZATION_GROUPING_DEVICE) page.set_page_size(ids::kMaxPageSize);
  v1::GetUtilizationResponse response;
  std::vector<v1::UtilizationRow> rows;
  for (;;) {
    const grpc::Status status = context.stub.GetUtilization(NewCallContext(context.connection).get(), page, &response);
    if (!status.ok()) return FromRpcStatus(status, "report utilization", context.connection);
    rows.insert(rows.end(), std::make_move_iterator(response.mutable_rows()->begin()),
                std::make_move_iterator(response.mutable_rows()->end()));
    if (response.next_page_token().empty()) break;
    *page.mutable_until() = response.until();
    page.set_page_token(response.next_page_token());
  }
  const absl::Time since = FromTimestamp(response.since());
  const absl::Time until = FromTimestamp(response.until());
  return PrintList(
      context, rows, "No pump reported in that window.",
      [&](const auto& items) {
        context.out << "Utilization " << absl::FormatTime("%Y-%m-%d %H:%M", since, absl::UTCTimeZone()) << " – "
                    << absl::FormatTime("%Y-%m-%d %H:%M UTC", until, absl::UTCTimeZone()) << " (share of known time)\n";
        const v1::UtilizationGrouping by = request.group_by();
        std::vector<std::string> header;
        if (by == v1::UTILIZATION_GROUPING_DEVICE) {
          header = {"TAG", "MODEL", "UNIT"};
        } else if (by == v1::UTILIZATION_GROUPING_MODEL) {
          header = {"MODEL", "PUMPS"};
        } else {
          header = {"FACILITY", "UNIT", "PUMPS"};
        }
        for (const char* column : {"INFUSING", "IDLE", "ALARM", "OFF", "UNKNOWN H"}) header.emplace_back(column);
        const bool units = by != v1::UTILIZATION_GROUPING_DEVICE && by != v1::UTILIZATION_GROUPING_MODEL;
        if (units) {
          header.emplace_back("PEAK IN USE");
          header.emplace_back("PAR");
        }
        TextTable table(header);
        for (const v1::UtilizationRow& row : items) {
          const v1::StateTime& t = row.time();
          const std::int64_t known = t.infusing_ms() + t.idle_ms() + t.alarm_ms() + t.off_ms();
          std::vector<std::string> cells;
          if (by == v1::UTILIZATION_GROUPING_DEVICE) {
            cells = {row.asset_tag(), OrDash(row.model()), OrDash(row.unit())};
          } else if (by == v1::UTILIZATION_GROUPING_MODEL) {
            cells = {OrDash(row.model()), absl::StrCat(row.devices())};
          } else {
            cells = {OrDash(row.facility()), OrDash(row.unit()), absl::StrCat(row.devices())};
          }
          for (std::int64_t part : {t.infusing_ms(), t.idle_ms(), t.alarm_ms(), t.off_ms()}) {
            cells.push_back(Percent(part, known));
          }
          cells.push_back(Hours(t.unknown_ms()));
          if (units) {
            cells.push_back(row.unit().empty() ? "-" : absl::StrCat(row.peak_infusing()));
            cells.push_back(row.par_level() == 0 ? "-" : absl::StrCat(row.par_level()));
          }
          table.AddRow(cells);
        }
        table.Print(context.out);
      },
      std::span(UtilizationCsvColumns()));
}

void AddReportCommands(CLI::App& app, ReportBindings& b, const std::function<void(ReportCommand)>& choose) {
  CLI::App* report = app.add_subcommand("report", "Fleet reports for clinical engineering");
  report->require_subcommand(1);
  CLI::App* utilization = report->add_subcommand(
      "utilization",
      "Share of time pumps were infusing, idle, in alarm or off, by unit (with peak concurrent use against the "
      "PAR level), model or device");
  utilization->add_option("--since", b.since, "Window start: a duration back from now (default 7d) or an RFC 3339 time")
      ->type_name("WHEN");
  utilization->add_option("--until", b.until, "Window end, an RFC 3339 time (default now)")->type_name("TIME");
  utilization->add_option("--by", b.by, "unit (default), model or device")->type_name("GROUPING");
  utilization->callback([&b, choose] {
    // The forms are checked while parsing (a usage error naming the flag); the window is computed when it runs.
    if (absl::StatusOr<absl::Time> since = ParseSince(b.since, absl::UnixEpoch()); !since.ok()) {
      throw CLI::ValidationError("--since", std::string(since.status().message()));
    }
    std::optional<absl::Time> until;
    if (!b.until.empty()) {
      absl::StatusOr<absl::Time> parsed = ParseRfc3339(b.until);
      if (!parsed.ok()) throw CLI::ValidationError("--until", std::string(parsed.status().message()));
      until = *parsed;
    }
    absl::StatusOr<v1::UtilizationGrouping> by = ParseGrouping(b.by);
    if (!by.ok()) throw CLI::ValidationError("--by", std::string(by.status().message()));
    choose([since_text = b.since, until, group_by = *by](const ReportContext& context) -> absl::Status {
      v1::GetUtilizationRequest request;
      absl::StatusOr<absl::Time> since = ParseSince(since_text, context.now);
      if (!since.ok()) return since.status();
      *request.mutable_since() = ToTimestamp(*since);
      if (until) *request.mutable_until() = ToTimestamp(*until);
      request.set_group_by(group_by);
      return ShowUtilization(context, request);
    });
  });
}

}  // namespace pumptrack::cli
