#ifndef PUMPTRACK_STORAGE_DEVICE_SUMMARY_H_
#define PUMPTRACK_STORAGE_DEVICE_SUMMARY_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "pumptrack/v1/device.pb.h"
#include "storage/database.h"

namespace pumptrack::storage {

// The few fields of a stored pumptrack.v1.Device that the service's in-memory fleet index needs at start-up. Read
// straight from the wire format, without building the whole Device: a restart at 1M pumps reads every record once.
struct DeviceSummary {
  std::string asset_tag;
  // last_observation.location
  std::string facility;
  std::string unit;
  v1::OperatingState operating_state = v1::OPERATING_STATE_UNSPECIFIED;
  // last_seen_at (service clock); InfinitePast when unset.
  absl::Time last_seen = absl::InfinitePast();
  v1::CustodyState custody = v1::CUSTODY_STATE_UNSPECIFIED;
  // identity.model and last_observation.firmware_version
  std::string model;
  std::string firmware_version;
  // last_observation.components[]: model and version (firmware, else software), as stored (may repeat; those without
  // a model left out)
  struct Component {
    std::string model;
    std::string version;
  };
  std::vector<Component> components;
};

// The summary of a serialized Device; DATA_LOSS when the bytes are not a well-formed message. Fields a newer version
// adds are skipped.
absl::StatusOr<DeviceSummary> ParseDeviceSummary(absl::string_view bytes);

// Calls `visit` with the summary of every stored device in asset-tag order, stopping at the first error.
absl::Status ForEachDeviceSummary(const Database& database,
                                  const std::function<absl::Status(const DeviceSummary&)>& visit);

}  // namespace pumptrack::storage

#endif  // PUMPTRACK_STORAGE_DEVICE_SUMMARY_H_
