// libFuzzer target: policy parsing (rules::CompiledPolicy::FromText). A policy file comes from an operator or through
// PolicyService.SetPolicy, so any text must be refused cleanly or accepted; never crash, hang or leak. An accepted
// policy must survive its own round trip: compiling its proto again (FromProto, which prints it as text) must succeed
// and give the same policy.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/util/message_differencer.h"
#include "rules/policy.h"
#include "tests/fuzz/require.h"

namespace {

void Require(bool condition, const char* what) { pumptrack::fuzz::Require(condition, "policy_fuzzer", what); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<std::shared_ptr<const pumptrack::rules::CompiledPolicy>> policy =
      pumptrack::rules::CompiledPolicy::FromText(text);
  if (!policy.ok()) {
    Require(absl::IsInvalidArgument(policy.status()), "a refused policy is not INVALID_ARGUMENT");
    Require(!policy.status().message().empty(), "a refused policy has no reason");
    return 0;
  }
  absl::StatusOr<std::shared_ptr<const pumptrack::rules::CompiledPolicy>> again =
      pumptrack::rules::CompiledPolicy::FromProto((*policy)->proto());
  Require(again.ok(), "an accepted policy's own proto is refused");
  // Compared field by field: map fields make serialized bytes order-dependent.
  Require(google::protobuf::util::MessageDifferencer::Equals((*again)->proto(), (*policy)->proto()),
          "an accepted policy changes on its round trip");
  absl::StatusOr<std::shared_ptr<const pumptrack::rules::CompiledPolicy>> reparsed =
      pumptrack::rules::CompiledPolicy::FromText((*again)->text());
  Require(reparsed.ok(), "an accepted policy's printed text is refused");
  return 0;
}
