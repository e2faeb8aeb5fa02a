#include "cli/csv_columns.h"

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "cli/enum_words.h"
#include "cli/format.h"

namespace pumptrack::cli {
namespace {

std::string Time(const google::protobuf::Timestamp& timestamp) { return FormatRfc3339OrEmpty(timestamp); }

std::string Bool(bool value) { return value ? "true" : "false"; }

std::string Score(double score) { return absl::StrFormat("%.1f", score); }

template <typename Strings>
std::string JoinList(const Strings& strings) {
  return absl::StrJoin(strings, "; ");
}

// The `maintenance import` spelling of a kind: "pm", "battery_replacement".
std::string MaintenanceKindWord(v1::MaintenanceKind kind) {
  if (kind == v1::MAINTENANCE_KIND_UNSPECIFIED || !v1::MaintenanceKind_IsValid(kind)) return "unknown";
  const std::string& name = v1::MaintenanceKind_Name(kind);
  return absl::AsciiStrToLower(absl::StripPrefix(name, "MAINTENANCE_KIND_"));
}

}  // namespace

const std::vector<CsvColumn<v1::Device>>& DeviceCsvColumns() {
  using D = v1::Device;
  static const auto* const columns = new std::vector<CsvColumn<D>>{
      {"asset_tag", [](const D& d) { return d.identity().asset_tag(); }},
      {"serial_number", [](const D& d) { return d.identity().serial_number(); }},
      {"manufacturer", [](const D& d) { return d.identity().manufacturer(); }},
      {"model", [](const D& d) { return d.identity().model(); }},
      {"firmware_version", [](const D& d) { return d.last_observation().firmware_version(); }},
      {"facility", [](const D& d) { return d.last_observation().location().facility(); }},
      {"building", [](const D& d) { return d.last_observation().location().building(); }},
      {"floor", [](const D& d) { return d.last_observation().location().floor(); }},
      {"unit", [](const D& d) { return d.last_observation().location().unit(); }},
      {"room", [](const D& d) { return d.last_observation().location().room(); }},
      {"operating_state",
       [](const D& d) { return std::string(OperatingStateName(d.last_observation().operating_state())); }},
      {"custody_state", [](const D& d) { return std::string(CustodyStateName(d.custody().state())); }},
      {"home_facility", [](const D& d) { return d.home_facility(); }},
      {"home_unit", [](const D& d) { return d.home_unit(); }},
      {"risk_score", [](const D& d) { return absl::StrCat(d.risk_score()); }},
      {"open_findings", [](const D& d) { return absl::StrCat(d.open_findings()); }},
      {"last_pm_at", [](const D& d) { return Time(d.maintenance().last_pm_at()); }},
      {"first_seen_at", [](const D& d) { return Time(d.first_seen_at()); }},
      {"last_seen_at", [](const D& d) { return Time(d.last_seen_at()); }},
  };
  return *columns;
}

const std::vector<CsvColumn<v1::HistoryEntry>>& HistoryCsvColumns() {
  using H = v1::HistoryEntry;
  static const auto* const columns = new std::vector<CsvColumn<H>>{
      {"observed_at", [](const H& h) { return Time(h.observed_at()); }},
      {"sequence", [](const H& h) { return absl::StrCat(h.sequence()); }},
      {"agent_id", [](const H& h) { return h.agent_id(); }},
      {"changes",
       [](const H& h) {
         std::vector<std::string> kinds;
         for (int kind : h.changes()) kinds.emplace_back(ChangeKindName(static_cast<v1::ChangeKind>(kind)));
         return JoinList(kinds);
       }},
      {"description", [](const H& h) { return DescribeChanges(h); }},
  };
  return *columns;
}

const std::vector<CsvColumn<v1::Finding>>& FindingCsvColumns() {
  using F = v1::Finding;
  static const auto* const columns = new std::vector<CsvColumn<F>>{
      {"id", [](const F& f) { return f.id(); }},
      {"asset_tag", [](const F& f) { return f.asset_tag(); }},
      {"kind", [](const F& f) { return std::string(FindingKindName(f.kind())); }},
      {"severity", [](const F& f) { return std::string(SeverityName(f.severity())); }},
      {"state", [](const F& f) { return std::string(FindingStateName(f.state())); }},
      {"rule", [](const F& f) { return f.rule(); }},
      {"reason", [](const F& f) { return f.reason(); }},
      {"facility", [](const F& f) { return f.facility(); }},
      {"unit", [](const F& f) { return f.unit(); }},
      {"first_seen_at", [](const F& f) { return Time(f.first_seen_at()); }},
      {"last_seen_at", [](const F& f) { return Time(f.last_seen_at()); }},
      {"acknowledged_by", [](const F& f) { return f.acknowledged_by(); }},
      {"acknowledged_at", [](const F& f) { return Time(f.acknowledged_at()); }},
      {"acknowledgement_note", [](const F& f) { return f.acknowledgement_note(); }},
      {"resolved_at", [](const F& f) { return Time(f.resolved_at()); }},
  };
  return *columns;
}

std::vector<CsvColumn<v1::RiskGroup>> RiskCsvColumns(v1::GetRiskRequest::GroupBy group_by) {
  using R = v1::RiskGroup;
  std::string key = "unit";
  if (group_by == v1::GetRiskRequest::GROUP_BY_DEVICE) key = "asset_tag";
  if (group_by == v1::GetRiskRequest::GROUP_BY_FACILITY) key = "facility";
  return {
      {key, [](const R& r) { return r.key(); }},
      {"devices", [](const R& r) { return absl::StrCat(r.devices()); }},
      {"devices_at_risk", [](const R& r) { return absl::StrCat(r.devices_at_risk()); }},
      {"max_score", [](const R& r) { return absl::StrCat(r.max_score()); }},
      {"mean_score", [](const R& r) { return Score(r.mean_score()); }},
      {"open_findings", [](const R& r) { return absl::StrCat(r.open_findings()); }},
  };
}

const std::vector<CsvColumn<v1::CustodyEvent>>& CustodyEventCsvColumns() {
  using E = v1::CustodyEvent;
  static const auto* const columns = new std::vector<CsvColumn<E>>{
      {"index", [](const E& e) { return absl::StrCat(e.index()); }},
      {"asset_tag", [](const E& e) { return e.asset_tag(); }},
      {"at", [](const E& e) { return Time(e.at()); }},
      {"action", [](const E& e) { return std::string(CustodyActionName(e.action())); }},
      {"from_state", [](const E& e) { return std::string(CustodyStateName(e.from_state())); }},
      {"to_state", [](const E& e) { return std::string(CustodyStateName(e.to_state())); }},
      {"actor", [](const E& e) { return e.actor(); }},
      {"facility", [](const E& e) { return e.facility(); }},
      {"unit", [](const E& e) { return e.unit(); }},
      {"destination_facility", [](const E& e) { return e.destination_facility(); }},
      {"destination_unit", [](const E& e) { return e.destination_unit(); }},
      {"due_at", [](const E& e) { return Time(e.due_at()); }},
      {"permanent_transfer", [](const E& e) { return Bool(e.permanent_transfer()); }},
      {"reason", [](const E& e) { return e.reason(); }},
      {"gate_failures", [](const E& e) { return JoinList(e.gate_failures()); }},
  };
  return *columns;
}

const std::vector<CsvColumn<v1::CheckedOutPump>>& CheckoutCsvColumns() {
  using C = v1::CheckedOutPump;
  static const auto* const columns = new std::vector<CsvColumn<C>>{
      {"asset_tag", [](const C& c) { return c.asset_tag(); }},
      {"holder", [](const C& c) { return c.custody().holder(); }},
      {"origin_facility", [](const C& c) { return c.custody().origin_facility(); }},
      {"origin_unit", [](const C& c) { return c.custody().origin_unit(); }},
      {"destination_facility", [](const C& c) { return c.custody().destination_facility(); }},
      {"destination_unit", [](const C& c) { return c.custody().destination_unit(); }},
      {"checked_out_at", [](const C& c) { return Time(c.custody().checked_out_at()); }},
      {"due_at", [](const C& c) { return Time(c.custody().due_at()); }},
      {"overdue", [](const C& c) { return Bool(c.overdue()); }},
      {"facility", [](const C& c) { return c.location().facility(); }},
      {"unit", [](const C& c) { return c.location().unit(); }},
      {"room", [](const C& c) { return c.location().room(); }},
  };
  return *columns;
}

const std::vector<CsvColumn<v1::AvailablePump>>& AvailablePumpCsvColumns() {
  using A = v1::AvailablePump;
  static const auto* const columns = new std::vector<CsvColumn<A>>{
      {"asset_tag", [](const A& a) { return a.asset_tag(); }},
      {"model", [](const A& a) { return a.model(); }},
      {"proximity", [](const A& a) { return std::string(ProximityName(a.proximity())); }},
      {"facility", [](const A& a) { return a.location().facility(); }},
      {"unit", [](const A& a) { return a.location().unit(); }},
      {"room", [](const A& a) { return a.location().room(); }},
      {"last_seen_at", [](const A& a) { return Time(a.last_seen_at()); }},
  };
  return *columns;
}

const std::vector<CsvColumn<v1::Token>>& TokenCsvColumns() {
  using T = v1::Token;
  static const auto* const columns = new std::vector<CsvColumn<T>>{
      {"id", [](const T& t) { return t.id(); }},
      {"name", [](const T& t) { return t.name(); }},
      {"role", [](const T& t) { return std::string(RoleName(t.role())); }},
      {"created_at", [](const T& t) { return Time(t.created_at()); }},
      {"created_by", [](const T& t) { return t.created_by(); }},
      {"expires_at", [](const T& t) { return Time(t.expires_at()); }},
      {"revoked_at", [](const T& t) { return Time(t.revoked_at()); }},
      {"directory_user", [](const T& t) { return t.directory_user(); }},
  };
  return *columns;
}

const std::vector<CsvColumn<v1::Agent>>& AgentCsvColumns() {
  using A = v1::Agent;
  static const auto* const columns = new std::vector<CsvColumn<A>>{
      {"agent_id", [](const A& a) { return a.agent_id(); }},
      {"state", [](const A& a) { return std::string(AgentStateName(a.state())); }},
      {"enrolled_at", [](const A& a) { return Time(a.enrolled_at()); }},
      {"enrolled_by", [](const A& a) { return a.enrolled_by(); }},
      {"revoked_at", [](const A& a) { return Time(a.revoked_at()); }},
      {"revoked_by", [](const A& a) { return a.revoked_by(); }},
      {"note", [](const A& a) { return a.note(); }},
  };
  return *columns;
}

const std::vector<CsvColumn<v1::AuditEntry>>& AuditCsvColumns() {
  using A = v1::AuditEntry;
  static const auto* const columns = new std::vector<CsvColumn<A>>{
      {"index", [](const A& a) { return absl::StrCat(a.index()); }},
      {"time", [](const A& a) { return Time(a.time()); }},
      {"actor_kind", [](const A& a) { return std::string(ActorKindName(a.actor_kind())); }},
      {"actor", [](const A& a) { return a.actor(); }},
      {"action", [](const A& a) { return a.action(); }},
      {"target", [](const A& a) { return a.target(); }},
      {"before", [](const A& a) { return a.before(); }},
      {"after", [](const A& a) { return a.after(); }},
  };
  return *columns;
}

const std::vector<CsvColumn<v1::MaintenanceRecord>>& MaintenanceRecordCsvColumns() {
  using M = v1::MaintenanceRecord;
  static const auto* const columns = new std::vector<CsvColumn<M>>{
      {"asset_tag", [](const M& m) { return m.asset_tag(); }},
      {"kind", [](const M& m) { return MaintenanceKindWord(m.kind()); }},
      {"performed_at", [](const M& m) { return Time(m.performed_at()); }},
      {"performed_by", [](const M& m) { return m.performed_by(); }},
      {"notes", [](const M& m) { return m.notes(); }},
      {"next_due", [](const M& m) { return Time(m.next_due_override()); }},
      {"index", [](const M& m) { return absl::StrCat(m.index()); }},
      {"recorded_by", [](const M& m) { return m.recorded_by(); }},
      {"recorded_at", [](const M& m) { return Time(m.recorded_at()); }},
      {"component_serial", [](const M& m) { return m.component_serial(); }},
  };
  return *columns;
}

const std::vector<CsvColumn<v1::DuePump>>& DuePumpCsvColumns() {
  using P = v1::DuePump;
  static const auto* const columns = new std::vector<CsvColumn<P>>{
      {"asset_tag", [](const P& p) { return p.asset_tag(); }},
      {"model", [](const P& p) { return p.model(); }},
      {"facility", [](const P& p) { return p.location().facility(); }},
      {"unit", [](const P& p) { return p.location().unit(); }},
      {"room", [](const P& p) { return p.location().room(); }},
      {"last_pm_at", [](const P& p) { return Time(p.last_pm_at()); }},
      {"due_at", [](const P& p) { return Time(p.due_at()); }},
      {"overdue", [](const P& p) { return Bool(p.overdue()); }},
      {"component_kind", [](const P& p) { return p.component_kind(); }},
      {"component_model", [](const P& p) { return p.component_model(); }},
      {"component_serial", [](const P& p) { return p.component_serial(); }},
  };
  return *columns;
}

const std::vector<CsvColumn<v1::AdvisorySummary>>& AdvisoryCsvColumns() {
  using S = v1::AdvisorySummary;
  static const auto* const columns = new std::vector<CsvColumn<S>>{
      {"tracking_id", [](const S& s) { return s.tracking_id(); }},
      {"version", [](const S& s) { return s.version(); }},
      {"current_release_date", [](const S& s) { return Time(s.current_release_date()); }},
      {"title", [](const S& s) { return s.title(); }},
      {"cves", [](const S& s) { return JoinList(s.cves()); }},
      {"max_base_score", [](const S& s) { return Score(s.max_base_score()); }},
      {"affected_devices", [](const S& s) { return absl::StrCat(s.affected_devices()); }},
      {"needs_review_products", [](const S& s) { return absl::StrCat(s.needs_review_products()); }},
      {"matched_devices", [](const S& s) { return absl::StrCat(s.matched_devices()); }},
      {"findings_pending", [](const S& s) { return absl::StrCat(s.findings_pending()); }},
  };
  return *columns;
}

const std::vector<CsvColumn<v1::UnmappedAdvisoryProduct>>& UnmappedProductCsvColumns() {
  using U = v1::UnmappedAdvisoryProduct;
  static const auto* const columns = new std::vector<CsvColumn<U>>{
      {"tracking_id", [](const U& u) { return u.tracking_id(); }},
      {"vendor", [](const U& u) { return u.vendor(); }},
      {"product", [](const U& u) { return u.product(); }},
      {"similar_models", [](const U& u) { return JoinList(u.similar_models()); }},
  };
  return *columns;
}

const std::vector<CsvColumn<v1::Backup>>& BackupCsvColumns() {
  using B = v1::Backup;
  static const auto* const columns = new std::vector<CsvColumn<B>>{
      {"backup_id", [](const B& b) { return absl::StrCat(b.backup_id()); }},
      {"created_at", [](const B& b) { return Time(b.created_at()); }},
      {"file_count", [](const B& b) { return absl::StrCat(b.file_count()); }},
      {"size_bytes", [](const B& b) { return absl::StrCat(b.size_bytes()); }},
      {"format_version", [](const B& b) { return absl::StrCat(b.format_version()); }},
  };
  return *columns;
}

const std::vector<CsvColumn<v1::UtilizationRow>>& UtilizationCsvColumns() {
  using U = v1::UtilizationRow;
  static const auto* const columns = new std::vector<CsvColumn<U>>{
      {"facility", [](const U& u) { return u.facility(); }},
      {"unit", [](const U& u) { return u.unit(); }},
      {"model", [](const U& u) { return u.model(); }},
      {"asset_tag", [](const U& u) { return u.asset_tag(); }},
      {"devices", [](const U& u) { return absl::StrCat(u.devices()); }},
      {"infusing_ms", [](const U& u) { return absl::StrCat(u.time().infusing_ms()); }},
      {"idle_ms", [](const U& u) { return absl::StrCat(u.time().idle_ms()); }},
      {"alarm_ms", [](const U& u) { return absl::StrCat(u.time().alarm_ms()); }},
      {"off_ms", [](const U& u) { return absl::StrCat(u.time().off_ms()); }},
      {"unknown_ms", [](const U& u) { return absl::StrCat(u.time().unknown_ms()); }},
      {"infusing_share", [](const U& u) { return absl::StrFormat("%.4f", u.infusing_share()); }},
      {"peak_infusing", [](const U& u) { return absl::StrCat(u.peak_infusing()); }},
      {"par_level", [](const U& u) { return absl::StrCat(u.par_level()); }},
  };
  return *columns;
}

}  // namespace pumptrack::cli
