// libFuzzer target: the agent report edge. Bytes off the wire go through the hand parser the service uses for
// AgentService (service/wire.h), as a ReportBatch (the stream) or a ReportRequest (unary, chosen by the input's first
// byte), and every parsed observation and agent description through service/validation. Checks, beyond "no crash and
// no sanitizer report": a message the parser accepts re-serialises and re-parses to the same message; a message it
// refuses is refused with INVALID_ARGUMENT; an observation validation accepts has a valid asset tag and clean text in
// the fields shown to people.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "google/protobuf/stubs/logging.h"
#include "google/protobuf/util/field_comparator.h"
#include "google/protobuf/util/message_differencer.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/slice.h"
#include "pumptrack/v1/agent_service.pb.h"
#include "service/validation.h"
#include "service/wire.h"
#include "tests/fuzz/require.h"

namespace {

using pumptrack::service::ValidateAgentInfo;
using pumptrack::service::ValidateObservation;
namespace v1 = pumptrack::v1;

// A fixed service clock, so a crash reproduces from its input alone.
const absl::Time kNow = absl::FromUnixSeconds(1'796'000'000);  // 2026-11-30

void Require(bool condition, const char* what) { pumptrack::fuzz::Require(condition, "report_fuzzer", what); }

grpc::ByteBuffer ToBuffer(const std::uint8_t* data, std::size_t size) {
  grpc::Slice slice(data, size);
  return grpc::ByteBuffer(&slice, 1);
}

void CheckRoundTrip(const google::protobuf::Message& message) {
  absl::StatusOr<grpc::ByteBuffer> again = pumptrack::service::SerializeMessage(message);
  Require(again.ok(), "a parsed message does not serialise");
  std::unique_ptr<google::protobuf::Message> reparsed(message.New());
  Require(pumptrack::service::ParseMessage(*again, *reparsed).ok(), "a parsed message does not re-parse");
  // NaN is a value an agent may send (validation refuses it); it must survive the trip as NaN.
  google::protobuf::util::DefaultFieldComparator comparator;
  comparator.set_treat_nan_as_equal(true);
  google::protobuf::util::MessageDifferencer differencer;
  differencer.set_field_comparator(&comparator);
  Require(differencer.Compare(message, *reparsed), "re-parse changed the message");
}

void CheckValidated(const v1::Observation& observation, const std::string& path) {
  if (ValidateObservation(observation, kNow, path).has_value()) return;
  Require(pumptrack::service::IsValidAssetTag(observation.identity().asset_tag()), "accepted a bad asset tag");
  Require(pumptrack::service::IsCleanText(observation.identity().serial_number()), "accepted a dirty serial number");
  Require(pumptrack::service::IsCleanText(observation.location().unit()), "accepted a dirty unit");
  Require(pumptrack::service::IsCleanText(observation.firmware_version()), "accepted a dirty firmware version");
}

}  // namespace

// libprotobuf logs every invalid-UTF-8 string it refuses; the parser's status already says so.
extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const bool unary = (data[0] & 1) != 0;
  const grpc::ByteBuffer buffer = ToBuffer(data + 1, size - 1);
  if (unary) {
    v1::ReportRequest request;
    const absl::Status parsed = pumptrack::service::ParseMessage(buffer, request);
    if (!parsed.ok()) {
      Require(parsed.code() == absl::StatusCode::kInvalidArgument, "a refused request is not INVALID_ARGUMENT");
      return 0;
    }
    CheckRoundTrip(request);
    (void)ValidateAgentInfo(request.agent(), "agent");
    CheckValidated(request.observation(), "observation");
    return 0;
  }
  v1::ReportBatch batch;
  const absl::Status parsed = pumptrack::service::ParseMessage(buffer, batch);
  if (!parsed.ok()) {
    Require(parsed.code() == absl::StatusCode::kInvalidArgument, "a refused batch is not INVALID_ARGUMENT");
    return 0;
  }
  CheckRoundTrip(batch);
  if (batch.has_agent()) (void)ValidateAgentInfo(batch.agent(), "agent");
  for (int i = 0; i < batch.observations_size(); ++i) {
    CheckValidated(batch.observations(i), absl::StrCat("observations[", i, "]"));
  }
  return 0;
}
