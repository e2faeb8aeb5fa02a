// `pumptrack export fhir`: the fleet as a FHIR R4 Bundle (type collection) of Device resources, for an EHR or a CMMS.
// Pure mapping from pumptrack.v1 messages to FHIR JSON; no I/O. What each Device carries (docs/FHIR.md):
//   id                 the asset tag, made a FHIR id ([A-Za-z0-9.-], at most 64 characters)
//   identifier[0]      {system: the asset tag system (--system), value: the asset tag}
//   status             active (available, in transit), inactive (quarantined, in maintenance, retired)
//   statusReason       the custody state in words when not simply available
//   manufacturer, serialNumber, modelNumber, deviceName[{name: model, type: model-name}]
//   version[]          firmware of the pump, and hardware/software/firmware of each component, typed with the
//                      ISO/IEEE 11073-10101 (MDC) codes below; a component's version names it in version.component
//   location           a display-only Reference: "general / north / 3 / 5-west / room 512"
//   safety[], note[]   one per open critical finding: "<kind>: <reason>" (rule and finding id in the note)
// Never a patient reference, nor anything about one: pumptrack holds no patient data.
#pragma once

#include <map>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "pumptrack/v1/device.pb.h"
#include "pumptrack/v1/finding.pb.h"

namespace pumptrack::cli {

// The code system of the MDC device version types (HL7 PHD IG value set MDCDeviceVersionTypes).
inline constexpr absl::string_view kMdcSystem = "urn:iso:std:iso:11073:10101";
inline constexpr absl::string_view kMdcHardwareCode = "531974";  // MDC_ID_PROD_SPEC_HW
inline constexpr absl::string_view kMdcSoftwareCode = "531975";  // MDC_ID_PROD_SPEC_SW
inline constexpr absl::string_view kMdcFirmwareCode = "531976";  // MDC_ID_PROD_SPEC_FW

// The identifier system of asset tags unless --system names the hospital's own.
inline constexpr absl::string_view kDefaultAssetTagSystem = "urn:pumptrack:asset-tag";
// The identifier system naming a component (kind/position/serial) in Device.version.component.
inline constexpr absl::string_view kComponentSystem = "urn:pumptrack:component";

struct FhirExportOptions {
  std::string asset_tag_system = std::string(kDefaultAssetTagSystem);
  // Bundle.timestamp.
  absl::Time now;
};

// A FHIR id from an asset tag: characters outside [A-Za-z0-9.-] become '-', cut to 64 characters.
std::string FhirId(absl::string_view asset_tag);

// The Bundle as indented JSON. `critical_findings` maps an asset tag to its open critical findings. Fails with
// INTERNAL only if JSON conversion fails.
absl::StatusOr<std::string> FhirDeviceBundle(std::span<const v1::Device> devices,
                                             const std::map<std::string, std::vector<v1::Finding>>& critical_findings,
                                             const FhirExportOptions& options);

}  // namespace pumptrack::cli
