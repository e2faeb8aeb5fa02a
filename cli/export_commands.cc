#include "cli/export_commands.h"

#include <cstdio>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cli/fhir.h"
#include "common/status_macros.h"

namespace pumptrack::cli {
namespace {

absl::Status WriteFileWhole(const std::string& path, const std::string& text) {
  const std::string temporary = absl::StrCat(path, ".tmp");
  {
    std::ofstream file(temporary, std::ios::binary | std::ios::trunc);
    file << text;
    file.close();
    if (!file) {
      std::remove(temporary.c_str());
      return absl::UnavailableError(absl::StrCat("cannot write ", temporary));
    }
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    std::remove(temporary.c_str());
    return absl::UnavailableError(absl::StrCat("cannot replace ", path));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ExportFhir(const CommandContext& inventory, const FindingContext& findings,
                        const FhirCommandOptions& options) {
  ASSIGN_OR_RETURN(std::vector<v1::Device> devices,
                   FetchDevices(inventory.stub, inventory.connection, ListDevicesOptions{}));
  ListFindingsOptions critical;
  critical.filter.set_severity(v1::SEVERITY_CRITICAL);
  critical.filter.set_state(v1::FINDING_STATE_OPEN);
  ASSIGN_OR_RETURN(std::vector<v1::Finding> open_critical, FetchFindings(findings.stub, findings.connection, critical));
  std::map<std::string, std::vector<v1::Finding>> by_tag;
  for (v1::Finding& finding : open_critical) by_tag[finding.asset_tag()].push_back(std::move(finding));
  FhirExportOptions export_options{.asset_tag_system = options.asset_tag_system, .now = inventory.now};
  if (export_options.asset_tag_system.empty()) export_options.asset_tag_system = std::string(kDefaultAssetTagSystem);
  ASSIGN_OR_RETURN(std::string bundle, FhirDeviceBundle(devices, by_tag, export_options));
  bundle += '\n';
  if (options.out_file.empty()) {
    inventory.out << bundle;
    return absl::OkStatus();
  }
  RETURN_IF_ERROR(WriteFileWhole(options.out_file, bundle));
  inventory.out << "Wrote " << devices.size() << " devices (" << open_critical.size() << " open critical findings) to "
                << options.out_file << " as a FHIR R4 Bundle.\n";
  return absl::OkStatus();
}

}  // namespace pumptrack::cli
