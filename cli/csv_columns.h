// The columns of every list command's --output=csv, in their documented order (docs/EXPORTS.md, "Columns"; a test
// checks the two agree). Headers are snake_case names; times are RFC 3339 UTC ("2026-11-29T10:02:11Z") or empty when
// unset; enum values are the words the tables use; numbers are plain decimals; lists are joined with "; ". New columns
// are only ever appended, so scripts that read columns by position keep working.
#pragma once

#include <vector>

#include "cli/csv.h"
#include "pumptrack/v1/advisory.pb.h"
#include "pumptrack/v1/agent_registry.pb.h"
#include "pumptrack/v1/audit.pb.h"
#include "pumptrack/v1/auth.pb.h"
#include "pumptrack/v1/backup.pb.h"
#include "pumptrack/v1/custody.pb.h"
#include "pumptrack/v1/device.pb.h"
#include "pumptrack/v1/finding.pb.h"
#include "pumptrack/v1/inventory_service.pb.h"
#include "pumptrack/v1/maintenance.pb.h"
#include "pumptrack/v1/report.pb.h"

namespace pumptrack::cli {

// `devices list`.
const std::vector<CsvColumn<v1::Device>>& DeviceCsvColumns();
// `devices history`.
const std::vector<CsvColumn<v1::HistoryEntry>>& HistoryCsvColumns();
// `findings list`.
const std::vector<CsvColumn<v1::Finding>>& FindingCsvColumns();
// `risk`: the first column is named after the grouping (device, unit or facility).
std::vector<CsvColumn<v1::RiskGroup>> RiskCsvColumns(v1::GetRiskRequest::GroupBy group_by);
// `custody history TAG`.
const std::vector<CsvColumn<v1::CustodyEvent>>& CustodyEventCsvColumns();
// `custody list` (and --overdue).
const std::vector<CsvColumn<v1::CheckedOutPump>>& CheckoutCsvColumns();
// `find-available`: the pumps (the PAR level line is left out).
const std::vector<CsvColumn<v1::AvailablePump>>& AvailablePumpCsvColumns();
// `tokens list` (never a secret: Token holds none).
const std::vector<CsvColumn<v1::Token>>& TokenCsvColumns();
// `agents list`.
const std::vector<CsvColumn<v1::Agent>>& AgentCsvColumns();
// `audit list`.
const std::vector<CsvColumn<v1::AuditEntry>>& AuditCsvColumns();
// `maintenance history TAG`: its asset_tag, kind, performed_at, performed_by, notes and next_due columns are the ones
// `maintenance import` reads by default, so an export can be imported elsewhere as it is.
const std::vector<CsvColumn<v1::MaintenanceRecord>>& MaintenanceRecordCsvColumns();
// `maintenance due`.
const std::vector<CsvColumn<v1::DuePump>>& DuePumpCsvColumns();
// `advisories list`.
const std::vector<CsvColumn<v1::AdvisorySummary>>& AdvisoryCsvColumns();
// `advisories unmapped`.
const std::vector<CsvColumn<v1::UnmappedAdvisoryProduct>>& UnmappedProductCsvColumns();
// `backup list`.
const std::vector<CsvColumn<v1::Backup>>& BackupCsvColumns();
// `report utilization`: one set for every --by; a column the grouping does not fill is empty.
const std::vector<CsvColumn<v1::UtilizationRow>>& UtilizationCsvColumns();

}  // namespace pumptrack::cli
