#include "cli/advisory_commands.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "advisories/csaf_parser.h"
#include "advisories/sha512_sidecar.h"
#include "cli/csv_columns.h"
#include "cli/errors.h"
#include "cli/format.h"
#include "cli/json.h"
#include "cli/table.h"
#include "common/status_macros.h"

extern char** environ;

namespace pumptrack::cli {
namespace {

absl::StatusOr<std::string> ReadWhole(const std::string& path, std::uintmax_t limit) {
  std::error_code error;
  const std::uintmax_t size = std::filesystem::file_size(path, error);
  if (error) return absl::NotFoundError(absl::StrCat(path, ": ", error.message()));
  if (size > limit) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": ", size, " bytes, more than the limit of ", limit, " bytes (16 MiB)"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot be read"));
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

// Runs gpgv (found on PATH) on `signature` and `path` against `keyring`; its output is discarded.
absl::Status VerifySignature(const std::string& path, const std::string& keyring) {
  const std::string signature = absl::StrCat(path, ".asc");
  if (!std::filesystem::exists(signature)) {
    return absl::NotFoundError(absl::StrCat(signature, ": no signature file (needed with --keyring)"));
  }
  // gpgv reads a keyring name without a slash from ~/.gnupg; the operator names a file.
  const std::string keyring_path = keyring.find('/') == std::string::npos ? absl::StrCat("./", keyring) : keyring;
  if (!std::filesystem::exists(keyring_path)) return absl::NotFoundError(absl::StrCat(keyring, ": no such keyring"));
  std::vector<std::string> args = {"gpgv", "--quiet", "--keyring", keyring_path, "--", signature, path};
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  const int spawned = posix_spawnp(&pid, "gpgv", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    return absl::FailedPreconditionError("gpgv cannot be run (install Debian's gpgv package)");
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return absl::InternalError("waiting for gpgv failed");
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return absl::PermissionDeniedError(
        absl::StrCat(signature, ": the signature of ", path, " does not verify against keyring ", keyring));
  }
  return absl::OkStatus();
}

std::string FormatScore(double score) { return absl::StrFormat("%.1f", score); }

std::string ReleaseDate(const google::protobuf::Timestamp& timestamp) {
  return absl::FormatTime("%Y-%m-%d", ToAbslTime(timestamp), absl::UTCTimeZone());
}

absl::StatusOr<std::vector<v1::AdvisorySummary>> FetchSummaries(const AdvisoryContext& context) {
  std::vector<v1::AdvisorySummary> all;
  v1::ListAdvisoriesRequest request;
  request.set_page_size(1000);
  while (true) {
    v1::ListAdvisoriesResponse page;
    const grpc::Status status = context.stub.ListAdvisories(NewCallContext(context.connection).get(), request, &page);
    if (!status.ok()) return FromRpcStatus(status, "advisories", context.connection);
    all.insert(all.end(), page.advisories().begin(), page.advisories().end());
    if (page.next_page_token().empty()) break;
    if (page.next_page_token() == request.page_token()) return absl::InternalError("the server repeated a page token");
    request.set_page_token(page.next_page_token());
  }
  return all;
}

absl::StatusOr<v1::Advisory> FetchAdvisory(const AdvisoryContext& context, const std::string& tracking_id) {
  v1::GetAdvisoryRequest request;
  request.set_tracking_id(tracking_id);
  v1::Advisory advisory;
  const grpc::Status status = context.stub.GetAdvisory(NewCallContext(context.connection).get(), request, &advisory);
  if (!status.ok()) return FromRpcStatus(status, absl::StrCat("advisory ", tracking_id), context.connection);
  return advisory;
}

}  // namespace

absl::StatusOr<v1::AdvisoryFile> ReadAdvisoryFile(const std::string& path, const std::string& keyring) {
  v1::AdvisoryFile file;
  file.set_file_name(std::filesystem::path(path).filename().string());
  ASSIGN_OR_RETURN(std::string content, ReadWhole(path, advisories::kMaxCsafBytes));
  ASSIGN_OR_RETURN(std::string sidecar, ReadWhole(absl::StrCat(path, ".sha512"), 4096));
  RETURN_IF_ERROR(advisories::VerifySha512Sidecar(content, file.file_name(), sidecar));
  if (!keyring.empty()) RETURN_IF_ERROR(VerifySignature(path, keyring));
  file.set_content(std::move(content));
  file.set_sha512_sidecar(std::move(sidecar));
  return file;
}

absl::Status ImportAdvisories(const AdvisoryContext& context, const std::vector<std::string>& paths,
                              const std::string& keyring, bool background) {
  v1::ImportAdvisoriesRequest request;
  request.set_findings_in_background(background);
  for (const std::string& path : paths) {
    ASSIGN_OR_RETURN(*request.add_files(), ReadAdvisoryFile(path, keyring));
  }
  v1::ImportAdvisoriesResponse response;
  const grpc::Status status =
      context.stub.ImportAdvisories(NewCallContext(context.connection).get(), request, &response);
  if (!status.ok()) return FromRpcStatus(status, "import", context.connection);
  if (context.format == OutputFormat::kJson) return PrintJson(response, context.out);
  for (const v1::AdvisorySummary& summary : response.imported()) {
    const std::string findings =
        summary.findings_pending() > 0
            ? absl::StrCat(summary.matched_devices(), " pumps affected (", summary.affected_devices(),
                           " flagged so far; findings being written for ", summary.findings_pending(),
                           " more pumps, see `advisories list`)")
            : absl::StrCat(summary.affected_devices(), " pumps affected");
    context.out << Printable(absl::StrCat("imported ", summary.tracking_id(), " revision ", summary.version(), " (",
                                          ReleaseDate(summary.current_release_date()), "): ", summary.title(), "; ",
                                          findings, ", ", summary.needs_review_products(), " products need review"))
                << '\n';
  }
  return absl::OkStatus();
}

absl::Status ListAdvisories(const AdvisoryContext& context) {
  ASSIGN_OR_RETURN(std::vector<v1::AdvisorySummary> summaries, FetchSummaries(context));
  return PrintList(
      context, summaries, "no advisories imported",
      [&](const std::vector<v1::AdvisorySummary>& items) {
        TextTable table(
            {"ID", "REV", "RELEASED", "TITLE", "CVES", "MAX CVSS", "AFFECTED", "NEEDS REVIEW", "MATCHED", "PENDING"});
        for (const v1::AdvisorySummary& s : items) {
          table.AddRow({s.tracking_id(), s.version(), ReleaseDate(s.current_release_date()), s.title(),
                        s.cves().empty() ? "-" : absl::StrJoin(s.cves(), ","), FormatScore(s.max_base_score()),
                        absl::StrCat(s.affected_devices()), absl::StrCat(s.needs_review_products()),
                        absl::StrCat(s.matched_devices()), absl::StrCat(s.findings_pending())});
        }
        table.Print(context.out);
      },
      std::span(AdvisoryCsvColumns()));
}

absl::Status ShowAdvisory(const AdvisoryContext& context, const std::string& tracking_id) {
  v1::AdvisoryReport report;
  ASSIGN_OR_RETURN(*report.mutable_advisory(), FetchAdvisory(context, tracking_id));
  // (facility, unit) -> devices, ordered; the server answers them in asset tag order, a page at a time.
  std::map<std::pair<std::string, std::string>, std::vector<v1::AffectedDevice>> units;
  v1::ListAffectedDevicesRequest request;
  request.set_tracking_id(tracking_id);
  request.set_page_size(1000);
  while (true) {
    v1::ListAffectedDevicesResponse page;
    const grpc::Status status =
        context.stub.ListAffectedDevices(NewCallContext(context.connection).get(), request, &page);
    if (!status.ok()) {
      return FromRpcStatus(status, absl::StrCat("advisory ", tracking_id), context.connection);
    }
    for (v1::AffectedDevice& affected : *page.mutable_devices()) {
      units[{affected.location().facility(), affected.location().unit()}].push_back(std::move(affected));
    }
    if (page.next_page_token().empty()) break;
    if (page.next_page_token() == request.page_token()) return absl::InternalError("the server repeated a page token");
    request.set_page_token(page.next_page_token());
  }
  for (auto& [key, devices] : units) {
    std::sort(devices.begin(), devices.end(),
              [](const v1::AffectedDevice& a, const v1::AffectedDevice& b) { return a.asset_tag() < b.asset_tag(); });
    v1::AffectedUnit* unit = report.add_units();
    unit->set_facility(key.first);
    unit->set_unit(key.second);
    for (v1::AffectedDevice& device : devices) *unit->add_devices() = std::move(device);
  }
  std::ostream& out = context.out;
  if (context.format == OutputFormat::kJson) return PrintJson(report, out);

  const v1::Advisory& advisory = report.advisory();
  std::vector<std::string> cves;
  double max_score = 0;
  std::vector<std::string> remediations;
  for (const v1::AdvisoryVulnerability& v : advisory.vulnerabilities()) {
    if (!v.cve().empty() && std::find(cves.begin(), cves.end(), v.cve()) == cves.end()) cves.push_back(v.cve());
    for (const v1::CvssV3Score& score : v.scores()) max_score = std::max(max_score, score.base_score());
    for (const v1::Remediation& r : v.remediations()) {
      std::string line =
          absl::StrCat(r.category(), ": ", r.details(), r.url().empty() ? "" : absl::StrCat(" ", r.url()));
      if (std::find(remediations.begin(), remediations.end(), line) == remediations.end()) {
        remediations.push_back(std::move(line));
      }
    }
  }
  out << Printable(absl::StrCat(advisory.tracking_id(), ": ", advisory.title())) << '\n';
  out << Printable(absl::StrCat("revision ", advisory.version(), " of ", ReleaseDate(advisory.current_release_date()),
                                ", ", advisory.publisher()))
      << '\n';
  out << Printable(absl::StrCat("CVEs: ", cves.empty() ? "-" : absl::StrJoin(cves, ", "), "; max CVSS ",
                                FormatScore(max_score)))
      << '\n';
  for (const v1::AdvisoryProduct& product : advisory.products()) {
    if (product.needs_review()) {
      out << Printable(absl::StrCat("needs review: ", product.full_name(), ": ", product.review_reason())) << '\n';
    }
  }
  out << "remediation:\n";
  if (remediations.empty()) out << "  none given\n";
  for (const std::string& line : remediations) out << "  " << Printable(line) << '\n';
  std::size_t total = 0;
  for (const v1::AffectedUnit& unit : report.units()) total += unit.devices_size();
  out << "affected pumps: " << total << '\n';
  for (const v1::AffectedUnit& unit : report.units()) {
    out << '\n'
        << Printable(absl::StrCat(OrDash(unit.facility()), " / ", OrDash(unit.unit()), " (", unit.devices_size(), ")"))
        << '\n';
    TextTable table({"ASSET TAG", "LOCATION", "CUSTODY", "LAST SEEN", "SEVERITY", "FINDING"});
    for (const v1::AffectedDevice& d : unit.devices()) {
      table.AddRow({d.asset_tag(), FormatShortLocation(d.location()),
                    absl::StrCat(absl::StripPrefix(v1::CustodyState_Name(d.custody_state()), "CUSTODY_STATE_"),
                                 d.custody_holder().empty() ? "" : absl::StrCat(" (", d.custody_holder(), ")")),
                    FormatTimeAndAge(d.last_seen_at(), context.now),
                    std::string(absl::StripPrefix(v1::Severity_Name(d.severity()), "SEVERITY_")), d.finding_id()});
    }
    table.Print(out);
  }
  return absl::OkStatus();
}

absl::Status ListUnmapped(const AdvisoryContext& context) {
  std::vector<v1::UnmappedAdvisoryProduct> unmapped;
  v1::ListUnmappedProductsRequest request;
  request.set_page_size(1000);
  while (true) {
    v1::ListUnmappedProductsResponse page;
    const grpc::Status status =
        context.stub.ListUnmappedProducts(NewCallContext(context.connection).get(), request, &page);
    if (!status.ok()) return FromRpcStatus(status, "unmapped products", context.connection);
    unmapped.insert(unmapped.end(), page.products().begin(), page.products().end());
    if (page.next_page_token().empty()) break;
    if (page.next_page_token() == request.page_token()) return absl::InternalError("the server repeated a page token");
    request.set_page_token(page.next_page_token());
  }
  return PrintList(
      context, unmapped, "every imported product is mapped",
      [&](const std::vector<v1::UnmappedAdvisoryProduct>& items) {
        TextTable table({"ADVISORY", "VENDOR", "PRODUCT", "LOOKS LIKE"});
        for (const v1::UnmappedAdvisoryProduct& u : items) {
          table.AddRow({u.tracking_id(), OrDash(u.vendor()), OrDash(u.product()),
                        u.similar_models().empty() ? "-" : absl::StrJoin(u.similar_models(), ", ")});
        }
        table.Print(context.out);
      },
      std::span(UnmappedProductCsvColumns()));
}

}  // namespace pumptrack::cli
