// libFuzzer target: the HL7 v2 parser and the mapping of the HL7 adapter (agents::hl7::Message::Parse, Mapper::Map)
// and the acknowledgement built for the result. Messages come from vendor gateways, RTLS and integration engines over
// the network, so any bytes must be refused with INVALID_ARGUMENT or parsed; never crash, hang or leak. A parsed
// message's ACK parses again and acknowledges its control id; a mapped observation has an asset tag and a serial
// number and leaves the sequence to the agent.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "agents/hl7/mapping.h"
#include "agents/hl7/message.h"
#include "tests/fuzz/require.h"

namespace {

namespace hl7 = pumptrack::agents::hl7;

void Require(bool condition, const char* what) { pumptrack::fuzz::Require(condition, "hl7_fuzzer", what); }

hl7::Mapper& TheMapper() {
  static hl7::Mapper* mapper = [] {
    absl::StatusOr<pumptrack::hl7::MappingTable> table = hl7::ParseMappingTable(
        std::string(hl7::DefaultMappingText()) +
        "codes { code: \"MDCX_PUMP_WIFI_MODULE\" target: TARGET_COMPONENT component_kind: \"wifi-module\" }\n"
        "codes { code: \"MDCX_STATE\" target: TARGET_OPERATING_STATE states { key: \"run\" value: \"INFUSING\" } }\n"
        "codes { code: \"MDCX_LIB\" target: TARGET_DRUG_LIBRARY_NAME }\n");
    Require(table.ok(), "the default mapping table does not parse");
    return new hl7::Mapper(*table);
  }();
  return *mapper;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<hl7::Message> message = hl7::Message::Parse(text);
  if (!message.ok()) {
    Require(absl::IsInvalidArgument(message.status()), "a refused message is not INVALID_ARGUMENT");
    return 0;
  }
  Require(!message->segments().empty() && message->msh().id == "MSH", "a parsed message does not start with MSH");
  const hl7::MappedMessage mapped = TheMapper().Map(*message, absl::FromUnixSeconds(1'800'000'000));
  if (mapped.rejection) {
    Require(mapped.observations.empty(), "a rejected message still produced observations");
  }
  for (const pumptrack::v1::Observation& observation : mapped.observations) {
    Require(!observation.identity().asset_tag().empty(), "an observation without an asset tag");
    Require(!observation.identity().serial_number().empty(), "an observation without a serial number");
    Require(observation.sequence() == 0, "the mapping set a sequence");
    Require(observation.components_size() <= 32, "more than 32 components");
  }
  const hl7::AckPlan plan{true, false};
  const std::string ack =
      hl7::BuildAck(*message, plan, mapped.rejection ? &*mapped.rejection : nullptr, "PT1", absl::UnixEpoch());
  absl::StatusOr<hl7::Message> parsed = hl7::Message::Parse(ack);
  Require(parsed.ok(), "the ACK of a parsed message does not parse");
  Require(parsed->segments().size() >= 2 && parsed->segments()[1].id == "MSA", "the ACK has no MSA segment");
  Require(parsed->Get(parsed->segments()[1], 2) == message->Get(message->msh(), 10) ||
              message->Get(message->msh(), 10).find_first_of("\r\n") != std::string::npos,
          "the ACK does not acknowledge MSH-10");
  return 0;
}
