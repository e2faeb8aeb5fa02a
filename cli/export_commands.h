// `pumptrack export fhir`: reads every device and every open critical finding over gRPC (paged, like `devices list`
// and `findings list`) and writes them as a FHIR R4 Bundle (cli/fhir.h).
#pragma once

#include <string>

#include "absl/status/status.h"
#include "cli/commands.h"
#include "cli/finding_commands.h"

namespace pumptrack::cli {

struct FhirCommandOptions {
  // Write here (replaced whole, through a temporary file and a rename) instead of to standard output.
  std::string out_file;
  // Device.identifier.system of the asset tag.
  std::string asset_tag_system;
};

// Fails with the first failed page's error (nothing written), or with the file's error naming it.
absl::Status ExportFhir(const CommandContext& inventory, const FindingContext& findings,
                        const FhirCommandOptions& options);

}  // namespace pumptrack::cli
