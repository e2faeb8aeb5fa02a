// From a parsed HL7 v2 ORU^R01 (IHE PCD-01 DEC, MEM-DMC, MEM-LS) to pumptrack.v1.Observation messages.
//
// What is read (docs/HL7.md has the full table): MSH-9/10; OBR (starts a group of devices); OBX-2/3/4/5/18, with
// OBX-3 looked up in the mapping table; PRT-10/20 (2.7+); only field 3 of PV1 (a location). PID, PD1, NK1, PV2, NTE
// and every PV1 field but 3 are never read, so no patient data can reach an observation. Unknown segments and OBX
// codes are counted and otherwise ignored.
#ifndef PUMPTRACK_AGENTS_HL7_MAPPING_H_
#define PUMPTRACK_AGENTS_HL7_MAPPING_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "agents/hl7/mapping.pb.h"
#include "agents/hl7/message.h"
#include "pumptrack/v1/device.pb.h"

namespace pumptrack::agents::hl7 {

// The shipped default table (agents/hl7/mdc-default.textproto, compiled in).
absl::string_view DefaultMappingText();

// Parses and checks a text-format MappingTable. INVALID_ARGUMENT naming the entry for a syntax error, an entry with
// neither code nor name, no target, a component without a kind, or an unknown operating state.
absl::StatusOr<pumptrack::hl7::MappingTable> ParseMappingTable(absl::string_view text);

// What one message produced: the observations (one per device it names, partial: only what the message says is set)
// or why it cannot be used, and counts of what was skipped.
struct MappedMessage {
  std::vector<pumptrack::v1::Observation> observations;
  std::optional<Rejection> rejection;
  int64_t unknown_segments = 0;
  int64_t unknown_codes = 0;
  int64_t patient_segments = 0;  // PID, PD1, NK1, PV2 and PV1 (of which only PV1-3 is read)
};

// Maps messages with one table. Remembers, for the process's life, the serial number and asset tag of each device
// system id (EUI-64) and the serial of each asset tag it has seen, so that a location message that names a pump only
// by one identifier (MEM-LS from an RTLS) still yields a complete identity. Thread-safe.
class Mapper {
 public:
  explicit Mapper(pumptrack::hl7::MappingTable table);

  // `received` becomes every observation's observed_at (the agent's clock, like the other adapters). Rejections:
  // AR 200 for a message type other than ORU^R01; AE 101 for a missing MSH-10 or a device without a usable asset tag
  // or serial (naming the OBX or PRT that identified it); AE 102 for a value the contract cannot hold (a battery
  // percentage outside 0–100, an invalid asset tag).
  MappedMessage Map(const Message& message, absl::Time received);

 private:
  struct Known {
    std::string asset_tag;
    std::string serial;
  };
  absl::flat_hash_map<std::string, const pumptrack::hl7::CodeMapping*> by_code_;
  pumptrack::hl7::MappingTable table_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Known> by_system_id_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, std::string> serial_by_tag_ ABSL_GUARDED_BY(mu_);
};

}  // namespace pumptrack::agents::hl7

#endif  // PUMPTRACK_AGENTS_HL7_MAPPING_H_
