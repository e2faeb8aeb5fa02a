#ifndef PUMPTRACK_SERVICE_VALIDATION_H_
#define PUMPTRACK_SERVICE_VALIDATION_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "pumptrack/v1/advisory.pb.h"
#include "pumptrack/v1/agent_service.pb.h"
#include "pumptrack/v1/device.pb.h"

namespace pumptrack::service {

// What is wrong with a request, and where: `field` is a path such as "observation.identity.asset_tag".
struct FieldViolation {
  std::string field;
  std::string reason;
};

// INVALID_ARGUMENT with the message "<field>: <reason>".
absl::Status ToStatus(const FieldViolation& violation);

// Limits a report must respect (see the field comments in device.proto).
inline constexpr int kMaxObservationsPerBatch = 1000;
inline constexpr absl::Duration kMaxClockSkew = absl::Minutes(5);
// The largest sequence an observation may carry: 2^53, so a sequence survives every JSON reader as a number and one
// report near 2^64 cannot put a device out of reach of every later report from its agent (see docs/SECURITY.md).
inline constexpr std::uint64_t kMaxSequence = std::uint64_t{1} << 53;

// Checks one observation against the protocol's documented limits. `now` is the service's clock; `path` prefixes
// field names ("observation", "observations[3]"). Returns the first violation, or nullopt when valid.
std::optional<FieldViolation> ValidateObservation(const v1::Observation& observation, absl::Time now,
                                                  absl::string_view path);

// Checks an agent's self-description. The agent id is required.
std::optional<FieldViolation> ValidateAgentInfo(const v1::AgentInfo& agent, absl::string_view path);

// Drops every field of `message` (at any depth) that this version does not know. Whatever a sender puts beyond the
// documented protocol (possibly patient data from a misconfigured integration) is accepted but never stored: the
// report handlers call this on every observation and agent before queueing them for storage, on gRPC's threads.
void DropUnknownFields(google::protobuf::Message& message);

// True when `text` is well-formed UTF-8 (no overlong forms, surrogates or code points above U+10FFFF) without
// control characters.
bool IsCleanText(absl::string_view text);

// Limits of AdvisoryService.ImportAdvisories (see advisory.proto): files per call, and a file name's and a sidecar's
// length. A file's content is capped by advisories::kMaxCsafBytes.
inline constexpr int kMaxAdvisoryFilesPerImport = 100;
inline constexpr std::size_t kMaxAdvisoryFileNameBytes = 255;
inline constexpr std::size_t kMaxSha512SidecarBytes = 1024;

// Checks one file of an import before it is parsed: a file name (1–255 clean characters, no '/'), content of
// 1..advisories::kMaxCsafBytes bytes, a sidecar (1–1024 bytes). `path` prefixes field names ("files[2]").
std::optional<FieldViolation> ValidateAdvisoryFile(const v1::AdvisoryFile& file, absl::string_view path);

// An advisory's tracking id in a request (GetAdvisory, ListAffectedDevices): 1–128 printable characters.
inline constexpr std::size_t kMaxTrackingIdBytes = 128;
std::optional<FieldViolation> ValidateTrackingId(absl::string_view tracking_id);

// True when `value` is a valid asset tag: 1–64 characters from [A-Za-z0-9._-].
bool IsValidAssetTag(absl::string_view value);

}  // namespace pumptrack::service

#endif  // PUMPTRACK_SERVICE_VALIDATION_H_
