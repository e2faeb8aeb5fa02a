// libFuzzer target: the agent's spool-file parser (agents::spool::ParseSpoolDocument). Spool files are written by
// vendor gateways and export jobs, so any bytes must be refused with INVALID_ARGUMENT or accepted; never crash, hang
// or leak. An accepted document has what the parser promises (asset tag, serial number, observed_at; sequence 0),
// and printing it back to protobuf JSON parses to the same observation.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "agents/spool/spool_source.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "tests/fuzz/require.h"

namespace {

void Require(bool condition, const char* what) { pumptrack::fuzz::Require(condition, "spool_fuzzer", what); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view json(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<pumptrack::v1::Observation> observation = pumptrack::agents::spool::ParseSpoolDocument(json);
  if (!observation.ok()) {
    Require(absl::IsInvalidArgument(observation.status()), "a refused document is not INVALID_ARGUMENT");
    return 0;
  }
  Require(!observation->identity().asset_tag().empty(), "accepted without an asset tag");
  Require(!observation->identity().serial_number().empty(), "accepted without a serial number");
  Require(observation->has_observed_at(), "accepted without observed_at");
  Require(observation->sequence() == 0, "the document's sequence was kept");
  std::string printed;
  Require(google::protobuf::util::MessageToJsonString(*observation, &printed).ok(),
          "an accepted observation cannot be printed as JSON");
  absl::StatusOr<pumptrack::v1::Observation> again = pumptrack::agents::spool::ParseSpoolDocument(printed);
  Require(again.ok(), "an accepted observation's own JSON is refused");
  // Compared field by field: map fields (configuration settings) make serialized bytes order-dependent.
  Require(google::protobuf::util::MessageDifferencer::Equals(*again, *observation),
          "an accepted observation changes on its JSON round trip");
  return 0;
}
